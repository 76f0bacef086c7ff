//! The IMAP keyword ↔ sequence name mapping: a reversible escape whose
//! names nmh's `mark` accepts.

mod mh_util;

use std::path::PathBuf;

use asimap::mh::Profile;
use asimap::mh::keyword::{flag_for_sequence, is_nmh_name, sequence_for_flag};
use mh_util::Lab;
use proptest::prelude::*;

fn profile() -> Profile {
    let mut p = Profile::defaults(PathBuf::from("/nonexistent"));
    p.unseen = vec!["unseen".into(), "new2".into()];
    p.negation = Some("not".into());
    p
}

/// Keywords a client may send (RFC 3501 flag-keyword: atom characters).
const KEYWORD: &str = "[!#$&'+,./0-9:;<=>?@A-Z\\[^_`a-z|}~-]{1,24}";

proptest! {
    #[test]
    fn every_keyword_round_trips_through_a_legal_name(kw in KEYWORD) {
        let p = profile();
        let name = sequence_for_flag(&kw, &p).expect("a keyword has a sequence");
        prop_assert!(is_nmh_name(&name), "{} -> {}", kw, name);
        let state = ["cur", "unseen", "new2", "all", "replied", "flagged"];
        prop_assert!(!state.contains(&name.as_str()));
        prop_assert!(!name.starts_with("not"));
        prop_assert_eq!(flag_for_sequence(&name, &p), Some(kw));
    }

    #[test]
    fn names_map_back_consistently(name in "[A-Za-z][A-Za-z0-9]{0,20}") {
        let p = profile();
        if let Some(flag) = flag_for_sequence(&name, &p) {
            prop_assert_eq!(sequence_for_flag(&flag, &p), Some(name));
        }
    }

    #[test]
    fn distinct_keywords_get_distinct_names(a in KEYWORD, b in KEYWORD) {
        prop_assume!(a != b);
        let p = profile();
        prop_assert_ne!(sequence_for_flag(&a, &p), sequence_for_flag(&b, &p));
    }
}

#[test]
fn system_flags_and_mh_state() {
    let p = profile();
    let table = [
        ("\\Answered", Some("replied")),
        ("\\FLAGGED", Some("flagged")),
        ("\\Deleted", Some("Deleted")),
        ("\\Draft", Some("Draft")),
        ("\\Seen", None),
        ("\\Recent", None),
        ("\\Whatever", None),
    ];
    for (flag, seq) in table {
        assert_eq!(sequence_for_flag(flag, &p).as_deref(), seq, "{flag}");
    }
    for state in ["cur", "unseen", "new2", "notseen", "all", "a-b", "1x"] {
        assert_eq!(flag_for_sequence(state, &p), None, "{state}");
    }
    assert_eq!(
        flag_for_sequence("replied", &p).as_deref(),
        Some("\\Answered")
    );
    assert_eq!(flag_for_sequence("Work", &p).as_deref(), Some("Work"));
}

#[test]
fn mark_accepts_every_escaped_name_and_we_read_them_back() {
    let lab = Lab::new();
    lab.folder_with("kw", 2);
    let p = lab.profile();
    let keywords = [
        "$Junk",
        "$NotJunk",
        "$Forwarded",
        "$MDNSent",
        "foo:bar",
        "a.b-c_d",
        "cur",
        "all",
        "unseen",
        "Deleted",
        "replied",
        "kwXabc",
        "X",
        "1x",
        "Work",
        "[brackets[",
    ];
    let names: Vec<String> = keywords
        .iter()
        .map(|k| sequence_for_flag(k, &p).unwrap())
        .collect();
    let mut args = vec!["+kw", "1"];
    for n in &names {
        args.extend(["-sequence", n.as_str()]);
    }
    lab.nmh("mark", &args);
    let listed = lab.nmh("mark", &["+kw", "-list"]);
    let read: Vec<String> = listed
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter_map(|(name, _)| flag_for_sequence(name, &p))
        .collect();
    assert_eq!(read, keywords);
}
