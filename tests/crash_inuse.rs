//! No duplicates (issue 3): COPY, MOVE and APPEND into a folder whose
//! `.mh_sequences` lock another process holds past the engine's lock
//! wait answer `NO [INUSE]` without doing anything half-way, and the
//! client's retry after the lock is gone adds each message exactly once.

mod common;
mod crash_util;

use std::fs::File;
use std::time::{Duration, SystemTime};

use asimap::mh::lock::{FileLock, LockMethod};
use common::{Client, MhTree};
use crash_util::{append_cmd, message};

/// Sets the mtime of a file or directory an hour back, so that the
/// engine trusts the stamps it stores (a fresh stamp is read again).
fn age(path: &std::path::Path) {
    let past = SystemTime::now() - Duration::from_secs(3600);
    File::open(path)
        .and_then(|f| f.set_modified(past))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Sends `cmd` (a line, or an APPEND with its literal) without waiting.
fn send(c: &mut Client, tag: &str, cmd: &str) {
    if cmd.starts_with("APPEND") {
        c.send(format!("{tag} {cmd}"));
    } else {
        c.send(format!("{tag} {cmd}\r\n"));
    }
}

#[test]
fn copy_move_append_into_a_locked_folder_then_retried_add_once() {
    let tree = MhTree::new();
    tree.add_simple("inbox", 1, "one");
    tree.add_simple("inbox", 2, "two");
    tree.add_simple("dst", 1, "old");
    tree.write_sequences("dst", "unseen: 1\n");
    for p in [tree.sequences_path("dst"), tree.folder_path("dst")] {
        age(&p);
    }
    let commands = [
        "COPY 1 dst".to_string(),
        "MOVE 2 dst".to_string(),
        append_cmd("x", "dst", "\\Seen", &message("new"))[2..].to_string(),
    ];
    let mut sessions: Vec<Client> = commands.iter().map(|_| tree.client()).collect();
    for c in &mut sessions {
        // The destination is synced now, so a later sync of it needs no
        // lock: COPY gets as far as linking its copies.
        c.ok("STATUS dst (MESSAGES)");
        c.select("INBOX");
    }

    let held = FileLock::acquire(
        &tree.sequences_path("dst"),
        LockMethod::Fcntl,
        Duration::from_secs(5),
    )
    .expect("take the lock");
    for (c, cmd) in sessions.iter_mut().zip(&commands) {
        send(c, "busy", cmd);
    }
    for (c, cmd) in sessions.iter_mut().zip(&commands) {
        let r = c.read_reply("busy");
        assert_eq!(r.status(), "NO", "{cmd:.20} while locked: {r}");
        assert_eq!(r.code().as_deref(), Some("INUSE"), "{r}");
    }
    drop(held);
    assert_eq!(tree.numbers("dst"), [1], "a refused command left a file");
    assert_eq!(tree.numbers("inbox"), [1, 2], "MOVE removed its source");
    assert_eq!(tree.sequences_text("dst"), "unseen: 1\n");

    for (c, cmd) in sessions.iter_mut().zip(&commands) {
        send(c, "again", cmd);
        let r = c.read_reply("again");
        r.ok();
    }
    for c in sessions {
        c.logout();
    }
    let dst = tree.numbers_by_id("dst"); // panics on a Message-ID twice
    let ids: Vec<&str> = dst.keys().map(String::as_str).collect();
    assert_eq!(ids, ["new@test", "old@test", "one@test", "two@test"]);
    let inbox = tree.numbers_by_id("inbox");
    assert_eq!(inbox.keys().collect::<Vec<_>>(), ["one@test"]);
    let mut ledger = crash_util::Ledger::default();
    crash_util::check_folder(&tree, &mut ledger, "dst", "dst");
    crash_util::check_folder(&tree, &mut ledger, "INBOX", "inbox");
}
