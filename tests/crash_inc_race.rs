//! inc's clobber race (mh-compat.md §4) with the real `inc`: inc reads
//! the folder, strace holds it at its next fcntl, an IMAP APPEND, COPY or
//! MOVE links its message to the very number inc picked, and inc then
//! overwrites it with `O_TRUNC`. The store must notice, add the message
//! again from its kept copy (keeping its UID) and give inc's message a UID
//! of its own: neither is lost, neither is shown twice; also when the
//! session that added it has ended before inc struck.
//!
//! And inc's other race: it fills the numbered file in place, so a session
//! must not show the message before inc is done with it.

mod common;
mod crash_util;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;

use common::{MhTree, mbox};
use crash_util::{Ledger, check_folder, message, require_strace};

/// Starts `inc` of `ids` into the inbox under strace, with each fcntl
/// (the first comes right after its readdir) delayed, and waits until it
/// has read the folder.
fn start_slow_inc(tree: &MhTree, ids: &[&str]) -> std::process::Child {
    let drop = tree.home().join("race.mbox");
    std::fs::write(&drop, mbox(ids)).expect("write mbox");
    start_inc_slowed(tree, &drop, "inject=fcntl:delay_enter=700000")
}

/// Starts `inc -file drop` into the inbox under strace with `inject`, and
/// waits until it has read the folder.
fn start_inc_slowed(tree: &MhTree, drop: &Path, inject: &str) -> std::process::Child {
    require_strace();
    // strace tampers only with the calls it traces.
    let slowed = inject
        .strip_prefix("inject=")
        .and_then(|rest| rest.split(':').next())
        .expect("inject=CALL:...");
    let mut child = Command::new("strace")
        .args(["-qq", "-e", &format!("trace=getdents64,fcntl,{slowed}")])
        .args(["-e", inject])
        .arg("/usr/bin/mh/inc")
        .args(["-silent", "-truncate", "+inbox", "-file"])
        .arg(drop)
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

    // nmh 1.8's inc writes back the sequences it read before the race, so
    // the flag APPEND gave the number is gone; an inc that merged at the
    // end would leave it on inc's message. Put it back, as such an inc
    // would: the repair must take it off.
    let taken = files["incoming@test"].to_string();
    tree.nmh("mark", &["+inbox", &taken, "-sequence", "flagged", "-add"]);
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
    let flags_of = |uid: u32| &seen.iter().find(|s| s.uid == uid).unwrap().flags;
    assert!(flags_of(uid).contains(&"\\Flagged".to_string()), "{seen:?}");
    let inc_flags = flags_of(inc_uid);
    assert!(
        !inc_flags.contains(&"\\Flagged".to_string()),
        "inc's: {inc_flags:?}"
    );
    check_folder(&tree, &mut ledger, "INBOX", "inbox");
    session.logout();
}

/// The UID in a tagged `[APPENDUID v uid]` or the new UID of a one-message
/// `[COPYUID v old new]`.
fn new_uid(code: &str) -> u32 {
    code.rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .expect("UID in the code")
}

/// Waits for inc and checks that it really wrote over the message with
/// Message-ID `<id@test>` (else there was no race to test).
fn finish_inc(tree: &MhTree, mut inc: std::process::Child, ours: &str) {
    let status = inc.wait().expect("wait for inc");
    assert!(status.success(), "inc failed: {status}");
    let files = tree.numbers_by_id("inbox");
    assert!(
        !files.contains_key(ours),
        "inc did not overwrite {ours} (no race to test): {files:?}"
    );
}

/// After the race: both the added message (under `uid`, flags kept) and
/// inc's are shown once each, and the folder is consistent.
fn both_kept(tree: &MhTree, ledger: &mut Ledger, ours: &str, uid: u32, flag: &str) {
    let (_, seen) = crash_util::view(tree, "INBOX");
    let uids_of = |id: &str| {
        seen.iter()
            .filter(|s| s.id == id)
            .map(|s| s.uid)
            .collect::<Vec<_>>()
    };
    assert_eq!(uids_of(ours), vec![uid], "{ours}: {seen:?}");
    let inc_uids = uids_of("incoming@test");
    assert_eq!(inc_uids.len(), 1, "inc's message: {seen:?}");
    assert!(inc_uids[0] > uid, "inc's message got UID {}", inc_uids[0]);
    let flags_of = |uid: u32| &seen.iter().find(|s| s.uid == uid).unwrap().flags;
    assert!(flags_of(uid).contains(&flag.to_string()), "{seen:?}");
    // Our flags were on the number inc wrote over: they stay ours.
    let inc_flags = flags_of(inc_uids[0]);
    assert!(
        !inc_flags.contains(&flag.to_string()),
        "inc's: {inc_flags:?}"
    );
    check_folder(tree, ledger, "INBOX", "inbox");
}

