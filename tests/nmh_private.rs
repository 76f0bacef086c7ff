//! Private sequences (`atr-NAME-PATH` lines in nmh's context file) with
//! real nmh: a profile without public sequences (`mh-sequences:` empty,
//! where `inc` and `mark` keep everything in the context), and `mark
//! -nopublic` in a folder that has public ones. The oracle is nmh's own
//! view, `mark -list`, which overlays private sequences on public ones.

mod common;

use std::collections::BTreeSet;
use std::fs;

use asimap::mh::{Profile, keyword};
use common::{MhTree, Sequences, mbox, snapshot, without_recent};

/// A profile that keeps no public sequences.
const PRIVATE_ONLY: &str = "Path: Mail\nmh-sequences:\nUnseen-Sequence: unseen\nWelcome: disable\n";

/// The context file's text ("" when absent).
fn context(tree: &MhTree) -> String {
    fs::read_to_string(tree.mail().join("context")).unwrap_or_default()
}

/// The context's `atr-` lines of one folder (by its exact path).
fn atr_lines(tree: &MhTree, folder: &str) -> Vec<String> {
    let suffix = format!("-{}:", tree.folder_path(folder).display());
    context(tree)
        .lines()
        .filter(|l| l.starts_with("atr-") && l.contains(&suffix))
        .map(str::to_string)
        .collect()
}

/// nmh's view of a folder's sequences (`mark -list`): the sequences and
/// the names nmh reports as private.
#[track_caller]
fn nmh_view(tree: &MhTree, folder: &str) -> (Sequences, BTreeSet<String>) {
    let out = tree.nmh("mark", &[&format!("+{folder}"), "-list"]);
    let mut seqs = Sequences::new();
    let mut private = BTreeSet::new();
    for line in out.lines() {
        let (name, ranges) = line.split_once(':').expect("mark -list line");
        let name = match name.strip_suffix(" (private)") {
            Some(n) => {
                private.insert(n.to_string());
                n
            }
            None => name,
        };
        seqs.insert(name.to_string(), numbers(ranges));
    }
    (seqs, private)
}

/// `1 3-5` as a set.
fn numbers(ranges: &str) -> BTreeSet<u32> {
    let mut out = BTreeSet::new();
    for token in ranges.split_whitespace() {
        match token.split_once('-') {
            Some((lo, hi)) => out.extend(lo.parse::<u32>().unwrap()..=hi.parse().unwrap()),
            None => {
                out.insert(token.parse().unwrap());
            }
        }
    }
    out
}

/// The flags the sequences give message `n` (`Unseen-Sequence: unseen`,
/// keywords named by asimap's mapping), sorted.
fn flags_of(seqs: &Sequences, n: u32) -> Vec<String> {
    let profile = Profile::defaults("/nonexistent".into());
    let mut flags: Vec<String> = seqs
        .iter()
        .filter(|(_, members)| members.contains(&n))
        .filter_map(|(name, _)| keyword::flag_for_sequence(name, &profile))
        .collect();
    if !seqs.get("unseen").is_some_and(|u| u.contains(&n)) {
        flags.push("\\Seen".to_string());
    }
    flags.sort();
    flags
}

/// Asserts that a fresh session shows, for every message, the flags
/// nmh's view of the sequences gives it.
#[track_caller]
fn assert_flags_match_nmh(tree: &MhTree, folder: &str, mailbox: &str) {
    let (seqs, _) = nmh_view(tree, folder);
    let snap = snapshot(tree, mailbox);
    let numbers = tree.numbers_by_id(folder);
    assert_eq!(numbers.len(), snap.messages.len(), "{snap:#?}");
    for (id, n) in &numbers {
        let want = flags_of(&seqs, *n);
        let got = without_recent(&snap.msg(id).flags);
        assert_eq!(got, want, "{folder} message {n} ({id}); nmh: {seqs:?}");
    }
}

/// An inbox with `ids` delivered by `inc` under the private-only profile.
fn private_inbox(ids: &[&str]) -> MhTree {
    let tree = MhTree::with_profile(PRIVATE_ONLY);
    tree.inc_mbox("inbox", &mbox(ids));
    tree
}

