//! nmh and asimap-stdio on the same tree, one after the other: after
//! `folder -pack`, `sortm`, `refile`, `rmm`, `inc` and `mark`, a new session
//! shows the same UIDs for the surviving messages and flags equal to
//! `.mh_sequences`; nmh still works on every folder the server wrote; a
//! corrupt `.mh_sequences` is read leniently and never made worse.

mod common;

use std::fs;

use common::{MhTree, Snapshot, flags_from_sequences, ids, snapshot, without_recent};

/// Asserts that every message's flags equal what `.mh_sequences` says,
/// matching messages by Message-ID (IMAP sequence numbers follow UIDs, not
/// MH numbers, so after `sortm` the two orders differ).
#[track_caller]
fn assert_flags_match_sequences(tree: &MhTree, folder: &str, snap: &Snapshot) {
    let seqs = tree.sequences(folder);
    let numbers = tree.numbers_by_id(folder);
    assert_eq!(numbers.len(), snap.messages.len(), "{snap:#?}");
    for (id, n) in &numbers {
        let want = flags_from_sequences(&seqs, *n);
        let got = without_recent(&snap.msg(id).flags);
        assert_eq!(got, want, "message {n} ({id}) of {folder}: {seqs:?}");
    }
}

/// Asserts that sequence numbers ascend with UIDs (RFC 3501 section 2.3.1.2).
#[track_caller]
fn assert_seq_follows_uid(snap: &Snapshot) {
    let mut views: Vec<&common::MsgView> = snap.messages.values().collect();
    views.sort_by_key(|v| v.seq);
    let seqs: Vec<u32> = views.iter().map(|v| v.seq).collect();
    assert_eq!(
        seqs,
        (1..=views.len() as u32).collect::<Vec<_>>(),
        "{snap:#?}"
    );
    assert!(views.windows(2).all(|w| w[0].uid < w[1].uid), "{snap:#?}");
}

#[track_caller]
fn assert_same_uids(before: &Snapshot, after: &Snapshot, survivors: &[String]) {
    assert_eq!(before.uidvalidity, after.uidvalidity, "UIDVALIDITY changed");
    for id in survivors {
        assert_eq!(before.msg(id).uid, after.msg(id).uid, "UID of {id} changed");
    }
}

fn tree(count: u32) -> MhTree {
    let tree = MhTree::new();
    tree.fill("inbox", count);
    tree.write_sequences("inbox", "unseen: 2-4\nflagged: 3\n");
    tree
}

#[test]
fn uids_survive_rmm_and_folder_pack() {
    // Pitfalls 1 and 2.
    let tree = tree(6);
    let before = snapshot(&tree, "INBOX");
    tree.nmh("rmm", &["+inbox", "2", "4"]);
    let after_rmm = snapshot(&tree, "INBOX");
    let survivors: Vec<String> = ["m1", "m3", "m5", "m6"]
        .iter()
        .map(|s| format!("{s}@test"))
        .collect();
    assert_eq!(
        after_rmm.messages.keys().cloned().collect::<Vec<_>>(),
        survivors
    );
    assert_same_uids(&before, &after_rmm, &survivors);

    tree.nmh("folder", &["+inbox", "-pack"]);
    assert_eq!(tree.numbers("inbox"), vec![1, 2, 3, 4]);
    let packed = snapshot(&tree, "INBOX");
    assert_same_uids(&before, &packed, &survivors);
    assert_seq_follows_uid(&packed);
    assert_flags_match_sequences(&tree, "inbox", &packed);
}

#[test]
fn uids_survive_sortm() {
    // Pitfall 1: sortm renumbers by date.
    let tree = MhTree::new();
    for (n, day) in [(1, 9), (2, 3), (3, 7), (4, 1)] {
        let msg = common::simple_message(&format!("d{day}"), "Sorted", "x\n")
            .replace("Tue, 3 Mar 2026", &format!("{day} Mar 2026"));
        tree.write_msg("inbox", n, msg);
    }
    tree.write_sequences("inbox", "flagged: 1\nunseen: 4\n");
    let before = snapshot(&tree, "INBOX");
    tree.nmh("sortm", &["+inbox"]);
    let after = snapshot(&tree, "INBOX");
    let all: Vec<String> = before.messages.keys().cloned().collect();
    assert_same_uids(&before, &after, &all);
    assert_eq!(
        tree.numbers_by_id("inbox")["d1@test"],
        1,
        "sortm put the oldest first"
    );
    assert_seq_follows_uid(&after);
    assert!(
        after
            .msg("d9@test")
            .flags
            .contains(&"\\Flagged".to_string())
    );
    assert_flags_match_sequences(&tree, "inbox", &after);
}

