//! Golden ENVELOPE, BODY and BODYSTRUCTURE for the fixtures in
//! tests/fixtures/mime, broken mail included. `NAME.envelope` and
//! `NAME.bodystructure` hold the expected IMAP text, `NAME.sections` the
//! bytes of a list of BODY[section]s; run with
//! `UPDATE_GOLDEN=1` to rewrite them after checking a change by hand (and
//! against Dovecot with tests/fixtures/mime/dovecot_compare.py).
//!
//! Dovecot 2.3 agrees byte for byte on all of them except, on purpose:
//! `addresses` (trailing blanks trimmed, `"` escaped in a quoted string
//! rather than sent as a literal, empty list members skipped),
//! `encoded_rfc822` and `nested` (the line end before a boundary is not
//! counted in a message/rfc822 part, so BODY[2] and BODY[2.TEXT] are two
//! bytes shorter too), `invalid_ctype` (RFC 2045 default type), `simple`
//! (`TEXT/PLAIN` kept as written), `encoded_rfc822` BODY[1.HEADER] (a
//! base64 message is not parsed, so it has no header; Dovecot answers
//! the encoded text) and `empty_boundary` BODY[1.MIME] (an empty boundary
//! has no parts; Dovecot's BODYSTRUCTURE says so but its sections find
//! one). In `nul` sections each NUL goes out as 0x80, as in Dovecot.

use std::path::PathBuf;

use asimap::mime::{self, Meta};
use asimap::proto::{Section, SectionText};

const FIXTURES: &[&str] = &[
    "simple",
    "alternative",
    "attachment",
    "nested",
    "eightbit_7bit",
    "no_boundary",
    "utf8_subject",
    "split_word",
    "duplicate_headers",
    "invalid_ctype",
    "nul",
    "no_body",
    "no_header",
    "empty",
    "stray_cr",
    "digest",
    "encoded_rfc822",
    "unterminated",
    "toplevel_rfc822",
    "addresses",
    "empty_boundary",
    "mime_comments",
    "groups",
    "inner_unterminated",
    "rfc822_8bit",
    "folded_params",
];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mime")
}

