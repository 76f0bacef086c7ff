//! Syncing private sequences (nmh's context file) through the store: a
//! change there re-reads the sequences but not the directory, and the
//! profile's `context` key is honoured.

mod state_common;

use asimap::state::FlagOp;
use state_common::{Tree, flags};

#[test]
fn a_context_change_rereads_sequences_not_the_directory() {
    let t = Tree::with_profile("mh-sequences:\n");
    t.inc("inbox", &["a", "b"]);
    t.settle("inbox");
    let mut s = t.store();
    assert_eq!(s.sync("INBOX").unwrap().unseen, 2);
    let scans = s.scans();
    s.sync("INBOX").unwrap();
    assert_eq!(s.scans(), scans, "an unchanged folder is not read");

    t.nmh("mark", &["+inbox", "1", "-sequence", "flagged"]);
    s.sync("INBOX").unwrap();
    assert_eq!(
        s.scans(),
        scans,
        "mark in the context does not touch the directory"
    );
    assert_eq!(s.messages("INBOX").unwrap()[0].flags, flags(&["\\Flagged"]));
}

#[test]
fn the_profiles_context_key_is_where_private_sequences_are() {
    let t = Tree::with_profile("mh-sequences:\ncontext: state/ctx\n");
    std::fs::create_dir(t.mail().join("state")).unwrap();
    t.inc("inbox", &["a", "b"]);
    let ctx = std::fs::read_to_string(t.mail().join("state/ctx")).unwrap();
    assert!(ctx.contains("atr-unseen-"), "{ctx}");
    assert!(!t.mail().join("context").exists());

    let mut s = t.store();
    assert_eq!(s.sync("INBOX").unwrap().unseen, 2);
    let uid = s.messages("INBOX").unwrap()[1].uid;
    let seen = flags(&["\\Seen"]);
    s.store_flags("INBOX", &[uid], FlagOp::Add, &seen).unwrap();
    let out = t.nmh("mark", &["+inbox", "-list", "-sequence", "unseen"]);
    assert_eq!(out.trim(), "unseen (private): 1");
}

/// Lets a context rewrite grow older than the sync's settling time (a
/// stamp younger than that is never trusted). `Tree::settle` would change
/// the directory's ctime, which a sync rightly takes for a change.
fn let_context_settle() {
    std::thread::sleep(std::time::Duration::from_millis(150));
}

#[test]
fn a_context_change_elsewhere_does_not_reread_the_folders_sequences() {
    let t = Tree::with_profile("mh-sequences:\n");
    t.inc("inbox", &["a", "b"]);
    t.inc("other", &["c"]);
    t.nmh("mark", &["+inbox", "1", "-sequence", "flagged"]);
    t.settle("inbox");
    let mut s = t.store();
    s.sync("INBOX").unwrap();
    let reads = s.sequence_reads();
    let (scans, before) = (s.scans(), s.messages("INBOX").unwrap());
    // nmh rewrites the context for a change of the current folder and for
    // a private sequence of another folder.
    t.nmh("folder", &["+other"]);
    t.nmh("mark", &["+other", "-sequence", "x", "-add", "all"]);
    let_context_settle();
    assert_eq!(s.sync("INBOX").unwrap().unseen, 2);
    assert_eq!(s.sequence_reads(), reads, "nothing of inbox changed");
    assert_eq!(s.messages("INBOX").unwrap(), before);
    // Nor does the next sync read them: the new stamps were stored.
    s.sync("INBOX").unwrap();
    assert_eq!(s.sequence_reads(), reads);

    t.nmh("mark", &["+inbox", "2", "-sequence", "flagged"]);
    let_context_settle();
    s.sync("INBOX").unwrap();
    assert_eq!(s.sequence_reads(), reads + 1, "inbox's own fields changed");
    assert_eq!(s.scans(), scans, "the directory is still not read");
    let flagged = flags(&["\\Flagged"]);
    assert!(
        s.messages("INBOX")
            .unwrap()
            .iter()
            .all(|m| m.flags == flagged)
    );
}

#[test]
fn a_context_put_back_after_our_store_is_still_read() {
    // The print stored by the last sync describes the context before our
    // STORE; `mark -delete` puts the text back as it was, but the rows
    // hold the STORE's flag, so the folder must be read again.
    let t = Tree::with_profile("mh-sequences:\n");
    t.inc("inbox", &["a", "b"]);
    t.settle("inbox");
    let mut s = t.store();
    s.sync("INBOX").unwrap();
    let uid = s.messages("INBOX").unwrap()[0].uid;
    let flagged = flags(&["\\Flagged"]);
    s.store_flags("INBOX", &[uid], FlagOp::Add, &flagged)
        .unwrap();
    t.nmh("mark", &["+inbox", "1", "-sequence", "flagged", "-delete"]);
    let_context_settle();
    s.sync("INBOX").unwrap();
    assert_eq!(s.messages("INBOX").unwrap()[0].flags, flags(&[]));
}