#[test]
fn refile_moves_a_message_out_of_one_folder_and_into_another() {
    // Pitfall 2: exactly that UID disappears; the other folder gains one.
    let tree = tree(4);
    tree.fill("work", 1);
    let inbox_before = snapshot(&tree, "INBOX");
    let work_before = snapshot(&tree, "work");
    tree.nmh("refile", &["-src", "+inbox", "3", "+work"]);
    let inbox_after = snapshot(&tree, "INBOX");
    let work_after = snapshot(&tree, "work");
    let survivors = [ids(1..=2), ids(4..=4)].concat();
    assert_eq!(
        inbox_after.messages.keys().cloned().collect::<Vec<_>>(),
        survivors
    );
    assert_same_uids(&inbox_before, &inbox_after, &survivors);
    assert_same_uids(&work_before, &work_after, &ids(1..=1));
    let refiled = work_after.msg("m3@test").uid;
    let old_max = work_before.messages.values().map(|v| v.uid).max().unwrap();
    assert!(
        refiled > old_max,
        "a refiled message gets a new, higher UID in work"
    );
    assert_flags_match_sequences(&tree, "inbox", &inbox_after);
}

#[test]
fn inc_adds_messages_with_new_uids_and_keeps_the_old_ones() {
    // Pitfall 4.
    let tree = tree(3);
    let before = snapshot(&tree, "INBOX");
    tree.inc_mbox("inbox", &common::mbox(&["n1", "n2"]));
    let after = snapshot(&tree, "INBOX");
    assert_same_uids(&before, &after, &ids(1..=3));
    let old_max = before.messages.values().map(|v| v.uid).max().unwrap();
    let (a, b) = (after.msg("n1@test").uid, after.msg("n2@test").uid);
    assert!(
        a > old_max && b > a,
        "new UIDs ascend: {a} {b} after {old_max}"
    );
    assert_flags_match_sequences(&tree, "inbox", &after);
    assert!(
        !after.msg("n1@test").flags.contains(&"\\Seen".to_string()),
        "inc marks unseen"
    );
}

#[test]
fn rmm_plus_inc_with_an_unchanged_count_is_still_a_change() {
    // Pitfall 3.
    let tree = tree(3);
    let before = snapshot(&tree, "INBOX");
    tree.nmh("rmm", &["+inbox", "3"]);
    tree.inc_mbox("inbox", &common::mbox(&["late"]));
    assert_eq!(tree.numbers("inbox").len(), 3);
    let after = snapshot(&tree, "INBOX");
    assert!(!after.messages.contains_key("m3@test"), "{after:#?}");
    let old_max = before.messages.values().map(|v| v.uid).max().unwrap();
    assert!(after.msg("late@test").uid > old_max);
    assert_same_uids(&before, &after, &ids(1..=2));
}

#[test]
fn mark_between_sessions_changes_flags() {
    // Pitfall 7: only .mh_sequences changes.
    let tree = tree(4);
    let before = snapshot(&tree, "INBOX");
    tree.nmh("mark", &["+inbox", "2", "-sequence", "flagged"]);
    tree.nmh("mark", &["+inbox", "2", "-sequence", "unseen", "-delete"]);
    tree.nmh("mark", &["+inbox", "1", "-sequence", "replied"]);
    let after = snapshot(&tree, "INBOX");
    assert_same_uids(&before, &after, &ids(1..=4));
    let m2 = without_recent(&after.msg("m2@test").flags);
    assert_eq!(m2, ["\\Flagged", "\\Seen"]);
    assert!(
        after
            .msg("m1@test")
            .flags
            .contains(&"\\Answered".to_string())
    );
    assert_flags_match_sequences(&tree, "inbox", &after);
}

