//! Helpers for the concurrency tests (`concurrent_*`): a client-side model
//! of one session's view that applies untagged EXPUNGE, EXISTS and FETCH
//! the way a client must and fails on any response that would confuse one,
//! plus bounded waits for a condition (never a fixed sleep).

#![allow(dead_code, unused_imports)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::common::client::timeout;
use crate::common::{Reply, Resp, without_recent};

pub mod env_client;

pub use env_client::{Conn, EnvClient};

/// What a client knows of the selected mailbox: UID and flags by sequence
/// number (index 0 is message 1). A UID of 0 stands for a message
/// announced by EXISTS whose UID the client has not fetched yet.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// UIDs by sequence number.
    pub uids: Vec<u32>,
    /// Flags (sorted, without `\Recent`) by sequence number.
    pub flags: Vec<Vec<String>>,
    /// Every EXPUNGE number applied, in order.
    pub expunged: Vec<u32>,
}

impl Model {
    /// The view after SELECT: fetches UID and FLAGS of every message.
    #[track_caller]
    pub fn load(c: &mut impl Conn) -> Model {
        let mut m = Model::default();
        // UID FETCH: `FETCH 1:*` is refused in an empty mailbox.
        let r = c.ok_cmd("UID FETCH 1:* (UID FLAGS)");
        let count = r.fetches().iter().map(|(n, _)| *n).max().unwrap_or(0);
        m.uids.resize(count as usize, 0);
        m.flags.resize(count as usize, Vec::new());
        m.apply(&r.untagged);
        m
    }

    /// Applies untagged responses in order, asserting what RFC 3501 §7
    /// and pitfalls 2 and 14 demand: an EXPUNGE names an existing message,
    /// an EXISTS never shrinks the mailbox, a FETCH names an existing
    /// message and keeps its UID.
    #[track_caller]
    pub fn apply(&mut self, resps: &[Resp]) {
        for r in resps {
            self.apply_one(r);
        }
    }

    #[track_caller]
    fn apply_one(&mut self, r: &Resp) {
        let Some((n, kind)) = r.numbered() else {
            return;
        };
        let len = self.uids.len() as u32;
        match kind.as_str() {
            "EXPUNGE" => {
                assert!(n >= 1 && n <= len, "EXPUNGE {n} of {len} messages: {r:?}");
                self.uids.remove(n as usize - 1);
                self.flags.remove(n as usize - 1);
                self.expunged.push(n);
            }
            "EXISTS" => {
                assert!(n >= len, "EXISTS {n} below the {len} messages known: {r:?}");
                self.uids.resize(n as usize, 0);
                self.flags.resize(n as usize, Vec::new());
            }
            "FETCH" => self.apply_fetch(n, r),
            _ => {}
        }
    }

    #[track_caller]
    fn apply_fetch(&mut self, n: u32, r: &Resp) {
        let len = self.uids.len() as u32;
        assert!(n >= 1 && n <= len, "FETCH {n} of {len} messages: {r:?}");
        let (_, f) = r.fetch().unwrap_or_else(|| panic!("bad FETCH {r:?}"));
        let i = n as usize - 1;
        if f.try_get("UID").is_some() {
            let uid = f.uid();
            let known = self.uids[i];
            assert!(
                known == 0 || known == uid,
                "message {n} changed UID from {known} to {uid}: {r:?}"
            );
            self.uids[i] = uid;
        }
        if f.try_get("FLAGS").is_some() {
            self.flags[i] = without_recent(&f.flags());
        }
    }

    /// Flags by UID.
    pub fn by_uid(&self) -> BTreeMap<u32, Vec<String>> {
        self.uids.iter().copied().zip(self.flags.clone()).collect()
    }

    /// The flags of the message with `uid` (panics when absent).
    #[track_caller]
    pub fn flags_of(&self, uid: u32) -> &[String] {
        let i = self.uids.iter().position(|&u| u == uid);
        let i = i.unwrap_or_else(|| panic!("UID {uid} not in {:?}", self.uids));
        &self.flags[i]
    }