#[test]
fn inc_without_public_sequences_shows_unseen_and_store_lands_in_the_context() {
    let tree = private_inbox(&["n1", "n2", "n3"]);
    assert!(!tree.sequences_path("inbox").exists(), "no public file");
    assert_eq!(atr_lines(&tree, "inbox").len(), 2, "{}", context(&tree));
    let snap = snapshot(&tree, "INBOX");
    for id in ["n1@test", "n2@test", "n3@test"] {
        assert!(without_recent(&snap.msg(id).flags).is_empty(), "{snap:#?}");
    }

    let uid = snap.msg("n1@test").uid;
    let script = format!(
        "a SELECT INBOX\r\nb UID STORE {uid} +FLAGS (\\Seen \\Flagged $Junk)\r\nc LOGOUT\r\n"
    );
    tree.run_script(script).reply("b").ok();

    let (seqs, private) = nmh_view(&tree, "inbox");
    assert_eq!(seqs["flagged"], BTreeSet::from([1]), "{seqs:?}");
    assert_eq!(seqs["kwXX24Junk"], BTreeSet::from([1]), "{seqs:?}");
    assert_eq!(seqs["unseen"], BTreeSet::from([2, 3]), "{seqs:?}");
    assert!(private.contains("flagged") && private.contains("unseen"));
    let scanned = tree.nmh("scan", &["+inbox", "flagged", "-format", "%(msg)"]);
    assert_eq!(scanned.trim(), "1");
    let picked = tree.nmh("pick", &["+inbox", "-search", "n3", "-list"]);
    assert_eq!(picked.trim(), "3", "nmh still reads the context");
    assert!(
        !tree.sequences_path("inbox").exists(),
        "still no public file"
    );
    assert_flags_match_nmh(&tree, "inbox", "INBOX");
}

#[test]
fn a_private_sequence_in_a_public_folder_is_a_flag_and_stays_private() {
    let tree = MhTree::new();
    tree.fill("inbox", 4);
    tree.write_sequences("inbox", "unseen: 2-4\nreplied: 1\n");
    tree.nmh(
        "mark",
        &["+inbox", "2", "-sequence", "flagged", "-nopublic"],
    );
    assert_flags_match_nmh(&tree, "inbox", "INBOX");
    let snap = snapshot(&tree, "INBOX");
    assert!(snap.msg("m2@test").flags.contains(&"\\Flagged".to_string()));

    // Adding to it keeps it private; the public file is not touched.
    let script = "a SELECT INBOX\r\nb STORE 3 +FLAGS (\\Flagged)\r\nc LOGOUT\r\n";
    tree.run_script(script).reply("b").ok();
    let (seqs, private) = nmh_view(&tree, "inbox");
    assert_eq!(seqs["flagged"], BTreeSet::from([2, 3]));
    assert!(private.contains("flagged"), "{private:?}");
    assert_eq!(tree.sequences_text("inbox"), "unseen: 2-4\nreplied: 1\n");

    // Removing every member removes the private line; the public file
    // stays as nmh wrote it and nmh reads both.
    let script = "a SELECT INBOX\r\nb STORE 2:3 -FLAGS (\\Flagged)\r\nc LOGOUT\r\n";
    tree.run_script(script).reply("b").ok();
    assert!(atr_lines(&tree, "inbox").is_empty(), "{}", context(&tree));
    let (seqs, _) = nmh_view(&tree, "inbox");
    assert!(!seqs.contains_key("flagged"), "{seqs:?}");
    assert_eq!(tree.sequence("inbox", "unseen"), BTreeSet::from([2, 3, 4]));
    assert_flags_match_nmh(&tree, "inbox", "INBOX");
}

#[test]
fn a_private_sequence_shadows_its_public_namesake() {
    let tree = MhTree::new();
    tree.fill("inbox", 4);
    tree.write_sequences("inbox", "flagged: 1\n");
    let path = tree.folder_path("inbox");
    let ctx = format!("Current-Folder: inbox\natr-flagged-{}: 3\n", path.display());
    fs::write(tree.mail().join("context"), ctx).unwrap();
    assert_flags_match_nmh(&tree, "inbox", "INBOX");

    // Emptying the private one must not bring the public one back.
    let script = "a SELECT INBOX\r\nb STORE 3 -FLAGS (\\Flagged)\r\nc LOGOUT\r\n";
    tree.run_script(script).reply("b").ok();
    let (seqs, _) = nmh_view(&tree, "inbox");
    assert!(!seqs.contains_key("flagged"), "{seqs:?}");
    assert_flags_match_nmh(&tree, "inbox", "INBOX");
}

#[test]
fn mark_in_the_context_is_seen_by_a_running_session() {
    let tree = private_inbox(&["n1", "n2"]);
    let mut client = tree.client();
    client.select("INBOX").ok();
    tree.nmh("mark", &["+inbox", "2", "-sequence", "flagged"]);
    let reply = client.ok("NOOP");
    let fetches = reply.fetches();
    assert!(
        fetches
            .iter()
            .any(|(n, f)| *n == 2 && f.flags().contains(&"\\Flagged".to_string())),
        "{reply:?}"
    );
    client.logout();
}

