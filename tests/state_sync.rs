//! Syncing against a real MH tree changed by real nmh commands: UIDs follow
//! message identity, removals are expunges of exactly those UIDs, flag
//! changes made by `mark` arrive with a MODSEQ bump.

mod state_common;

use state_common::{Tree, flags, uid_subjects};

#[test]
fn uids_survive_folder_pack() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b", "c", "d"]);
    let mut s = t.store();
    let before = uid_subjects(&mut s, "INBOX");
    t.nmh("rmm", &["+inbox", "2"]);
    t.nmh("folder", &["+inbox", "-pack"]);
    let after = uid_subjects(&mut s, "INBOX");
    let expect: Vec<_> = before.iter().filter(|(_, s)| s != "b").cloned().collect();
    assert_eq!(after, expect);
    let numbers: Vec<u32> = s
        .messages("INBOX")
        .unwrap()
        .iter()
        .map(|r| r.number)
        .collect();
    assert_eq!(numbers, [1, 2, 3], "rows must carry the packed numbers");
}

#[test]
fn uids_survive_sortm() {
    let t = Tree::new();
    t.inc("inbox", &["c", "a", "b"]);
    let mut s = t.store();
    let before = uid_subjects(&mut s, "INBOX");
    t.nmh("sortm", &["+inbox", "-textfield", "subject", "-limit", "0"]);
    assert_eq!(
        t.scan("inbox")
            .iter()
            .map(|(_, s)| s.as_str())
            .collect::<Vec<_>>(),
        ["a", "b", "c"],
        "sortm did not reorder"
    );
    let after = uid_subjects(&mut s, "INBOX");
    assert_eq!(after, before, "same UID must still name the same message");
    let summary = s.sync("INBOX").unwrap();
    assert_eq!(summary.exists, 3);
}

#[test]
fn refile_out_and_back_keeps_the_uid_in_each_folder() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b", "c"]);
    t.nmh("folder", &["-create", "-fast", "+work"]);
    // Written a while ago: refile links the very file into +work, where
    // a file written this moment could be one inc is still filling.
    t.settle("inbox");
    let mut s = t.store();
    let inbox = uid_subjects(&mut s, "INBOX");
    s.sync("work").unwrap();
    t.nmh("refile", &["-src", "+inbox", "2", "+work"]);
    let inbox_after = uid_subjects(&mut s, "INBOX");
    assert_eq!(inbox_after, vec![inbox[0].clone(), inbox[2].clone()]);
    let work = uid_subjects(&mut s, "work");
    assert_eq!(work.len(), 1);
    assert_eq!(work[0].1, "b");
    // Move it back and pack: the message is new to INBOX (a new UID), the
    // others keep theirs.
    t.nmh("refile", &["-src", "+work", "1", "+inbox"]);
    t.nmh("folder", &["+inbox", "-pack"]);
    let back = uid_subjects(&mut s, "INBOX");
    assert_eq!(&back[..2], &inbox_after[..]);
    assert_eq!(back[2].1, "b");
    assert!(back[2].0 > inbox[2].0, "UIDs only ascend");
    assert!(uid_subjects(&mut s, "work").is_empty());
}

#[test]
fn rmm_expunges_exactly_that_uid_and_records_it() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b", "c"]);
    let mut s = t.store();
    let before = uid_subjects(&mut s, "INBOX");
    let m0 = s.sync("INBOX").unwrap().highestmodseq;
    t.nmh("rmm", &["+inbox", "2"]);
    let after = uid_subjects(&mut s, "INBOX");
    assert_eq!(after, vec![before[0].clone(), before[2].clone()]);
    let sum = s.sync("INBOX").unwrap();
    assert!(sum.highestmodseq > m0, "an expunge bumps HIGHESTMODSEQ");
    assert_eq!(sum.exists, 2);
}