    /// Checks the model against what the server says now: `FETCH 1:*
    /// (UID FLAGS)` must list the same UIDs in the same order with the
    /// same flags (after applying whatever arrived with it).
    #[track_caller]
    pub fn check(&mut self, c: &mut impl Conn) {
        // Until a reply carries no EXPUNGE or EXISTS (whose numbers
        // would mix with the FETCH data), apply them and ask again.
        let r = loop {
            let r = c.ok_cmd("UID FETCH 1:* (UID FLAGS)");
            let moved = r.untagged.iter().any(|x| {
                x.numbered()
                    .is_some_and(|(_, k)| k == "EXPUNGE" || k == "EXISTS")
            });
            // An unsolicited FETCH besides the data: flags changed now.
            let fetched: Vec<u32> = r.fetches().iter().map(|(n, _)| *n).collect();
            let distinct: std::collections::BTreeSet<u32> = fetched.iter().copied().collect();
            if !moved && distinct.len() == fetched.len() {
                break r;
            }
            self.apply(&r.untagged);
        };
        let mut fresh = Model {
            uids: vec![0; self.uids.len()],
            flags: vec![Vec::new(); self.uids.len()],
            ..Model::default()
        };
        let fetches: Vec<&Resp> = r.untagged.iter().filter(|x| x.fetch().is_some()).collect();
        for resp in fetches {
            let (n, _) = resp.numbered().unwrap_or_default();
            fresh.apply_fetch(n, resp);
        }
        for i in 0..self.uids.len() {
            if self.uids[i] == 0 {
                self.uids[i] = fresh.uids[i];
                self.flags[i] = fresh.flags[i].clone();
            }
        }
        assert_eq!(self.uids, fresh.uids, "the session's view drifted");
        assert_eq!(self.flags, fresh.flags, "flags drifted");
    }
}

/// Sends NOOP until `done` holds for the model, applying every response,
/// or fails after the test timeout. Returns every untagged response seen.
#[track_caller]
pub fn noop_until(c: &mut impl Conn, m: &mut Model, done: impl Fn(&Model) -> bool) -> Vec<Resp> {
    let deadline = Instant::now() + timeout();
    let mut seen = Vec::new();
    loop {
        let r = c.ok_cmd("NOOP");
        m.apply(&r.untagged);
        seen.extend(r.untagged);
        if done(m) {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "condition not reached; model {m:?}; last responses {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Reads untagged responses during IDLE until `done` holds for the model,
/// or fails after the test timeout. Returns the responses read.
#[track_caller]
pub fn idle_until(c: &mut impl Conn, m: &mut Model, done: impl Fn(&Model) -> bool) -> Vec<Resp> {
    let mut seen = Vec::new();
    while !done(m) {
        let r = c.next_resp();
        assert!(r.is_untagged(), "tagged or continuation during IDLE: {r:?}");
        m.apply(std::slice::from_ref(&r));
        seen.push(r);
    }
    seen
}

/// Starts IDLE and reads the continuation.
#[track_caller]
pub fn start_idle(c: &mut impl Conn, tag: &str) {
    c.send_bytes(format!("{tag} IDLE\r\n").as_bytes());
    let cont = c.next_resp();
    assert!(cont.is_continuation(), "IDLE must answer +, got {cont:?}");
}

/// Ends IDLE with DONE and applies what arrived before the completion.
#[track_caller]
pub fn stop_idle(c: &mut impl Conn, m: &mut Model, tag: &str) -> Reply {
    c.send_bytes(b"DONE\r\n");
    let r = c.reply_to(tag);
    r.ok();
    m.apply(&r.untagged);
    r
}

/// Asserts that within one reply no EXPUNGE follows an EXISTS (pitfall
/// 14: expunges queued before new messages go out first).
#[track_caller]
pub fn assert_expunges_first(resps: &[Resp]) {
    let kinds: Vec<String> = resps.iter().map(|r| r.word(2)).collect();
    let last_expunge = kinds.iter().rposition(|k| k == "EXPUNGE");
    let first_exists = kinds.iter().position(|k| k == "EXISTS");
    if let (Some(e), Some(x)) = (last_expunge, first_exists) {
        assert!(e < x, "EXISTS before a pending EXPUNGE: {resps:?}");
    }
}

/// Polls `cond` every few milliseconds until it holds; fails after the
/// test timeout with `what`.
#[track_caller]
pub fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout();
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A message whose body names its own Message-ID, so that served bytes
/// can be checked against the UID they were served under.
pub fn self_naming(id: &str, date_secs: u32) -> String {
    let day = 1 + date_secs % 28;
    format!(
        "From: Sender <sender@example.org>\n\
         To: Rcpt <rcpt@example.net>\n\
         Subject: {id}\n\
         Date: Mon, {day:02} Jan 2024 10:00:00 +0000\n\
         Message-ID: <{id}@test>\n\
         \n\
         body-of {id}@test\n"
    )
}

/// Clears a "keep running" flag when dropped, so that a background loop
/// stops even when the test thread panics (a scoped thread would
/// otherwise keep the test waiting for ever).
pub struct StopOnDrop<'a>(pub &'a std::sync::atomic::AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}