#[test]
fn expunge_removes_numbers_from_private_sequences() {
    let tree = private_inbox(&["n1", "n2", "n3", "n4"]);
    tree.nmh("mark", &["+inbox", "2", "4", "-sequence", "flagged"]);
    let script = "a SELECT INBOX\r\nb STORE 2 +FLAGS (\\Deleted)\r\nc EXPUNGE\r\nd LOGOUT\r\n";
    tree.run_script(script).reply("c").ok();
    assert_eq!(tree.numbers("inbox"), vec![1, 3, 4]);
    let (seqs, private) = nmh_view(&tree, "inbox");
    assert_eq!(seqs["flagged"], BTreeSet::from([4]), "{seqs:?}");
    assert_eq!(seqs["unseen"], BTreeSet::from([1, 3, 4]), "{seqs:?}");
    assert!(!seqs.contains_key("Deleted"), "{seqs:?}");
    assert!(private.contains("flagged") && private.contains("unseen"));
    assert_flags_match_nmh(&tree, "inbox", "INBOX");
}

#[test]
fn append_copy_and_move_keep_flags_in_the_context() {
    let tree = private_inbox(&["n1", "n2"]);
    tree.folder("other");
    let msg = common::simple_message("ap", "Appended", "Body.\n");
    let mut client = tree.client();
    client
        .append("INBOX", "(\\Flagged \\Seen)", msg.as_bytes())
        .ok();
    client.select("INBOX").ok();
    client.ok("STORE 1 +FLAGS (\\Answered)");
    client.ok("COPY 1 other");
    client.ok("MOVE 3 other");
    client.logout();

    let (inbox, _) = nmh_view(&tree, "inbox");
    assert_eq!(inbox["replied"], BTreeSet::from([1]), "{inbox:?}");
    assert!(!inbox.contains_key("flagged"), "moved away: {inbox:?}");
    let (other, private) = nmh_view(&tree, "other");
    assert_eq!(other["replied"], BTreeSet::from([1]), "{other:?}");
    assert_eq!(other["flagged"], BTreeSet::from([2]), "{other:?}");
    assert!(!other["unseen"].contains(&2), "appended as seen: {other:?}");
    assert!(private.contains("flagged"));
    assert!(!tree.sequences_path("other").exists());
    assert_flags_match_nmh(&tree, "inbox", "INBOX");
    assert_flags_match_nmh(&tree, "other", "other");
}

#[test]
fn delete_removes_the_folders_private_sequences_as_rmf_does() {
    let tree = MhTree::with_profile(PRIVATE_ONLY);
    for f in ["gone", "byrmf", "keep", "parent", "parent/sub"] {
        tree.fill(f, 2);
        tree.nmh("mark", &[&format!("+{f}"), "1", "-sequence", "flagged"]);
    }
    tree.nmh("rmf", &["-nointeractive", "+byrmf"]);
    assert!(atr_lines(&tree, "byrmf").is_empty(), "{}", context(&tree));

    let script = "a DELETE gone\r\nb DELETE parent\r\nc LOGOUT\r\n";
    let t = tree.run_script(script);
    t.reply("a").ok();
    t.reply("b").ok();
    assert!(atr_lines(&tree, "gone").is_empty(), "{}", context(&tree));
    assert!(atr_lines(&tree, "parent").is_empty(), "{}", context(&tree));
    assert_eq!(atr_lines(&tree, "keep").len(), 1, "{}", context(&tree));
    assert_eq!(atr_lines(&tree, "parent/sub").len(), 1);
    assert!(context(&tree).starts_with("Current-Folder: "));
}

#[test]
fn rename_moves_private_sequences_with_subfolders() {
    let tree = MhTree::with_profile(PRIVATE_ONLY);
    for f in ["old", "old/sub", "older"] {
        tree.fill(f, 3);
        tree.nmh("mark", &[&format!("+{f}"), "2", "-sequence", "flagged"]);
    }
    let before = snapshot(&tree, "old/sub");
    let script = "a RENAME old new/place\r\nb LOGOUT\r\n";
    tree.run_script(script).reply("a").ok();
    assert!(atr_lines(&tree, "old").is_empty(), "{}", context(&tree));
    assert!(atr_lines(&tree, "old/sub").is_empty());
    assert_eq!(atr_lines(&tree, "older").len(), 1, "a neighbour stays");
    let (seqs, private) = nmh_view(&tree, "new/place/sub");
    assert_eq!(seqs["flagged"], BTreeSet::from([2]));
    assert!(private.contains("flagged"));
    assert_eq!(
        nmh_view(&tree, "new/place").0["flagged"],
        BTreeSet::from([2])
    );
    assert_flags_match_nmh(&tree, "new/place/sub", "new/place/sub");
    let after = snapshot(&tree, "new/place/sub");
    assert_eq!(before.uidvalidity, after.uidvalidity);
}

