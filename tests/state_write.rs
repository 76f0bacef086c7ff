//! Changes made through the store, checked with nmh's own tools: STORE
//! writes sequences `mark -list` and `scan` read, APPEND and COPY add
//! files nmh sees, EXPUNGE removes files and sequence members.

mod state_common;

use asimap::state::{FlagOp, StateError};
use chrono::DateTime;
use state_common::{Tree, flags, uid_subjects};

/// `mark -list` of one sequence ("" when absent).
fn mark_list(t: &Tree, folder: &str, seq: &str) -> String {
    let out = std::process::Command::new("/usr/bin/mh/mark")
        .args([&format!("+{folder}"), "-list", "-sequence", seq])
        .env("HOME", &t.home)
        .env("MH", t.home.join(".mh_profile"))
        .output()
        .expect("mark runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split_once(": ")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

#[test]
fn store_flags_are_what_nmh_reads() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b", "c"]);
    let mut s = t.store();
    s.sync("INBOX").unwrap();
    let rows = s.messages("INBOX").unwrap();
    let uids: Vec<u32> = rows.iter().map(|r| r.uid).collect();
    let m0 = s.sync("INBOX").unwrap().highestmodseq;

    s.store_flags(
        "INBOX",
        &uids[..2],
        FlagOp::Add,
        &flags(&["\\Seen", "\\Flagged"]),
    )
    .unwrap();
    assert_eq!(mark_list(&t, "inbox", "unseen"), "3");
    assert_eq!(mark_list(&t, "inbox", "flagged"), "1-2");
    let after = s.messages("INBOX").unwrap();
    assert_eq!(after[0].flags, ["\\Flagged", "\\Seen"]);
    assert_eq!(after[2].flags, Vec::<String>::new());
    assert!(after[0].modseq > m0 && after[1].modseq > m0);
    assert_eq!(
        after[2].modseq, rows[2].modseq,
        "untouched message keeps its MODSEQ"
    );
    let sum = s.sync("INBOX").unwrap();
    assert!(sum.highestmodseq > m0);
    assert_eq!(sum.unseen, 1);
    assert_eq!(
        s.messages("INBOX").unwrap(),
        after,
        "the next sync finds nothing to redo"
    );

    s.store_flags("INBOX", &uids[1..2], FlagOp::Remove, &flags(&["\\Seen"]))
        .unwrap();
    assert_eq!(mark_list(&t, "inbox", "unseen"), "2-3");
    // A keyword nmh would not accept as a name is escaped; scan still works.
    s.store_flags("INBOX", &uids[2..], FlagOp::Add, &flags(&["$Junk"]))
        .unwrap();
    assert_eq!(t.scan("inbox").len(), 3);
    assert_eq!(s.messages("INBOX").unwrap()[2].flags, ["$Junk"]);
}

#[test]
fn replace_keeps_cur_and_mh_only_sequences() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b"]);
    t.nmh("mark", &["+inbox", "1", "-sequence", "todo", "-add"]);
    t.nmh("mark", &["+inbox", "1", "-sequence", "replied", "-add"]);
    // `a-b` is no flag (nmh keeps such names it did not make itself).
    let path = t.mail().join("inbox/.mh_sequences");
    let text = t.sequences("inbox") + "a-b: 1\n";
    std::fs::write(&path, text).unwrap();
    let mut s = t.store();
    s.sync("INBOX").unwrap();
    let uid = s.messages("INBOX").unwrap()[0].uid;
    s.store_flags(
        "INBOX",
        &[uid],
        FlagOp::Replace,
        &flags(&["\\Seen", "\\Draft"]),
    )
    .unwrap();
    let seqs = t.sequences("inbox");
    assert!(seqs.contains("cur: 1\n"), "{seqs}");
    assert!(seqs.contains("a-b: 1\n"), "{seqs}");
    assert_eq!(
        mark_list(&t, "inbox", "todo"),
        "",
        "the keyword todo is replaced"
    );
    assert_eq!(mark_list(&t, "inbox", "replied"), "");
    assert_eq!(mark_list(&t, "inbox", "Draft"), "1");
    assert_eq!(mark_list(&t, "inbox", "unseen"), "2");
    let row = &s.messages("INBOX").unwrap()[0];
    assert_eq!(row.flags, ["\\Draft", "\\Seen"]);
}

