//! Self-tests of the test harness's response parsing and sequence reading,
//! so that a failing end-to-end test points at the engine, not the harness.

mod common;

use common::resp::{Value, group_replies, parse_values, split_responses};
use common::{parse_sequences, set};

#[test]
fn literals_are_inlined_and_their_bytes_never_end_a_response() {
    let out = b"* 1 FETCH (BODY[] {14}\r\na2 OK fake\r\n\r\n)\r\na1 OK done\r\n";
    let resps = split_responses(out);
    assert_eq!(resps.len(), 2, "{resps:?}");
    let (n, f) = resps[0].fetch().expect("a FETCH");
    assert_eq!(n, 1);
    assert_eq!(f.get("BODY[]").bytes(), b"a2 OK fake\r\n\r\n");
    assert_eq!(resps[1].status(), "OK");
}

#[test]
fn sections_with_spaces_parse_as_one_attribute_name() {
    let line = b"* 2 FETCH (UID 7 BODY[HEADER.FIELDS (SUBJECT FROM)] {5}\r\nSub\r\n \
                 BODY[]<0> \"ab\\\"c\" FLAGS (\\Seen $Junk))";
    let resps = split_responses(line);
    let (_, f) = resps[0].fetch().unwrap();
    assert_eq!(f.uid(), 7);
    assert_eq!(
        f.get("BODY[HEADER.FIELDS (SUBJECT FROM)]").bytes(),
        b"Sub\r\n"
    );
    assert_eq!(f.get("BODY[]<0>").bytes(), b"ab\"c");
    assert_eq!(f.flags(), vec!["$Junk".to_string(), "\\Seen".to_string()]);
}

#[test]
fn replies_group_untagged_responses_by_the_next_tag() {
    let out = b"* PREAUTH hi\r\n* 3 EXISTS\r\na OK [READ-WRITE] x\r\n* SEARCH 2 1\r\nb OK y\r\n";
    let (replies, trailing) = group_replies(&split_responses(out));
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0].numbered("EXISTS"), vec![3]);
    assert_eq!(replies[0].code().as_deref(), Some("READ-WRITE"));
    assert_eq!(replies[1].search(), vec![1, 2]);
    assert!(trailing.is_empty());
}

#[test]
fn nil_and_nested_lists_parse() {
    let v = parse_values(b"((\"a\" NIL \"b\" \"c\")) NIL {3}\r\nxyz").unwrap();
    assert_eq!(v.len(), 3);
    assert!(v[1].is_nil());
    assert_eq!(v[0].at(0).at(1), &Value::Nil);
    assert_eq!(v[2].bytes(), b"xyz");
}

#[test]
fn sequences_parse_like_nmh_reads_them() {
    let text = "cur: 3\nunseen: 1-3 7\n 9\tbad\nflagged: 9-7 x 4\nflagged: 5\n";
    let s = parse_sequences(text);
    assert_eq!(s["unseen"], set(&[1, 2, 3, 7, 9]));
    assert_eq!(s["flagged"], set(&[5]));
    assert_eq!(s["cur"], set(&[3]));
}

#[test]
fn fill_writes_messages_that_nmh_scans() {
    let tree = common::MhTree::new();
    tree.fill("inbox", 3);
    tree.nmh("mark", &["+inbox", "2", "-sequence", "flagged"]);
    let out = tree.scan("inbox");
    assert_eq!(out.lines().count(), 3, "{out}");
    assert_eq!(tree.sequence("inbox", "flagged"), set(&[2]));
}