fn check(name: &str, ext: &str, got: &[u8]) {
    let path = dir().join(format!("{name}.{ext}"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        String::from_utf8_lossy(got),
        String::from_utf8_lossy(&want),
        "{name}.{ext}"
    );
    assert_eq!(got, want, "{name}.{ext} (bytes)");
}

#[test]
fn golden_fixtures() {
    for name in FIXTURES {
        let raw = std::fs::read(dir().join(format!("{name}.eml"))).unwrap();
        let meta = Meta::analyze(&raw);
        assert_eq!(meta.size, mime::wire_len(&raw), "{name}");
        check(name, "envelope", &meta.envelope);
        check(name, "body", &meta.body);
        check(name, "bodystructure", &meta.bodystructure);
        assert_eq!(Meta::from_blob(&meta.to_blob()), Some(meta), "{name} blob");
    }
}

/// The sections pinned per fixture in `NAME.sections`, as IMAP names them.
const SECTIONS: &[&str] = &[
    "HEADER",
    "TEXT",
    "HEADER.FIELDS (SUBJECT FROM)",
    "HEADER.FIELDS.NOT (SUBJECT)",
    "1",
    "1.MIME",
    "1.HEADER",
    "1.TEXT",
    "1.1",
    "2",
    "2.MIME",
    "2.HEADER",
    "2.TEXT",
    "2.1",
    "2.1.MIME",
    "2.2",
    "2.1.1",
    "3",
];

/// Parses one of [`SECTIONS`].
fn section(spec: &str) -> Section {
    let mut part = Vec::new();
    let mut rest = spec;
    while let Some((n, tail)) = rest
        .split_once('.')
        .or(Some((rest, "")))
        .and_then(|(h, t)| Some((h.parse::<u32>().ok()?, t)))
    {
        part.push(n);
        rest = tail;
    }
    let fields = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
    let text = match rest {
        "" => None,
        "HEADER" => Some(SectionText::Header),
        "TEXT" => Some(SectionText::Text),
        "MIME" => Some(SectionText::Mime),
        r => match r.strip_prefix("HEADER.FIELDS.NOT (") {
            Some(list) => Some(SectionText::HeaderFieldsNot(fields(&list.replace(')', "")))),
            None => {
                let list = r.strip_prefix("HEADER.FIELDS (").unwrap();
                Some(SectionText::HeaderFields(fields(&list.replace(')', ""))))
            }
        },
    };
    Section { part, text }
}

/// Every pinned section of `raw` as `BODY[spec] LEN` lines, each followed
/// by the bytes and a newline (missing parts are empty, as FETCH sends).
fn sections(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for spec in SECTIONS {
        let data = mime::section(raw, &section(spec)).unwrap_or_default();
        out.extend_from_slice(format!("BODY[{spec}] {}\n", data.len()).as_bytes());
        out.extend_from_slice(&data);
        out.push(b'\n');
    }
    out
}

#[test]
fn golden_sections() {
    for name in FIXTURES {
        let raw = std::fs::read(dir().join(format!("{name}.eml"))).unwrap();
        check(name, "sections", &sections(&raw));
    }
}

/// Checks that `s` is a balanced IMAP list, skipping quoted strings and
/// literals, so that a serialisation bug cannot break framing.
fn assert_balanced(s: &[u8]) {
    let mut depth = 0i64;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b'"' => {
                i += 1;
                while s[i] != b'"' {
                    i += if s[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' => {
                let close = i + s[i..].iter().position(|&b| b == b'}').unwrap();
                let n: usize = std::str::from_utf8(&s[i + 1..close])
                    .unwrap()
                    .parse()
                    .unwrap();
                assert_eq!(&s[close + 1..close + 3], b"\r\n");
                i = close + 2 + n;
            }
            _ => {}
        }
        assert!(depth >= 0);
        i += 1;
    }
    assert_eq!(depth, 0, "{}", String::from_utf8_lossy(s));
}

#[test]
fn outputs_are_balanced() {
    for name in FIXTURES {
        let raw = std::fs::read(dir().join(format!("{name}.eml"))).unwrap();
        let meta = Meta::analyze(&raw);
        assert_balanced(&meta.envelope);
        assert_balanced(&meta.body);
        assert_balanced(&meta.bodystructure);
    }
}

#[test]
fn header_folded_over_thousands_of_lines() {
    let mut raw = b"From: a@example.com\nSubject: start".to_vec();
    for i in 0..5000 {
        raw.extend_from_slice(format!("\n word{i}").as_bytes());
    }
    raw.extend_from_slice(b"\nTo: b@example.com\n\nbody\n");
    let meta = Meta::analyze(&raw);
    assert!(
        meta.subject.starts_with("start word0 word1"),
        "{}",
        &meta.subject[..40]
    );
    assert!(meta.subject.ends_with("word4999"));
    let env = String::from_utf8(meta.envelope).unwrap();
    assert!(env.contains(" word2500 word2501 "));
    assert!(env.contains("((NIL NIL \"b\" \"example.com\"))"));
    assert_eq!(
        String::from_utf8(meta.body).unwrap(),
        "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1)"
    );
}

#[test]
fn many_addresses_and_deep_nesting_do_not_panic() {
    let mut raw = b"To: ".to_vec();
    for i in 0..3000 {
        raw.extend_from_slice(format!("u{i}@h, ").as_bytes());
    }
    raw.extend_from_slice(b"\nContent-Type: multipart/mixed; boundary=b0\n\n");
    for i in 1..200 {
        raw.extend_from_slice(
            format!(
                "--b{}\nContent-Type: multipart/mixed; boundary=b{i}\n\n",
                i - 1
            )
            .as_bytes(),
        );
    }
    raw.extend_from_slice(b"--b199\n\nleaf\n");
    let meta = Meta::analyze(&raw);
    assert_balanced(&meta.bodystructure);
    assert!(meta.to.contains("u2999@h"));
}