#[test]
fn append_gives_the_next_uid_and_nmh_sees_the_message() {
    let t = Tree::new();
    t.inc("inbox", &["a"]);
    let mut s = t.store();
    let sum = s.sync("INBOX").unwrap();
    let msg = b"From: x@example.org\nSubject: appended\n\nhello\n";
    let date = DateTime::parse_from_rfc3339("2020-02-03T04:05:06+01:00").unwrap();
    let (v, uid) = s
        .append("INBOX", msg, &flags(&["\\Flagged"]), Some(date))
        .unwrap();
    assert_eq!((v, uid), (sum.uidvalidity, sum.uidnext));
    let rows = s.messages("INBOX").unwrap();
    let row = rows.iter().find(|r| r.uid == uid).expect("row committed");
    assert_eq!(row.internaldate, date.timestamp());
    assert_eq!(row.flags, ["\\Flagged"]);
    assert_eq!(std::fs::read(t.mail().join("inbox/2")).unwrap(), msg);
    assert_eq!(mark_list(&t, "inbox", "unseen"), "1-2");
    assert_eq!(mark_list(&t, "inbox", "flagged"), "2");
    let after = s.sync("INBOX").unwrap();
    assert_eq!((after.exists, after.uidnext), (2, uid + 1));
    // Seen on arrival: not in unseen.
    let (_, uid2) = s.append("INBOX", msg, &flags(&["\\Seen"]), None).unwrap();
    assert_eq!(uid2, uid + 1);
    assert_eq!(mark_list(&t, "inbox", "unseen"), "1-2");
    assert_eq!(t.scan("inbox").len(), 3);
}

#[test]
fn append_to_a_missing_mailbox_says_so() {
    let t = Tree::new();
    let mut s = t.store();
    let err = s.append("nowhere", b"x\n", &[], None).unwrap_err();
    assert!(matches!(err, StateError::NoMailbox), "{err:?}");
    assert!(!t.mail().join("nowhere").exists());
}

#[test]
fn copy_keeps_flags_date_and_cache() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b", "c"]);
    t.nmh("folder", &["-create", "-fast", "+dst"]);
    t.inc("dst", &["old"]);
    let mut s = t.store();
    s.sync("INBOX").unwrap();
    s.sync("dst").unwrap();
    let src = s.messages("INBOX").unwrap();
    let uids = [src[0].uid, src[2].uid];
    s.store_flags(
        "INBOX",
        &uids[..1],
        FlagOp::Add,
        &flags(&["\\Seen", "\\Answered"]),
    )
    .unwrap();
    s.set_cached("INBOX", &[(uids[0], b"cache-a".to_vec())])
        .unwrap();
    let dst_before = s.sync("dst").unwrap();
    let (v, pairs) = s.copy("INBOX", &uids, "dst").unwrap();
    assert_eq!(v, dst_before.uidvalidity);
    let new: Vec<u32> = pairs.iter().map(|p| p.1).collect();
    assert_eq!(pairs, vec![(uids[0], new[0]), (uids[1], new[1])]);
    assert_eq!(new, [dst_before.uidnext, dst_before.uidnext + 1]);
    let dst = s.messages("dst").unwrap();
    assert_eq!(dst[1].flags, ["\\Answered", "\\Seen"]);
    assert_eq!(dst[2].flags, Vec::<String>::new());
    assert_eq!(dst[1].internaldate, src[0].internaldate);
    assert_ne!(
        dst[1].identity.ino, src[0].identity.ino,
        "a copy is a new file"
    );
    assert_eq!(
        s.cached("dst", &new).unwrap(),
        vec![Some(b"cache-a".to_vec()), None]
    );
    assert_eq!(mark_list(&t, "dst", "unseen"), "1 3");
    assert_eq!(mark_list(&t, "dst", "replied"), "2");
    let subjects: Vec<String> = t.scan("dst").into_iter().map(|(_, s)| s).collect();
    assert_eq!(subjects, ["old", "a", "c"]);
}

#[test]
fn expunge_removes_files_and_sequence_members() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b", "c", "d"]);
    t.nmh("mark", &["+inbox", "2-3", "-sequence", "flagged", "-add"]);
    let mut s = t.store();
    let before = uid_subjects(&mut s, "INBOX");
    let m0 = s.sync("INBOX").unwrap().highestmodseq;
    let gone = s
        .expunge("INBOX", &[before[1].0, before[3].0, 9999])
        .unwrap();
    assert_eq!(gone, [before[1].0, before[3].0]);
    assert!(!t.mail().join("inbox/2").exists());
    assert_eq!(mark_list(&t, "inbox", "unseen"), "1 3");
    assert_eq!(mark_list(&t, "inbox", "flagged"), "3");
    let after = uid_subjects(&mut s, "INBOX");
    assert_eq!(after, vec![before[0].clone(), before[2].clone()]);
    assert!(s.sync("INBOX").unwrap().highestmodseq > m0);
}

