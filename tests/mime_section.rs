//! BODY[section] extraction: HEADER, HEADER.FIELDS(.NOT), TEXT, MIME and
//! part numbers, also inside message/rfc822, over the fixtures.

use std::path::PathBuf;

use asimap::mime;
use asimap::proto::{Section, SectionText};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mime")
        .join(format!("{name}.eml"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sec(part: &[u32], text: Option<SectionText>) -> Section {
    Section {
        part: part.to_vec(),
        text,
    }
}

fn get(raw: &[u8], part: &[u32], text: Option<SectionText>) -> Option<String> {
    mime::section(raw, &sec(part, text)).map(|b| String::from_utf8(b).unwrap())
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn whole_header_and_text_in_crlf() {
    let raw = fixture("simple");
    let whole = get(&raw, &[], None).unwrap();
    assert_eq!(whole.len() as u64, mime::wire_len(&raw));
    assert!(!whole.replace("\r\n", "").contains('\n'));
    let header = get(&raw, &[], Some(SectionText::Header)).unwrap();
    assert!(header.starts_with("Return-Path: <alice@example.org>\r\n"));
    assert!(header.ends_with("CHARSET=US-ASCII\r\n\r\n"));
    let text = get(&raw, &[], Some(SectionText::Text)).unwrap();
    assert_eq!(
        text,
        "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n"
    );
    assert_eq!(header.len() + text.len(), whole.len());
}

#[test]
fn header_fields_and_not() {
    let raw = b"Subject: a\n  folded\nX-Y: 1\nsubject: second\nTo: t@x\n\nbody\n";
    let fields = get(
        raw,
        &[],
        Some(SectionText::HeaderFields(names(&["SUBJECT", "nope"]))),
    );
    assert_eq!(
        fields.unwrap(),
        "Subject: a\r\n  folded\r\nsubject: second\r\n\r\n"
    );
    let not = get(
        raw,
        &[],
        Some(SectionText::HeaderFieldsNot(names(&["subject"]))),
    );
    assert_eq!(not.unwrap(), "X-Y: 1\r\nTo: t@x\r\n\r\n");
    let none = get(raw, &[], Some(SectionText::HeaderFields(names(&["cc"]))));
    assert_eq!(none.unwrap(), "\r\n");
    // no blank line: FIELDS still ends with one, FIELDS.NOT is the header
    // minus the fields (colon-less lines included), as in Dovecot
    let raw = b"No colon here\nSubject: s\nDate: d";
    let fields = get(raw, &[], Some(SectionText::HeaderFields(names(&["date"]))));
    assert_eq!(fields.unwrap(), "Date: d\r\n\r\n");
    let not = get(
        raw,
        &[],
        Some(SectionText::HeaderFieldsNot(names(&["subject"]))),
    );
    assert_eq!(not.unwrap(), "No colon here\r\nDate: d");
    let empty = get(b"", &[], Some(SectionText::HeaderFieldsNot(names(&["x"]))));
    assert_eq!(empty.unwrap(), "");
}

#[test]
fn part_numbers_of_a_single_part_message() {
    let raw = fixture("simple");
    let text = get(&raw, &[], Some(SectionText::Text));
    assert_eq!(get(&raw, &[1], None), text);
    assert_eq!(get(&raw, &[2], None), None);
    assert_eq!(get(&raw, &[1, 1], None), None);
    assert_eq!(get(&raw, &[0], None), None);
}

#[test]
fn multipart_parts_and_mime_headers() {
    let raw = fixture("attachment");
    assert_eq!(get(&raw, &[1], None).unwrap(), "See the attachments.");
    assert_eq!(get(&raw, &[2], None).unwrap(), "JVBERi0xLjQKJcfs");
    let mime = get(&raw, &[3], Some(SectionText::Mime)).unwrap();
    assert!(mime.starts_with("Content-Type: application/octet-stream;\r\n name*0="));
    assert!(mime.ends_with("%C3%A9t%C3%A9.txt\r\n\r\n"));
    assert_eq!(get(&raw, &[3], None).unwrap(), "AAAA");
    assert_eq!(get(&raw, &[4], None), None);
    // like Dovecot: `1` below a single part is that part, once
    assert_eq!(get(&raw, &[2, 1], None).unwrap(), "JVBERi0xLjQKJcfs");
    assert!(
        get(&raw, &[2, 1], Some(SectionText::Mime))
            .unwrap()
            .ends_with(".pdf\r\n\r\n")
    );
    assert_eq!(get(&raw, &[2, 1, 1], None), None);
    assert_eq!(get(&raw, &[2, 2], None), None);
    // HEADER and TEXT only apply to message/rfc822 parts
    assert_eq!(get(&raw, &[1], Some(SectionText::Header)), None);
}

#[test]
fn nested_message_parts() {
    let raw = fixture("nested");
    let part2 = get(&raw, &[2], None).unwrap();
    assert!(part2.starts_with("From: inner@example.net\r\n"));
    assert!(part2.ends_with("--b2--"));
    let mime = get(&raw, &[2], Some(SectionText::Mime)).unwrap();
    assert_eq!(
        mime,
        "Content-Type: message/rfc822\r\nContent-Description: forwarded\r\n\r\n"
    );
    let header = get(&raw, &[2], Some(SectionText::Header)).unwrap();
    assert!(header.starts_with("From: inner@example.net\r\n"));
    assert!(header.ends_with("boundary=\"b2\"\r\n\r\n"));
    let text = get(&raw, &[2], Some(SectionText::Text)).unwrap();
    assert!(text.starts_with("--b2\r\n"));
    assert_eq!(header.len() + text.len(), part2.len());
    let subject = get(
        &raw,
        &[2],
        Some(SectionText::HeaderFields(names(&["subject"]))),
    );
    assert_eq!(subject.unwrap(), "Subject: inner\r\n\r\n");
    assert_eq!(get(&raw, &[2, 1], None).unwrap(), "inner plain");
    assert_eq!(get(&raw, &[2, 2], None).unwrap(), "<p>inner html</p>");
    let mime21 = get(&raw, &[2, 1], Some(SectionText::Mime)).unwrap();
    assert_eq!(mime21, "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
    assert_eq!(get(&raw, &[2, 3], None), None);
}

#[test]
fn broken_mail_never_panics() {
    let specs = [
        sec(&[], Some(SectionText::Header)),
        sec(&[], Some(SectionText::Text)),
        sec(&[1], None),
        sec(&[1], Some(SectionText::Mime)),
        sec(&[1, 2], Some(SectionText::Text)),
        sec(&[2, 1, 1], Some(SectionText::Header)),
    ];
    for name in [
        "no_boundary",
        "nul",
        "no_body",
        "no_header",
        "empty",
        "stray_cr",
        "digest",
    ] {
        let raw = fixture(name);
        for s in &specs {
            let _ = mime::section(&raw, s);
        }
    }
    let empty = fixture("empty");
    assert_eq!(get(&empty, &[], Some(SectionText::Header)).unwrap(), "");
    let no_body = fixture("no_body");
    assert_eq!(get(&no_body, &[], Some(SectionText::Text)).unwrap(), "");
}

#[test]
fn digest_parts_default_to_messages() {
    let raw = fixture("digest");
    let header = get(&raw, &[1], Some(SectionText::Header)).unwrap();
    assert_eq!(header, "From: one@example.org\r\nSubject: first\r\n\r\n");
    assert_eq!(get(&raw, &[1, 1], None).unwrap(), "first body");
    // the second part says text/plain, so it has no HEADER of its own
    assert_eq!(get(&raw, &[2], Some(SectionText::Header)), None);
    assert_eq!(get(&raw, &[2], None).unwrap(), "not a message");
}

#[test]
fn encoded_and_unterminated_parts() {
    let raw = fixture("encoded_rfc822");
    // a base64 message/rfc822 is not parsed: its body is the encoded text
    assert_eq!(get(&raw, &[1], None).unwrap(), "U3ViamVjdDogaGkKCmJvZHkK");
    assert_eq!(get(&raw, &[1], Some(SectionText::Header)), None);
    assert_eq!(get(&raw, &[1, 1], None), None);
    assert_eq!(get(&raw, &[2], None).unwrap(), "");
    let raw = fixture("unterminated");
    assert_eq!(get(&raw, &[1], None).unwrap(), "first");
    let last = get(&raw, &[2], None).unwrap();
    assert_eq!(last, "!!!not base64***\r\nmore\r\n");
}

#[test]
fn boundary_line_end_belongs_to_the_boundary() {
    let raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n\r\n--b--\r\n";
    assert_eq!(get(raw, &[1], None).unwrap(), "x\r\n");
    assert_eq!(get(raw, &[1], Some(SectionText::Mime)).unwrap(), "\r\n");
}
