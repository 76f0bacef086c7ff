//! STORE and flags through the real asimap-stdio: the flag mapping onto MH
//! sequences, keywords escaped reversibly (pitfall 10), `cur` and the
//! Unseen-Sequence kept out of keywords and through STORE FLAGS (11, 13),
//! and the file nmh reads afterwards.

mod common;

use common::{MhTree, set};

fn tree() -> MhTree {
    let tree = MhTree::new();
    tree.fill("inbox", 4);
    tree.write_sequences("inbox", "cur: 2\nunseen: 1-4\n");
    tree
}

#[test]
fn system_flags_map_onto_mh_sequences() {
    let tree = tree();
    let mut c = tree.client();
    c.select("INBOX");
    c.ok("STORE 1 +FLAGS (\\Seen \\Answered)");
    c.ok("STORE 2 +FLAGS (\\Flagged \\Draft)");
    c.ok("STORE 3 +FLAGS (\\Deleted)");
    c.logout();
    let seqs = tree.sequences("inbox");
    assert_eq!(seqs["unseen"], set(&[2, 3, 4]), "{seqs:?}");
    assert_eq!(seqs["replied"], set(&[1]));
    assert_eq!(seqs["flagged"], set(&[2]));
    assert_eq!(seqs["Draft"], set(&[2]));
    assert_eq!(seqs["Deleted"], set(&[3]));
    assert_eq!(seqs["cur"], set(&[2]));
    tree.nmh("mark", &["+inbox", "-list"]);
}

#[test]
fn store_answers_with_fetch_flags_unless_silent() {
    let tree = tree();
    let mut c = tree.client();
    c.select("INBOX");
    let r = c.ok("STORE 1 +FLAGS (\\Flagged)");
    let f = r.fetch(1);
    assert_eq!(common::without_recent(&f.flags()), ["\\Flagged"]);
    let r = c.ok("STORE 1 -FLAGS.SILENT (\\Flagged)");
    assert!(r.fetches().is_empty(), "{r}");
    let r = c.ok("UID STORE 1:* FLAGS (\\Seen)");
    assert_eq!(r.fetches().len(), 4, "{r}");
    for (_, f) in r.fetches() {
        assert_eq!(f.count("UID"), 1, "UID STORE replies carry the UID");
        assert_eq!(common::without_recent(&f.flags()), ["\\Seen"]);
    }
    c.logout();
}

#[test]
fn keywords_round_trip_and_illegal_sequence_names_are_escaped() {
    // Pitfall 10: `$Junk`, `foo:bar` are not MH names; nmh must still read
    // the file and the keywords come back unchanged.
    let tree = tree();
    let mut c = tree.client();
    c.select("INBOX");
    c.ok("STORE 1 +FLAGS (work $Junk foo:bar $Forwarded)");
    c.logout();
    let text = tree.sequences_text("inbox");
    for line in text.lines() {
        let name = line.split_once(':').map(|(n, _)| n).unwrap_or("");
        assert!(
            !name.is_empty() && !name.starts_with('$'),
            "bad line {line:?} in\n{text}"
        );
        assert!(!line.trim().is_empty(), "blank line in\n{text}");
    }
    assert!(tree.sequence("inbox", "work").contains(&1), "{text}");
    tree.nmh("mark", &["+inbox", "-list"]);
    tree.scan("inbox");

    let snap = common::snapshot(&tree, "INBOX");
    let flags = common::without_recent(&snap.msg("m1@test").flags);
    for kw in ["work", "$Junk", "foo:bar", "$Forwarded"] {
        assert!(flags.contains(&kw.to_string()), "{kw} lost: {flags:?}");
    }
}

#[test]
fn cur_and_unseen_are_never_keywords_and_store_flags_keeps_cur() {
    // Pitfall 11.
    let tree = tree();
    let mut c = tree.client();
    let sel = c.select("INBOX");
    let mut lists: Vec<String> = sel.untagged("FLAGS").iter().map(|r| r.text()).collect();
    lists.extend(
        sel.ok_codes()
            .into_iter()
            .filter(|c| c.starts_with("PERMANENTFLAGS")),
    );
    for l in &lists {
        let words: Vec<&str> = l.split(['(', ')', ' ']).collect();
        assert!(!words.contains(&"cur") && !words.contains(&"unseen"), "{l}");
    }
    let r = c.ok("FETCH 1:* FLAGS");
    for (_, f) in r.fetches() {
        for flag in f.flags() {
            assert!(
                flag != "cur" && flag != "unseen",
                "{flag} shown as a keyword"
            );
        }
    }
    c.ok("STORE 2 FLAGS (\\Flagged)");
    c.logout();
    let seqs = tree.sequences("inbox");
    assert_eq!(seqs["cur"], set(&[2]), "STORE FLAGS dropped cur: {seqs:?}");
    assert!(
        seqs["unseen"].contains(&2),
        "FLAGS without \\Seen leaves it unseen"
    );
    assert_eq!(seqs["flagged"], set(&[2]));
}

#[test]
fn removing_seen_puts_the_message_back_into_unseen() {
    let tree = tree();
    tree.write_sequences("inbox", "unseen: 4\n");
    let mut c = tree.client();
    c.select("INBOX");
    c.ok("STORE 1 -FLAGS (\\Seen)");
    c.logout();
    assert_eq!(tree.sequence("inbox", "unseen"), set(&[1, 4]));
}

#[test]
fn the_profiles_unseen_sequence_name_is_honoured() {
    // Pitfall 13.
    let tree = MhTree::with_profile("Path: Mail\nUnseen-Sequence: notread\n");
    tree.fill("inbox", 3);
    tree.write_sequences("inbox", "notread: 2-3\nunseen: 1\n");
    let snap = common::snapshot(&tree, "INBOX");
    let seen = |id: &str| snap.msg(id).flags.contains(&"\\Seen".to_string());
    assert!(
        seen("m1@test") && !seen("m2@test") && !seen("m3@test"),
        "{snap:#?}"
    );
    let mut c = tree.client();
    c.select("INBOX");
    c.ok("STORE 2 +FLAGS (\\Seen)");
    c.logout();
    assert_eq!(tree.sequence("inbox", "notread"), set(&[3]));
}

#[test]
fn without_an_unseen_sequence_in_the_profile_unseen_is_used() {
    let tree = MhTree::with_profile("Path: Mail\n");
    tree.fill("inbox", 2);
    tree.write_sequences("inbox", "unseen: 2\n");
    let snap = common::snapshot(&tree, "INBOX");
    assert!(snap.msg("m1@test").flags.contains(&"\\Seen".to_string()));
    assert!(!snap.msg("m2@test").flags.contains(&"\\Seen".to_string()));
}

#[test]
fn store_keeps_sequences_it_does_not_change() {
    // Pitfall 8: only what the command changes is changed.
    let tree = tree();
    tree.write_sequences("inbox", "cur: 2\nunseen: 1-4\nproject: 1 3\nflagged: 4\n");
    let mut c = tree.client();
    c.select("INBOX");
    c.ok("STORE 1 +FLAGS (\\Seen)");
    c.logout();
    let seqs = tree.sequences("inbox");
    assert_eq!(seqs["project"], set(&[1, 3]));
    assert_eq!(seqs["flagged"], set(&[4]));
    assert_eq!(seqs["unseen"], set(&[2, 3, 4]));
}
