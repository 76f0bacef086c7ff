//! Test harness shared by the end-to-end (`e2e_*`) and nmh interop
//! (`nmh_*`) tests: temporary MH trees, real nmh commands, and the real
//! asimap-stdio binary driven over pipes. No mocks.

#![allow(dead_code, unused_imports)]

pub mod client;
pub mod mh;
pub mod resp;

use std::collections::BTreeMap;

pub use client::{Client, ENGINE, Transcript, quote};
pub use mh::{MhTree, Sequences, backdate, mbox, parse_sequences, set, simple_message};
pub use resp::{Fetch, Reply, Resp, Value};

/// What a fresh session sees of one folder: UIDVALIDITY and, by
/// Message-ID, each message's sequence number, UID and flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The folder's UIDVALIDITY.
    pub uidvalidity: u64,
    /// Message-ID (without brackets) to its view.
    pub messages: BTreeMap<String, MsgView>,
}

/// One message as a session sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgView {
    /// Its sequence number in this session.
    pub seq: u32,
    /// Its UID.
    pub uid: u32,
    /// Its flags, sorted.
    pub flags: Vec<String>,
}

impl Snapshot {
    /// UIDs by Message-ID.
    pub fn uids(&self) -> BTreeMap<String, u32> {
        self.messages
            .iter()
            .map(|(k, v)| (k.clone(), v.uid))
            .collect()
    }

    /// The view of the message with Message-ID `id` (panics when absent).
    #[track_caller]
    pub fn msg(&self, id: &str) -> &MsgView {
        self.messages
            .get(id)
            .unwrap_or_else(|| panic!("no message {id} in {self:#?}"))
    }
}

/// Opens `folder` read-only (EXAMINE, so nothing changes) in a new
/// scripted session and records what it shows.
#[track_caller]
pub fn snapshot(tree: &MhTree, folder: &str) -> Snapshot {
    let script = format!(
        "s1 EXAMINE {}\r\n\
         s2 FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])\r\n\
         s3 LOGOUT\r\n",
        quote(folder)
    );
    let t = tree.run_script(script);
    let select = t.reply("s1");
    select.ok();
    let uidvalidity = select.ok_code_number("UIDVALIDITY");
    let fetch = t.reply("s2");
    let exists = select.numbered("EXISTS");
    if exists.last().copied().unwrap_or(0) > 0 {
        fetch.ok();
    }
    let mut messages = BTreeMap::new();
    for (seq, f) in fetch.fetches() {
        let header = f.get("BODY[HEADER.FIELDS (MESSAGE-ID)]").text();
        let id = message_id(&header);
        let view = MsgView {
            seq,
            uid: f.uid(),
            flags: f.flags(),
        };
        assert!(
            messages.insert(id.clone(), view).is_none(),
            "Message-ID {id} twice"
        );
    }
    Snapshot {
        uidvalidity,
        messages,
    }
}

/// The Message-ID in a header block, without angle brackets.
pub fn message_id(header: &str) -> String {
    let line = header
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
        .unwrap_or_else(|| panic!("no Message-ID in {header:?}"));
    let value = line.split_once(':').map(|(_, v)| v.trim()).unwrap_or("");
    value
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

/// Message-IDs `m1@test` .. `m{n}@test` as written by [`MhTree::fill`].
pub fn ids(range: std::ops::RangeInclusive<u32>) -> Vec<String> {
    range.map(|i| format!("m{i}@test")).collect()
}

/// Applies untagged EXPUNGE numbers, in order, to a session's list of UIDs
/// (index 0 is message 1), the way a client must.
#[track_caller]
pub fn apply_expunges(uids: &mut Vec<u32>, expunged: &[u32]) {
    for &n in expunged {
        assert!(
            n >= 1 && (n as usize) <= uids.len(),
            "EXPUNGE {n} out of range {uids:?}"
        );
        uids.remove(n as usize - 1);
    }
}

/// The flags nmh's sequences imply for message `n` with the default
/// profile (`Unseen-Sequence: unseen`), sorted, as IMAP names them.
pub fn flags_from_sequences(seqs: &Sequences, n: u32) -> Vec<String> {
    let mut flags = Vec::new();
    let in_seq = |name: &str| seqs.get(name).is_some_and(|s| s.contains(&n));
    if !in_seq("unseen") {
        flags.push("\\Seen".to_string());
    }
    let system = [
        ("replied", "\\Answered"),
        ("flagged", "\\Flagged"),
        ("Deleted", "\\Deleted"),
        ("Draft", "\\Draft"),
    ];
    for (seq, flag) in system {
        if in_seq(seq) {
            flags.push(flag.to_string());
        }
    }
    for (name, nums) in seqs {
        let special = ["cur", "unseen", "replied", "flagged", "Deleted", "Draft"];
        if !special.contains(&name.as_str()) && nums.contains(&n) {
            flags.push(name.clone());
        }
    }
    flags.sort();
    flags
}

/// Flags without `\Recent` (which is per session), sorted.
pub fn without_recent(flags: &[String]) -> Vec<String> {
    let mut f: Vec<String> = flags.iter().filter(|f| *f != "\\Recent").cloned().collect();
    f.sort();
    f
}

/// The byte string with every LF not preceded by CR turned into CRLF, as
/// the server must serve an MH file.
pub fn crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 40);
    let mut prev = 0u8;
    for &b in bytes {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

/// The byte string as the server must send an MH file in a literal: [`crlf`]
/// with every NUL as 0x80 (RFC 3501 literals carry no NUL; Dovecot's
/// choice, one byte for one).
pub fn wire(bytes: &[u8]) -> Vec<u8> {
    let mut out = crlf(bytes);
    for b in &mut out {
        if *b == 0 {
            *b = 0x80;
        }
    }
    out
}
