//! kill -9 inside APPEND, COPY, MOVE, EXPUNGE and STORE (issue 3, "No
//! duplicates, no losses"): the engine runs under strace, which delivers
//! SIGKILL at the N-th call of one syscall (every link, unlink, rename,
//! ftruncate, fsync and SQLite page write in turn), and after each kill a
//! fresh session must see a consistent folder: one UID per file, no UID
//! reused under the same UIDVALIDITY, no temporary shown (and stale ones
//! removed by the next full scan), flags equal to `.mh_sequences`, and nmh
//! still reads the folder. A second test kills after a sweep of delays.

mod common;
mod crash_util;

use std::thread;
use std::time::Duration;

use common::MhTree;
use crash_util::{Ledger, append_cmd, check_folder, clean_like_a_new_session, message};

/// The syscalls a kill is injected at, with the highest occurrence tried
/// and the step between tries.
const POINTS: &[(&str, u32, u32)] = &[
    ("linkat", 4, 1),
    ("unlink", 8, 1),
    ("rename", 4, 1),
    ("ftruncate", 8, 1),
    ("fsync", 16, 1),
    ("syncfs", 2, 1),
    ("pwrite64", 48, 3),
];

/// One folder under test and what every session ever showed of it.
struct Bench {
    tree: MhTree,
    ledger: Ledger,
    next_id: u32,
    kills: u32,
}

/// What one crash run does.
struct Plan {
    script: String,
    appended: Vec<String>,
}

impl Bench {
    fn new() -> Bench {
        let tree = MhTree::new();
        tree.folder("dst");
        Bench {
            tree,
            ledger: Ledger::default(),
            next_id: 1,
            kills: 0,
        }
    }

    /// A fresh Message-ID stem.
    fn id(&mut self) -> String {
        self.next_id += 1;
        format!("c{}", self.next_id)
    }

    /// Drops `count` new files into the inbox (as a delivery would) and
    /// lets a session give them UIDs; returns the sequence number of the
    /// first one.
    fn deliver(&mut self, count: u32) -> usize {
        let before = self.tree.numbers("inbox");
        let mut n = before.last().copied().unwrap_or(0);
        for _ in 0..count {
            n += 1;
            let id = self.id();
            self.tree.write_msg("inbox", n, message(&id));
        }
        check_folder(&self.tree, &mut self.ledger, "INBOX", "inbox");
        before.len() + 1
    }

    /// Runs `make` at every kill point until the command completes.
    fn sweep(&mut self, mut make: impl FnMut(&mut Bench) -> Plan) {
        for &(syscall, max, step) in POINTS {
            let mut when = 1;
            while when <= max {
                let plan = make(self);
                let (t, killed) =
                    crash_util::run_killed_at(&self.tree, syscall, when, &plan.script);
                let ids: Vec<&str> = plan.appended.iter().map(String::as_str).collect();
                self.ledger.learn_appends(&t, &ids, "INBOX");
                self.ledger.learn_copies(&t, "INBOX", "dst");
                self.after_crash();
                if !killed {
                    break;
                }
                self.kills += 1;
                when += step;
            }
        }
    }

    /// The checks of a fresh session after a run.
    fn after_crash(&mut self) {
        for (imap, mh) in [("INBOX", "inbox"), ("dst", "dst")] {
            clean_like_a_new_session(&self.tree, imap);
            check_folder(&self.tree, &mut self.ledger, imap, mh);
        }
    }
}

fn script(body: &str) -> String {
    format!("a SELECT INBOX\r\n{body}z LOGOUT\r\n")
}

#[test]
fn kill_during_append() {
    let mut b = Bench::new();
    b.sweep(|b| {
        let id = b.id();
        let cmd = append_cmd("b", "INBOX", "\\Flagged crashed", &message(&id));
        Plan {
            script: script(&cmd),
            appended: vec![format!("{id}@test")],
        }
    });
    assert!(b.kills >= 10, "only {} kill points inside APPEND", b.kills);
}

#[test]
fn kill_during_copy() {
    let mut b = Bench::new();
    b.sweep(|b| {
        let first = b.deliver(2);
        Plan {
            script: script(&format!("b COPY {first}:* dst\r\n")),
            appended: Vec::new(),
        }
    });
    assert!(b.kills >= 10, "only {} kill points inside COPY", b.kills);
}

#[test]
fn kill_during_move() {
    let mut b = Bench::new();
    b.sweep(|b| {
        let first = b.deliver(2);
        Plan {
            script: script(&format!("b MOVE {first}:* dst\r\n")),
            appended: Vec::new(),
        }
    });
    assert!(b.kills >= 10, "only {} kill points inside MOVE", b.kills);
}

#[test]
fn kill_during_expunge() {
    let mut b = Bench::new();
    b.sweep(|b| {
        let first = b.deliver(2);
        let body = format!("b STORE {first}:* +FLAGS.SILENT (\\Deleted)\r\nc EXPUNGE\r\n");
        Plan {
            script: script(&body),
            appended: Vec::new(),
        }
    });
    assert!(b.kills >= 10, "only {} kill points inside EXPUNGE", b.kills);
}

#[test]
fn kill_during_store() {
    let mut b = Bench::new();
    b.sweep(|b| {
        b.deliver(1);
        let body = "b STORE 1:* +FLAGS (\\Flagged crashed)\r\n\
                    c STORE 1:* -FLAGS (\\Seen)\r\n\
                    d STORE 1:* FLAGS (\\Seen \\Answered)\r\n";
        Plan {
            script: script(body),
            appended: Vec::new(),
        }
    });
    assert!(b.kills >= 10, "only {} kill points inside STORE", b.kills);
}

/// The same checks after a plain kill -9 a varying delay after the
/// command was sent (no strace: the real timing).
#[test]
fn kill_after_a_sweep_of_delays() {
    let mut b = Bench::new();
    for step in 0..16u64 {
        let first = b.deliver(2);
        let id = b.id();
        let mut c = b.tree.client();
        c.select("INBOX");
        let mut cmds = append_cmd("b", "INBOX", "\\Seen", &message(&id));
        cmds.push_str(&format!("c MOVE {first}:{} dst\r\n", first + 1));
        cmds.push_str("d STORE 1:* +FLAGS (\\Deleted)\r\ne EXPUNGE\r\n");
        c.send(cmds);
        thread::sleep(Duration::from_micros(step * 400));
        drop(c); // SIGKILL and wait
        b.after_crash();
    }
}