#[test]
fn rmm_plus_inc_with_the_same_count_is_seen() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b", "c"]);
    let mut s = t.store();
    let before = uid_subjects(&mut s, "INBOX");
    t.nmh("rmm", &["-unlink", "+inbox", "3"]);
    t.inc("inbox", &["d"]);
    let after = uid_subjects(&mut s, "INBOX");
    assert_eq!(after.len(), 3);
    assert_eq!(&after[..2], &before[..2]);
    assert_eq!(after[2].1, "d");
    assert!(
        after[2].0 > before[2].0,
        "the new message must get a new UID"
    );
    let sum = s.sync("INBOX").unwrap();
    assert_eq!(sum.uidnext, after[2].0 + 1);
}

#[test]
fn mark_changes_flags_with_a_modseq_bump() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b", "c"]);
    let mut s = t.store();
    let sum = s.sync("INBOX").unwrap();
    assert_eq!(sum.unseen, 3, "inc leaves messages unseen");
    let rows = s.messages("INBOX").unwrap();
    t.nmh("mark", &["+inbox", "2", "-sequence", "flagged", "-add"]);
    t.nmh("mark", &["+inbox", "3", "-sequence", "unseen", "-delete"]);
    let sum2 = s.sync("INBOX").unwrap();
    assert!(sum2.highestmodseq > sum.highestmodseq);
    assert_eq!(sum2.unseen, 2);
    let rows2 = s.messages("INBOX").unwrap();
    assert_eq!(rows2[0], rows[0], "untouched message must not change");
    assert_eq!(rows2[1].flags, ["\\Flagged"]);
    assert_eq!(rows2[2].flags, ["\\Seen"]);
    assert!(rows2[1].modseq > rows[1].modseq && rows2[2].modseq > rows[2].modseq);
    assert_eq!(rows2[1].uid, rows[1].uid);
}

#[test]
fn unchanged_folder_is_not_read_again() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b"]);
    t.settle("inbox");
    let mut s = t.store();
    let first = s.sync("INBOX").unwrap();
    let rows = s.messages("INBOX").unwrap();
    let scans = s.scans();
    assert_eq!(scans, 1);
    let second = s.sync("INBOX").unwrap();
    assert_eq!(second, first);
    assert_eq!(s.messages("INBOX").unwrap(), rows);
    assert_eq!(
        s.scans(),
        scans,
        "an unchanged folder must cost two stats only"
    );
    // A second store (another session) on the same file reads nothing
    // either.
    let mut other = t.store();
    assert_eq!(other.sync("INBOX").unwrap(), first);
    assert_eq!(other.scans(), 0);
}

#[test]
fn flags_only_change_rereads_sequences_not_the_directory() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b"]);
    t.settle("inbox");
    let mut s = t.store();
    s.sync("INBOX").unwrap();
    t.nmh("mark", &["+inbox", "1", "-sequence", "replied", "-add"]);
    let scans = s.scans();
    s.sync("INBOX").unwrap();
    assert_eq!(s.scans(), scans, "mark does not touch the directory");
    assert_eq!(s.messages("INBOX").unwrap()[0].flags, ["\\Answered"]);
}

#[test]
fn lost_state_file_gives_a_new_uidvalidity() {
    let t = Tree::new();
    t.inc("inbox", &["a"]);
    let mut s = t.store();
    let v1 = s.sync("INBOX").unwrap().uidvalidity;
    let path = s.state_path().to_path_buf();
    drop(s);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    // The clock has a one-second grain; a new UIDVALIDITY must not repeat
    // the old one even when the file is recreated within that second.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let mut s = t.store();
    let v2 = s.sync("INBOX").unwrap().uidvalidity;
    assert!(v2 > v1, "{v2} must be above {v1}");
}