#[test]
fn expunge_honours_rmmproc() {
    let t = Tree::with_profile("rmmproc: /bin/true\n");
    t.inc("inbox", &["a", "b"]);
    let mut s = t.store();
    s.sync("INBOX").unwrap();
    let uid = s.messages("INBOX").unwrap()[0].uid;
    assert_eq!(s.expunge("INBOX", &[uid]).unwrap(), [uid]);
    // rmmproc (here a no-op) decides what happens to the file.
    assert!(t.mail().join("inbox/1").exists());
    assert_eq!(mark_list(&t, "inbox", "unseen"), "2");
}

#[test]
fn opening_a_replaced_message_is_expunged() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b"]);
    let mut s = t.store();
    s.sync("INBOX").unwrap();
    let row = s.messages("INBOX").unwrap().remove(1);
    t.nmh("rmm", &["-unlink", "+inbox", "2"]);
    t.inc("inbox", &["other"]);
    let err = s.open_message("INBOX", &row).unwrap_err();
    assert!(matches!(err, StateError::Expunged), "{err:?}");
}

#[test]
fn store_after_an_outside_pack_hits_the_right_message() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b", "c"]);
    let mut s = t.store();
    let before = uid_subjects(&mut s, "INBOX");
    t.nmh("rmm", &["+inbox", "1"]);
    t.nmh("folder", &["+inbox", "-pack"]);
    // The store has not synced since; STORE must still flag "c".
    s.store_flags("INBOX", &[before[2].0], FlagOp::Add, &flags(&["\\Flagged"]))
        .unwrap();
    assert_eq!(mark_list(&t, "inbox", "flagged"), "2");
}

#[test]
fn open_finds_a_message_renumbered_since_the_rows_were_read() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b", "c"]);
    let mut s = t.store();
    s.sync("INBOX").unwrap();
    let rows = s.messages("INBOX").unwrap();
    t.nmh("rmm", &["+inbox", "1"]);
    t.nmh("folder", &["+inbox", "-pack"]);
    let scans = s.scans();
    assert_eq!(state_common::subject(&mut s, "INBOX", &rows[2]), "c");
    assert_eq!(state_common::subject(&mut s, "INBOX", &rows[1]), "b");
    assert_eq!(s.scans(), scans + 1, "one sync serves every renumbered row");
    let err = s.open_message("INBOX", &rows[0]).unwrap_err();
    assert!(matches!(err, StateError::Expunged), "{err:?}");
}

#[test]
fn rmmproc_that_runs_nmh_on_the_folder_does_not_deadlock() {
    let mut t = Tree::new();
    let script = t.home.join("to-trash");
    let home = t.home.display().to_string();
    let text = format!(
        "#!/bin/sh\nHOME={home} MH={home}/.mh_profile \
         exec /usr/bin/mh/refile -src +inbox \"$@\" +trash\n"
    );
    std::fs::write(&script, text).unwrap();
    let status = std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status();
    assert!(status.unwrap().success());
    t.profile.rmmproc = Some(script.display().to_string());
    t.inc("inbox", &["a", "b"]);
    t.nmh("folder", &["-create", "-fast", "+trash"]);
    let mut s = t.store();
    s.sync("INBOX").unwrap();
    let uid = s.messages("INBOX").unwrap()[0].uid;
    assert_eq!(s.expunge("INBOX", &[uid]).unwrap(), [uid]);
    let subjects: Vec<String> = t.scan("trash").into_iter().map(|(_, s)| s).collect();
    assert_eq!(subjects, ["a"]);
    assert_eq!(uid_subjects(&mut s, "INBOX").len(), 1);
}

#[test]
fn rows_and_cache_without_an_explicit_sync() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b"]);
    let mut s = t.store();
    let rows = s.messages("INBOX").unwrap();
    assert_eq!(rows.len(), 2, "messages() syncs a folder it never saw");
    let (a, b) = (rows[0].uid, rows[1].uid);
    s.set_cached("INBOX", &[(b, b"B".to_vec()), (424242, b"x".to_vec())])
        .unwrap();
    let got = s.cached("INBOX", &[b, 999, a, b]).unwrap();
    assert_eq!(
        got,
        vec![Some(b"B".to_vec()), None, None, Some(b"B".to_vec())]
    );
}

#[test]
fn copy_of_nothing_changes_nothing() {
    let t = Tree::new();
    t.inc("inbox", &["a"]);
    t.nmh("folder", &["-create", "-fast", "+dst"]);
    let mut s = t.store();
    let before = s.sync("dst").unwrap();
    let (v, pairs) = s.copy("INBOX", &[777], "dst").unwrap();
    assert_eq!((v, pairs.len()), (before.uidvalidity, 0));
    assert_eq!(s.sync("dst").unwrap().highestmodseq, before.highestmodseq);
    assert!(matches!(
        s.copy("INBOX", &[1], "nowhere"),
        Err(StateError::NoMailbox)
    ));
}
