//! SEARCH evaluation over a few fixture messages, with a Candidate that
//! counts how often the cache and the file are asked for.

use std::path::PathBuf;

use chrono::NaiveDate;

use asimap::mime::Meta;
use asimap::proto::{SearchKey, SeqNum, SequenceSet};
use asimap::search::{Bounds, Candidate, matches};

struct Msg {
    seq: u32,
    uid: u32,
    flags: Vec<String>,
    recent: bool,
    date: NaiveDate,
    raw: Vec<u8>,
    meta: Option<Meta>,
    meta_calls: u32,
    raw_calls: u32,
}

impl Candidate for Msg {
    fn seq(&self) -> u32 {
        self.seq
    }
    fn uid(&self) -> u32 {
        self.uid
    }
    fn flags(&self) -> &[String] {
        &self.flags
    }
    fn recent(&self) -> bool {
        self.recent
    }
    fn internal_date(&self) -> NaiveDate {
        self.date
    }
    fn meta(&mut self) -> &Meta {
        self.meta_calls += 1;
        self.meta.get_or_insert_with(|| Meta::analyze(&self.raw))
    }
    fn raw(&mut self) -> Option<&[u8]> {
        self.raw_calls += 1;
        Some(&self.raw)
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mime")
        .join(format!("{name}.eml"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// 1 simple (\Seen, recent), 2 alternative ($Junk), 3 attachment
/// (\Flagged \Answered), 4 nested (recent), 5 utf8_subject, 6 no_header.
fn mailbox() -> Vec<Msg> {
    let specs: [(&str, &[&str], bool, NaiveDate); 6] = [
        ("simple", &["\\Seen"], true, day(2024, 1, 1)),
        ("alternative", &["$Junk", "\\Seen"], false, day(2024, 1, 2)),
        (
            "attachment",
            &["\\Flagged", "\\Answered"],
            false,
            day(2024, 1, 3),
        ),
        ("nested", &[], true, day(2024, 1, 3)),
        (
            "utf8_subject",
            &["\\Deleted", "\\Draft"],
            false,
            day(2024, 2, 1),
        ),
        ("no_header", &[], false, day(2024, 3, 1)),
    ];
    specs
        .iter()
        .enumerate()
        .map(|(i, (name, flags, recent, date))| Msg {
            seq: i as u32 + 1,
            uid: (i as u32 + 1) * 10,
            flags: flags.iter().map(|f| f.to_string()).collect(),
            recent: *recent,
            date: *date,
            raw: fixture(name),
            meta: None,
            meta_calls: 0,
            raw_calls: 0,
        })
        .collect()
}

const BOUNDS: Bounds = Bounds {
    largest_seq: 6,
    largest_uid: 60,
};

fn hits(key: &SearchKey) -> Vec<u32> {
    mailbox()
        .iter_mut()
        .filter_map(|m| matches(key, m, BOUNDS).then_some(m.seq))
        .collect()
}

fn s(v: &str) -> Vec<u8> {
    v.as_bytes().to_vec()
}

fn set(ranges: &[(SeqNum, SeqNum)]) -> SequenceSet {
    SequenceSet(ranges.to_vec())
}

#[test]
fn flag_keys() {
    assert_eq!(hits(&SearchKey::All), [1, 2, 3, 4, 5, 6]);
    assert_eq!(hits(&SearchKey::Seen), [1, 2]);
    assert_eq!(hits(&SearchKey::Unseen), [3, 4, 5, 6]);
    assert_eq!(hits(&SearchKey::Answered), [3]);
    assert_eq!(hits(&SearchKey::Unanswered), [1, 2, 4, 5, 6]);
    assert_eq!(hits(&SearchKey::Flagged), [3]);
    assert_eq!(hits(&SearchKey::Unflagged), [1, 2, 4, 5, 6]);
    assert_eq!(hits(&SearchKey::Deleted), [5]);
    assert_eq!(hits(&SearchKey::Undeleted), [1, 2, 3, 4, 6]);
    assert_eq!(hits(&SearchKey::Draft), [5]);
    assert_eq!(hits(&SearchKey::Undraft), [1, 2, 3, 4, 6]);
    assert_eq!(hits(&SearchKey::Recent), [1, 4]);
    assert_eq!(hits(&SearchKey::New), [4]);
    assert_eq!(hits(&SearchKey::Old), [2, 3, 5, 6]);
    // keywords compare case-insensitively
    assert_eq!(hits(&SearchKey::Keyword("$junk".into())), [2]);
    assert_eq!(hits(&SearchKey::Unkeyword("$Junk".into())), [1, 3, 4, 5, 6]);
}

#[test]
fn cheap_keys_do_not_load_anything() {
    let keys = SearchKey::And(vec![
        SearchKey::Unseen,
        SearchKey::Keyword("x".into()),
        SearchKey::Since(day(2000, 1, 1)),
        SearchKey::Uid(set(&[(SeqNum::Value(1), SeqNum::Largest)])),
    ]);
    for mut m in mailbox() {
        let _ = matches(&keys, &mut m, BOUNDS);
        assert_eq!((m.meta_calls, m.raw_calls), (0, 0));
    }
}

#[test]
fn sets_with_star() {
    let last = set(&[(SeqNum::Largest, SeqNum::Largest)]);
    assert_eq!(hits(&SearchKey::SequenceSet(last.clone())), [6]);
    assert_eq!(hits(&SearchKey::Uid(last)), [6]);
    let mixed = set(&[
        (SeqNum::Value(2), SeqNum::Value(3)),
        (SeqNum::Value(5), SeqNum::Value(5)),
    ]);
    assert_eq!(hits(&SearchKey::SequenceSet(mixed)), [2, 3, 5]);
    let uids = set(&[(SeqNum::Value(35), SeqNum::Value(15))]);
    assert_eq!(hits(&SearchKey::Uid(uids)), [2, 3]);
}

#[test]
fn internal_and_sent_dates() {
    assert_eq!(hits(&SearchKey::Before(day(2024, 1, 3))), [1, 2]);
    assert_eq!(hits(&SearchKey::On(day(2024, 1, 3))), [3, 4]);
    assert_eq!(hits(&SearchKey::Since(day(2024, 2, 1))), [5, 6]);
    // simple: 7 Feb 1994 21:52 -0800, which is already 8 Feb in UTC
    assert_eq!(hits(&SearchKey::SentOn(day(1994, 2, 7))), [1]);
    // nested: Thu, 3 Dec 2026 12:00 +0100; alternative: 1 Jul 2003
    assert_eq!(hits(&SearchKey::SentSince(day(2026, 12, 3))), [4]);
    assert_eq!(hits(&SearchKey::SentBefore(day(2003, 7, 2))), [1, 2]);
    // no Date header: never matches, either way
    let no_date = SearchKey::Or(
        Box::new(SearchKey::SentBefore(day(2100, 1, 1))),
        Box::new(SearchKey::SentSince(day(1900, 1, 1))),
    );
    assert_eq!(hits(&no_date), [1, 2, 3, 4]);
}

#[test]
fn sizes() {
    let sizes: Vec<u64> = mailbox().iter_mut().map(|m| m.meta().size).collect();
    let n = sizes[2] as u32;
    let larger: Vec<u32> = (1..=6)
        .filter(|&i| sizes[i as usize - 1] > n as u64)
        .collect();
    assert_eq!(hits(&SearchKey::Larger(n)), larger);
    assert!(!hits(&SearchKey::Smaller(n)).contains(&3));
    assert!(!hits(&SearchKey::Larger(n)).contains(&3));
}

#[test]
fn header_keys_match_decoded_text() {
    // RFC 2047 in From, ISO-8859-1 word in Subject
    assert_eq!(hits(&SearchKey::From(s("jörg müller"))), [2]);
    assert_eq!(hits(&SearchKey::Subject(s("GRÜSSE"))), Vec::<u32>::new());
    assert_eq!(hits(&SearchKey::Subject(s("grüße aus"))), [2]);
    // raw UTF-8 subject
    assert_eq!(hits(&SearchKey::Subject(s("CAFÉ"))), [5]);
    assert_eq!(hits(&SearchKey::To(s("SMITH, john"))), [2]);
    assert_eq!(hits(&SearchKey::To(s("owatagu"))), [1]);
    assert_eq!(hits(&SearchKey::Cc(s("undisclosed"))), [1]);
    assert_eq!(hits(&SearchKey::Bcc(s("x"))), Vec::<u32>::new());
    assert_eq!(
        hits(&SearchKey::Header("message-id".into(), s("ALT@"))),
        [2]
    );
    // an empty string matches every message that has the field
    assert_eq!(
        hits(&SearchKey::Header("In-Reply-To".into(), Vec::new())),
        [1]
    );
    assert_eq!(
        hits(&SearchKey::Header("X-Absent".into(), Vec::new())),
        Vec::<u32>::new()
    );
}

#[test]
fn body_and_text_match_decoded_parts() {
    // quoted-printable UTF-8 and base64 HTML
    assert_eq!(hits(&SearchKey::Body(s("schöne grüße"))), [2]);
    assert_eq!(hits(&SearchKey::Body(s("<P>SCHÖNE"))), [2]);
    // inside the nested message
    assert_eq!(hits(&SearchKey::Body(s("inner html"))), [4]);
    // a header word is not in the body, but TEXT finds it
    assert_eq!(
        hits(&SearchKey::Body(s("afternoon meeting"))),
        Vec::<u32>::new()
    );
    assert_eq!(hits(&SearchKey::Text(s("afternoon meeting"))), [1]);
    assert_eq!(hits(&SearchKey::Text(s("tomorrow"))), [1]);
    // binary attachments are not text
    assert_eq!(hits(&SearchKey::Body(s("JVBERi0x"))), Vec::<u32>::new());
}

#[test]
fn not_or_and() {
    let key = SearchKey::And(vec![
        SearchKey::Not(Box::new(SearchKey::Seen)),
        SearchKey::Or(Box::new(SearchKey::Flagged), Box::new(SearchKey::Recent)),
    ]);
    assert_eq!(hits(&key), [3, 4]);
}

/// True when the single fixture message `name` matches `key`.
fn one(name: &str, key: SearchKey) -> bool {
    let mut m = Msg {
        seq: 1,
        uid: 1,
        flags: Vec::new(),
        recent: false,
        date: day(2024, 1, 1),
        raw: fixture(name),
        meta: None,
        meta_calls: 0,
        raw_calls: 0,
    };
    let bounds = Bounds {
        largest_seq: 1,
        largest_uid: 1,
    };
    matches(&key, &mut m, bounds)
}

#[test]
fn encoded_word_split_inside_a_character_still_matches() {
    assert!(one("split_word", SearchKey::Subject(s("CAFÉ OK"))));
    assert!(one("split_word", SearchKey::To(s("é <b@"))));
    assert!(one(
        "split_word",
        SearchKey::Header("subject".into(), s("café"))
    ));
}

#[test]
fn body_charsets_and_broken_parts() {
    // ISO-8859-1 declared, 8-bit bytes in a 7bit part
    assert!(one("eightbit_7bit", SearchKey::Body(s("KÄSE UND"))));
    // a multipart without boundary lines has no text part
    assert!(!one("no_boundary", SearchKey::Body(s("boundary lines"))));
    // unterminated multipart: the first part is still text
    assert!(one("unterminated", SearchKey::Body(s("first"))));
    assert!(!one("unterminated", SearchKey::Body(s("not base64"))));
    // digest: the nested message's header is in the outer body
    assert!(one("digest", SearchKey::Body(s("subject: first"))));
    assert!(one("digest", SearchKey::Body(s("first body"))));
    // NUL bytes do not stop matching
    assert!(one("nul", SearchKey::Body(s("after"))));
    assert!(one("stray_cr", SearchKey::Body(s("line three"))));
    assert!(!one("empty", SearchKey::Text(s("x"))));
    assert!(one("empty", SearchKey::Text(Vec::new())));
}

#[test]
fn cheap_keys_go_first_in_and_and_or() {
    let and = SearchKey::And(vec![
        SearchKey::Body(s("xylophone")),
        SearchKey::Subject(s("x")),
        SearchKey::Seen,
    ]);
    let or = SearchKey::Or(
        Box::new(SearchKey::Text(s("x"))),
        Box::new(SearchKey::Unseen),
    );
    let mut all = mailbox();
    for m in all.iter_mut() {
        let seen = m.flags.iter().any(|f| f == "\\Seen");
        assert!(!matches(&and, m, BOUNDS) || seen);
        // an unseen message matches the OR without its file
        let before = m.raw_calls;
        assert!(matches(&or, m, BOUNDS) || seen);
        if !seen {
            assert_eq!(m.raw_calls, before, "message {}", m.seq);
        }
    }
    // the AND never loaded anything for the unseen ones
    for m in &all {
        if !m.flags.iter().any(|f| f == "\\Seen") {
            assert_eq!((m.meta_calls, m.raw_calls), (0, 0), "message {}", m.seq);
        }
    }
}