#[test]
fn two_stores_on_one_file_agree() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b"]);
    let mut one = t.store();
    let mut two = t.store();
    let a = one.sync("INBOX").unwrap();
    let b = two.sync("INBOX").unwrap();
    assert_eq!(a, b);
    assert_eq!(
        one.messages("INBOX").unwrap(),
        two.messages("INBOX").unwrap()
    );
    t.inc("inbox", &["c"]);
    t.nmh("rmm", &["+inbox", "1"]);
    let b2 = two.sync("INBOX").unwrap();
    let a2 = one.sync("INBOX").unwrap();
    assert_eq!(a2, b2, "the second sync finds nothing left to do");
    assert_eq!(a2.uidnext, a.uidnext + 1, "one UID handed out, not two");
    assert_eq!(
        one.messages("INBOX").unwrap(),
        two.messages("INBOX").unwrap()
    );
    let v = one.data_version().unwrap();
    two.set_subscribed("INBOX", true).unwrap();
    assert_ne!(
        one.data_version().unwrap(),
        v,
        "another connection committed"
    );
}

#[test]
fn recent_is_claimed_once() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b"]);
    let mut one = t.store();
    let mut two = t.store();
    assert_eq!(one.sync("INBOX").unwrap().recent, 2);
    let uids: Vec<u32> = one
        .messages("INBOX")
        .unwrap()
        .iter()
        .map(|r| r.uid)
        .collect();
    assert_eq!(one.claim_recent("INBOX", &uids).unwrap(), uids);
    assert!(two.claim_recent("INBOX", &uids).unwrap().is_empty());
    assert_eq!(two.sync("INBOX").unwrap().recent, 0);
}

#[test]
fn linked_twice_into_one_folder_gives_two_uids() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b"]);
    let mut s = t.store();
    let before = uid_subjects(&mut s, "INBOX");
    t.nmh("refile", &["-link", "-src", "+inbox", "1", "+inbox"]);
    let after = uid_subjects(&mut s, "INBOX");
    assert_eq!(&after[..2], &before[..]);
    assert_eq!(after.len(), 3);
    assert_eq!(after[2].1, "a");
}

#[test]
fn anno_keeps_the_uid_and_drops_the_cache() {
    let t = Tree::new();
    t.inc("inbox", &["a"]);
    let mut s = t.store();
    s.sync("INBOX").unwrap();
    let row = s.messages("INBOX").unwrap().remove(0);
    s.set_cached("INBOX", &[(row.uid, b"blob".to_vec())])
        .unwrap();
    t.nmh(
        "anno",
        &["+inbox", "1", "-component", "X-Note", "-text", "hello"],
    );
    s.sync("INBOX").unwrap();
    let after = s.messages("INBOX").unwrap().remove(0);
    assert_eq!(after.uid, row.uid);
    assert_ne!(after.identity.size, row.identity.size);
    assert_eq!(s.cached("INBOX", &[row.uid]).unwrap(), vec![None]);
    // The file is readable under the new identity.
    assert_eq!(state_common::subject(&mut s, "INBOX", &after), "a");
}

#[test]
fn append_reads_a_folder_only_if_it_was_never_read() {
    let t = Tree::new();
    t.inc("inbox", &["a", "b"]);
    t.inc("other", &["c"]);
    t.settle("inbox");
    let mut s = t.store();
    let msg = b"From: x@example.org\nSubject: new\n\nnew\n";
    // Never read: the messages already there get their UIDs first.
    let (_, uid) = s.append("INBOX", msg, &flags(&[]), None).unwrap();
    let rows = s.messages("INBOX").unwrap();
    let by_number: Vec<(u32, u32)> = rows.iter().map(|r| (r.number, r.uid)).collect();
    assert_eq!(by_number, vec![(1, 1), (2, 2), (3, uid)], "{rows:?}");
    assert_eq!(uid, 3);
    // Read before: APPEND reads no directory, however many it adds.
    let scans = s.scans();
    for _ in 0..5 {
        s.append("INBOX", msg, &flags(&[]), None).unwrap();
    }
    assert_eq!(s.scans(), scans, "APPEND read the folder again");
    // The sync that follows finds them all, each with its UID.
    assert_eq!(s.sync("INBOX").unwrap().exists, 8);
    let uids: Vec<u32> = s.messages("INBOX").unwrap().iter().map(|r| r.uid).collect();
    assert_eq!(uids, (1..=8).collect::<Vec<u32>>());
}