#[test]
fn an_interactive_session_sees_nmh_changes_on_noop() {
    // Pitfalls 2 and 7 within one session.
    let tree = tree(3);
    let mut c = tree.client();
    c.select("INBOX");
    tree.nmh("rmm", &["+inbox", "2"]);
    tree.nmh("mark", &["+inbox", "3", "-sequence", "flagged"]);
    let r = c.ok("NOOP");
    assert_eq!(r.numbered("EXPUNGE"), vec![2], "{r}");
    let r = c.ok("FETCH 2 (FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
    let f = r.fetch(2);
    assert!(f.flags().contains(&"\\Flagged".to_string()), "{r}");
    c.logout();
}

#[test]
fn nmh_scan_and_mark_work_on_every_folder_the_server_wrote() {
    let tree = tree(3);
    let mut c = tree.client();
    c.ok("CREATE projects/alpha");
    c.ok("CREATE archive");
    for folder in ["projects/alpha", "archive", "INBOX"] {
        let msg = common::simple_message(&format!("srv-{}", folder.len()), "Server", "hi\n");
        c.append(
            folder,
            "(\\Flagged $Junk)",
            msg.replace('\n', "\r\n").as_bytes(),
        )
        .ok();
    }
    c.select("INBOX");
    c.ok("STORE 1:2 +FLAGS (\\Seen \\Answered work $Forwarded foo:bar)");
    c.ok("COPY 1:3 archive");
    c.ok("MOVE 2 projects/alpha");
    c.ok("STORE 1 +FLAGS.SILENT (\\Deleted)");
    c.ok("EXPUNGE");
    c.logout();
    for folder in ["inbox", "projects/alpha", "archive"] {
        let text = tree.sequences_text(folder);
        for line in text.lines() {
            assert!(
                line.contains(':') && !line.trim().is_empty(),
                "{folder}: bad line {line:?}"
            );
        }
        let scan = tree.scan(folder);
        assert_eq!(
            scan.lines().count(),
            tree.numbers(folder).len(),
            "{folder}:\n{scan}"
        );
        tree.nmh("mark", &[&format!("+{folder}"), "-list"]);
        tree.nmh(
            "mark",
            &[&format!("+{folder}"), "all", "-sequence", "checked"],
        );
        let snap = snapshot(&tree, folder_name(folder));
        assert_flags_match_sequences_loosely(&tree, folder, &snap);
    }
}

fn folder_name(folder: &str) -> &str {
    if folder == "inbox" { "INBOX" } else { folder }
}

/// Like [`assert_flags_match_sequences`] for the system flags only
/// (keywords may be stored under escaped names).
#[track_caller]
fn assert_flags_match_sequences_loosely(tree: &MhTree, folder: &str, snap: &Snapshot) {
    let seqs = tree.sequences(folder);
    for (id, n) in tree.numbers_by_id(folder) {
        let v = snap.msg(&id);
        let want: Vec<String> = flags_from_sequences(&seqs, n)
            .into_iter()
            .filter(|f| f.starts_with('\\'))
            .collect();
        let got: Vec<String> = without_recent(&v.flags)
            .into_iter()
            .filter(|f| f.starts_with('\\'))
            .collect();
        assert_eq!(got, want, "message {n} of {folder}: {seqs:?}");
        assert!(
            v.flags.contains(&"checked".to_string()),
            "nmh's mark not seen: {v:?}"
        );
    }
}

#[test]
fn a_corrupt_sequences_file_is_read_leniently_and_never_made_worse() {
    let tree = tree(4);
    let corrupt = "unseen: 1-2\n\ngarbage line\nflagged: 3\nbogus: 9-7 x 4\n";
    tree.write_sequences("inbox", corrupt);
    assert!(
        !tree.nmh_output("scan", &["+inbox"], None).status.success(),
        "nmh refuses it"
    );
    let snap = snapshot(&tree, "INBOX");
    let flags = |id: &str| without_recent(&snap.msg(id).flags);
    assert!(
        !flags("m1@test").contains(&"\\Seen".to_string()),
        "{snap:#?}"
    );
    assert!(
        flags("m3@test").contains(&"\\Flagged".to_string()),
        "{snap:#?}"
    );
    assert!(
        flags("m4@test").contains(&"\\Seen".to_string()),
        "{snap:#?}"
    );

    let mut c = tree.client();
    c.select("INBOX");
    c.ok("STORE 4 +FLAGS (\\Flagged)");
    c.logout();
    let text = tree.sequences_text("inbox");
    let bad = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| !l.contains(':') || l.trim().is_empty())
            .map(String::from)
            .collect()
    };
    for line in bad(&text) {
        assert!(
            bad(corrupt).contains(&line),
            "a new bad line {line:?} in\n{text}"
        );
    }
    let seqs = common::parse_sequences(&text);
    assert_eq!(seqs["unseen"], common::set(&[1, 2]), "{text}");
    assert_eq!(seqs["flagged"], common::set(&[3, 4]), "{text}");
}

#[test]
fn uidvalidity_after_losing_the_state_file_is_new() {
    // Pitfall 5: taken from the clock, never a restarted counter.
    let tree = tree(2);
    let before = snapshot(&tree, "INBOX");
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(tree.mail().join(format!(".asimap.sqlite{suffix}")));
    }
    // A clock-based value needs the clock to move on.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let after = snapshot(&tree, "INBOX");
    assert_ne!(after.uidvalidity, before.uidvalidity);
    assert!(
        after.uidvalidity > 1,
        "UIDVALIDITY looks like a counter: {}",
        after.uidvalidity
    );
}