/// `command` (a UID COPY or UID MOVE of message 1 of `src` to INBOX) runs
/// while inc holds the number it will write over; afterwards both
/// messages are there once, and src still has the message only after a
/// COPY.
fn transfer_overwritten_by_inc(command: &str, name: &str) {
    let id = format!("{name}@test");
    let tree = MhTree::new();
    tree.add_simple("inbox", 1, "old");
    tree.write_msg("src", 1, message(name));
    tree.write_sequences("src", "flagged: 1\n");
    let mut ledger = Ledger::default();
    check_folder(&tree, &mut ledger, "INBOX", "inbox");

    let mut session = tree.client();
    session.select("src");
    let inc = start_slow_inc(&tree, &["incoming"]);
    let r = session.ok(command);
    // MOVE sends COPYUID in an untagged OK (RFC 6851), COPY in the tagged.
    let untagged = r.untagged("OK").iter().find_map(|u| u.code());
    let uid = new_uid(&untagged.or_else(|| r.code()).expect("COPYUID"));
    finish_inc(&tree, inc, &id);
    session.ok("NOOP");
    let left_in_src = tree.numbers_by_id("src").contains_key(&id);
    assert_eq!(left_in_src, command.contains("COPY"), "{command}: src");
    both_kept(&tree, &mut ledger, &id, uid, "\\Flagged");
    session.logout();
}

#[test]
fn copy_overwritten_by_inc_is_added_again_and_both_kept() {
    transfer_overwritten_by_inc("UID COPY 1 INBOX", "copied");
}

#[test]
fn move_overwritten_by_inc_is_added_again_and_both_kept() {
    transfer_overwritten_by_inc("UID MOVE 1 INBOX", "moved");
}

#[test]
fn an_overwrite_after_the_session_ended_is_repaired_by_the_next() {
    let tree = MhTree::new();
    tree.add_simple("inbox", 1, "old");
    let mut ledger = Ledger::default();
    check_folder(&tree, &mut ledger, "INBOX", "inbox");

    let mut session = tree.client();
    session.select("INBOX");
    let inc = start_slow_inc(&tree, &["incoming"]);
    let r = session.append("INBOX", "(\\Flagged)", message("appended").as_bytes());
    r.ok();
    let uid = new_uid(&r.code().expect("APPENDUID"));
    // Gone before inc writes: the watch is left in the state file.
    session.logout();
    finish_inc(&tree, inc, "appended@test");
    both_kept(&tree, &mut ledger, "appended@test", uid, "\\Flagged");
}

/// A message inc writes 4 KiB at a time, each write held up by strace,
/// so that its file exists half-written for seconds.
#[test]
fn a_message_inc_is_still_writing_is_not_shown_until_inc_is_done() {
    let tree = MhTree::new();
    tree.add_simple("inbox", 1, "old");
    let body: String = (0..2000)
        .map(|i| format!("line {i} of a long message\n"))
        .collect();
    let big = format!(
        "From sender@test Thu Dec  3 10:00:00 2026\nFrom: sender@test\nSubject: big\n\
         Message-ID: <big@test>\n\n{body}\n"
    );
    let drop = tree.home().join("big.mbox");
    std::fs::write(&drop, big).expect("write mbox");

    let mut session = tree.client();
    session.select("INBOX");
    let mut inc = start_inc_slowed(&tree, &drop, "inject=write:delay_enter=150000");
    let path = tree.msg_path("inbox", 2);
    let mut sizes = Vec::new();
    let mut polls_while_partial = 0;
    loop {
        let done = inc.try_wait().expect("inc status").is_some();
        let partial = !done && path.exists();
        let r = session.ok("FETCH 1:* (UID RFC822.SIZE)");
        let shown: Vec<u64> = r
            .fetches()
            .iter()
            .filter(|(_, f)| f.uid() > 1)
            // (Unsolicited FETCH FLAGS carry no size.)
            .filter_map(|(_, f)| f.try_get("RFC822.SIZE").map(|v| v.num()))
            .collect();
        polls_while_partial += u32::from(partial);
        sizes.extend(shown.iter().map(|&n| (n, done)));
        if done {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(inc.wait().expect("inc").success());
    assert!(
        polls_while_partial >= 3,
        "inc was never seen half-way ({polls_while_partial} polls): no race to test"
    );
    session.ok("NOOP");
    let r = session.ok("FETCH 2 (UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
    let whole = r.fetch(2).get("RFC822.SIZE").num();
    let lines = std::fs::read(&path)
        .unwrap()
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64;
    assert_eq!(whole, std::fs::metadata(&path).unwrap().len() + lines);
    let early: Vec<_> = sizes.iter().filter(|(n, _)| *n != whole).collect();
    assert!(
        early.is_empty(),
        "shown before inc was done: {early:?} (whole {whole})"
    );
    session.logout();
}

#[test]
fn an_overwrite_removed_before_anyone_looked_still_brings_ours_back() {
    let tree = MhTree::new();
    tree.add_simple("inbox", 1, "old");
    let mut session = tree.client();
    session.select("INBOX");
    let inc = start_slow_inc(&tree, &["incoming"]);
    let r = session.append("INBOX", "(\\Flagged)", message("appended").as_bytes());
    r.ok();
    session.logout();
    finish_inc(&tree, inc, "appended@test");
    // The user removes inc's new message, which sits where ours was,
    // before any session has looked at the folder.
    let taken = tree.numbers_by_id("inbox")["incoming@test"].to_string();
    tree.nmh("rmm", &["+inbox", &taken]);
    // A session looks (and repairs when it finishes); the next sees ours.
    crash_util::view(&tree, "INBOX");
    let (_, seen) = crash_util::view(&tree, "INBOX");
    let ids: Vec<&str> = seen.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["old@test", "appended@test"], "{seen:?}");
    assert!(seen[1].flags.contains(&"\\Flagged".to_string()), "{seen:?}");
    let mut ledger = Ledger::default();
    check_folder(&tree, &mut ledger, "INBOX", "inbox");
}
