//! inc's clobber race (mh-compat.md §4) with the real `inc`: inc reads
//! the folder, strace holds it at its next fcntl, an IMAP APPEND links
//! its message to the very number inc picked, and inc then overwrites it
//! with `O_TRUNC`. The store must notice, add the appended message again
//! (keeping its UID) and give inc's message a UID of its own: neither is
//! lost, neither is shown twice.

mod common;
mod crash_util;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;

use common::{MhTree, mbox};
use crash_util::{Ledger, check_folder, message, require_strace};

/// Starts `inc` of `ids` into the inbox under strace, with each fcntl
/// (the first comes right after its readdir) delayed, and waits until it
/// has read the folder.
fn start_slow_inc(tree: &MhTree, ids: &[&str]) -> std::process::Child {
    require_strace();
    let drop = tree.home().join("race.mbox");
    std::fs::write(&drop, mbox(ids)).expect("write mbox");
    let mut child = Command::new("strace")
        .args(["-qq", "-e", "trace=getdents64,fcntl"])
        .args(["-e", "inject=fcntl:delay_enter=700000"])
        .arg("/usr/bin/mh/inc")
        .args(["-silent", "-truncate", "+inbox", "-file"])
        .arg(&drop)
        .env_clear()
        .env("HOME", tree.home())
        .env("MH", tree.profile_path())
        .env("PATH", "/usr/bin/mh:/usr/bin:/bin")
        .current_dir(tree.home())
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start strace inc");
    // strace writes each line to stderr as the call returns.
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("getdents64") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(common::client::timeout())
        .expect("inc never read the folder");
    child
}

#[test]
fn append_overwritten_by_inc_is_added_again_and_both_kept() {
    let tree = MhTree::new();
    tree.add_simple("inbox", 1, "old");
    let mut ledger = Ledger::default();
    check_folder(&tree, &mut ledger, "INBOX", "inbox");

    let mut session = tree.client();
    session.select("INBOX");
    let mut inc = start_slow_inc(&tree, &["incoming"]);
    let ours = message("appended");
    let r = session.append("INBOX", "(\\Flagged)", ours.as_bytes());
    r.ok();
    let code = r.code().expect("APPENDUID");
    let uid: u32 = code.rsplit(' ').next().unwrap().parse().unwrap();
    let status = inc.wait().expect("wait for inc");
    assert!(status.success(), "inc failed: {status}");

    // The race really happened: inc wrote into the number APPEND took.
    let files = tree.numbers_by_id("inbox");
    assert!(
        !files.contains_key("appended@test"),
        "inc did not overwrite the appended message (no race to test): {files:?}"
    );

    let noop = session.ok("NOOP");
    assert!(
        !noop.numbered("EXISTS").is_empty(),
        "no EXISTS:\n{noop}\n{}",
        session.log()
    );
    let by_id = tree.numbers_by_id("inbox");
    assert_eq!(by_id.len(), 3, "{by_id:?}");
    let (_, seen) = crash_util::view(&tree, "INBOX");
    let uid_of = |id: &str| seen.iter().find(|s| s.id == id).map(|s| s.uid);
    assert_eq!(uid_of("appended@test"), Some(uid), "APPENDUID changed");
    let inc_uid = uid_of("incoming@test").expect("inc's message lost");
    assert!(inc_uid > uid, "inc's message got UID {inc_uid}");
    let flags = &seen.iter().find(|s| s.uid == uid).unwrap().flags;
    assert!(flags.contains(&"\\Flagged".to_string()), "{flags:?}");
    check_folder(&tree, &mut ledger, "INBOX", "inbox");
    session.logout();
}