#[test]
fn server_writes_leave_nmh_numbers_and_cur_alone() {
    // Pitfall 6.
    let tree = tree(5);
    tree.write_sequences("inbox", "cur: 4\nunseen: 5\n");
    let mut c = tree.client();
    c.select("INBOX");
    c.ok("STORE 2 +FLAGS.SILENT (\\Deleted)");
    c.ok("EXPUNGE");
    c.ok("STORE 1 FLAGS (\\Seen)");
    c.logout();
    assert_eq!(tree.numbers("inbox"), vec![1, 3, 4, 5]);
    assert_eq!(tree.sequence("inbox", "cur"), common::set(&[4]));
    let out = tree.nmh("mark", &["+inbox", "-list"]);
    assert!(out.contains("cur: 4"), "{out}");
}

#[test]
fn one_file_linked_twice_in_a_folder_is_two_messages() {
    // `refile -link` into the same folder: two numbers, one inode.
    let tree = tree(2);
    let before = snapshot(&tree, "INBOX");
    tree.nmh("refile", &["-link", "-src", "+inbox", "1", "+inbox"]);
    assert_eq!(tree.numbers("inbox"), vec![1, 2, 3]);
    let t = tree.run_script("a1 EXAMINE INBOX\r\na2 FETCH 1:* UID\r\na3 LOGOUT\r\n");
    assert_eq!(t.reply("a1").numbered("EXISTS"), vec![3]);
    let mut uids: Vec<u32> = t
        .reply("a2")
        .fetches()
        .iter()
        .map(|(_, f)| f.uid())
        .collect();
    uids.sort_unstable();
    uids.dedup();
    assert_eq!(uids.len(), 3, "each number needs its own UID: {uids:?}");
    let m1 = before.msg("m1@test").uid;
    let m2 = before.msg("m2@test").uid;
    assert!(
        uids.contains(&m1) && uids.contains(&m2),
        "{uids:?} lost {m1} or {m2}"
    );
}

#[test]
fn a_long_mix_of_imap_and_nmh_keeps_uids_and_flags_consistent() {
    // Issue 2's closing condition, step by step.
    let tree = tree(8);
    for i in 1..=8u32 {
        let msg = common::simple_message(&format!("m{i}"), "Mixed", "x\n")
            .replace("Tue, 3 Mar 2026", &format!("{} Mar 2026", 20 - i));
        tree.write_msg("inbox", i, msg);
    }
    tree.add_simple("work", 1, "w1");
    let mut last = snapshot(&tree, "INBOX");
    let steps: &[(&str, &[&str])] = &[
        (
            "imap",
            &[
                "STORE 1:3 +FLAGS (\\Answered)",
                "STORE 5 +FLAGS (\\Deleted)",
                "EXPUNGE",
            ],
        ),
        ("rmm", &["+inbox", "2"]),
        ("folder", &["+inbox", "-pack"]),
        ("mark", &["+inbox", "1", "-sequence", "flagged"]),
        (
            "imap",
            &["STORE 1:* -FLAGS (\\Seen)", "STORE 2 +FLAGS (\\Seen)"],
        ),
        ("sortm", &["+inbox"]),
        ("refile", &["-src", "+inbox", "last", "+work"]),
        ("imap", &["STORE 1 +FLAGS (\\Flagged)"]),
        ("folder", &["+inbox", "-pack"]),
    ];
    for (prog, args) in steps {
        if *prog == "imap" {
            let mut c = tree.client();
            c.select("INBOX");
            for cmd in *args {
                c.ok(cmd);
            }
            c.logout();
        } else {
            let numbers = tree.numbers_by_id("inbox");
            tree.nmh(prog, args);
            if *prog == "sortm" {
                assert_ne!(
                    tree.numbers_by_id("inbox"),
                    numbers,
                    "sortm changed nothing"
                );
            }
        }
        let now = snapshot(&tree, "INBOX");
        let survivors: Vec<String> = now
            .messages
            .keys()
            .filter(|k| last.messages.contains_key(*k))
            .cloned()
            .collect();
        assert_eq!(
            survivors.len(),
            now.messages.len(),
            "after {prog}: a new message appeared"
        );
        assert_same_uids(&last, &now, &survivors);
        assert_seq_follows_uid(&now);
        assert_flags_match_sequences(&tree, "inbox", &now);
        tree.scan("inbox");
        last = now;
    }
    let work = snapshot(&tree, "work");
    assert_eq!(work.messages.len(), 2);
    assert_flags_match_sequences(&tree, "work", &work);
}