#[test]
fn rename_inbox_takes_its_private_sequences_along() {
    let tree = private_inbox(&["n1", "n2"]);
    tree.nmh("mark", &["+inbox", "1", "-sequence", "flagged"]);
    let script = "a RENAME INBOX saved\r\nb LOGOUT\r\n";
    tree.run_script(script).reply("a").ok();
    assert!(atr_lines(&tree, "inbox").is_empty(), "{}", context(&tree));
    let (seqs, private) = nmh_view(&tree, "saved");
    assert_eq!(seqs["flagged"], BTreeSet::from([1]));
    assert_eq!(seqs["unseen"], BTreeSet::from([1, 2]));
    assert!(
        private.contains("unseen"),
        "private stays private: {private:?}"
    );
    assert!(!tree.sequences_path("saved").exists());
    assert_flags_match_nmh(&tree, "saved", "saved");
}

#[test]
fn odd_context_lines_are_kept_byte_for_byte() {
    let tree = MhTree::with_profile(PRIVATE_ONLY);
    tree.fill("inbox", 3);
    let path = tree.folder_path("inbox").display().to_string();
    let odd = format!(
        "X-Odd:   spaced value  \n#: comment\ngarbage line without colon\n\n\
         atr-flagged-{path}: 1\n 3\nCurrent-Folder: inbox\nFolder-Stack: a\n\tb\n\
         atr-x-/elsewhere: 9\ntail without newline"
    );
    fs::write(tree.mail().join("context"), &odd).unwrap();
    let script = "a SELECT INBOX\r\nb STORE 2 +FLAGS (\\Flagged)\r\nc LOGOUT\r\n";
    let t = tree.run_script(script);
    t.reply("b").ok();
    let expected = format!(
        "X-Odd:   spaced value  \n#: comment\ngarbage line without colon\n\n\
         atr-flagged-{path}: 1-3\nCurrent-Folder: inbox\nFolder-Stack: a\n\tb\n\
         atr-x-/elsewhere: 9\ntail without newline"
    );
    assert_eq!(context(&tree), expected);
}

#[test]
fn store_in_the_context_races_mark_nopublic_without_corrupting_it() {
    // nmh truncates the context before it locks it and rewrites it from
    // what it read earlier, so an update that lands in between is lost
    // (nmh against nmh too). What must hold: the file stays well-formed
    // for nmh, and once both sides stop, the server shows what nmh shows.
    let tree = MhTree::new();
    tree.fill("inbox", 20);
    tree.write_sequences("inbox", "unseen: 1-20\n");
    tree.nmh(
        "mark",
        &["+inbox", "1", "-sequence", "flagged", "-nopublic"],
    );
    tree.nmh("mark", &["+inbox", "20", "-sequence", "mine", "-nopublic"]);
    let answered = std::thread::scope(|scope| {
        scope.spawn(|| {
            for i in 0..60u32 {
                let n = (i % 19 + 1).to_string();
                let op = if i % 3 == 0 { "-delete" } else { "-add" };
                let args = ["+inbox", &n, "-sequence", "mine", op, "-nopublic"];
                tree.nmh("mark", &args);
            }
        });
        let mut client = tree.client();
        client.select("INBOX").ok();
        let mut answered = 0;
        for i in 0..60u32 {
            let n = i % 20 + 1;
            let op = if i % 2 == 0 { "+FLAGS" } else { "-FLAGS" };
            let reply = client.cmd(&format!("STORE {n} {op} (\\Flagged \\Seen)"));
            answered += usize::from(reply.status() == "OK");
        }
        client.logout();
        answered
    });
    assert!(answered > 0, "no STORE got through");

    for line in context(&tree).lines() {
        let well_formed = line
            .split_once(':')
            .is_some_and(|(k, _)| !k.is_empty() && !k.starts_with([' ', '\t']));
        assert!(
            well_formed,
            "bad context line {line:?}:\n{}",
            context(&tree)
        );
    }
    let (seqs, private) = nmh_view(&tree, "inbox");
    assert!(private.contains("flagged") || !seqs.contains_key("flagged"));
    assert_flags_match_nmh(&tree, "inbox", "INBOX");
    assert!(
        seqs["mine"].contains(&20),
        "nmh's own member stays: {seqs:?}"
    );
    assert_eq!(tree.numbers("inbox").len(), 20);
}
