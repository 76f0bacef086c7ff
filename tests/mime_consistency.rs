//! BODYSTRUCTURE and BODY[section] agree: every single part's size (and
//! line count) is exactly what BODY[part] returns, down through multiparts
//! and nested messages, for every fixture and for mangled variants.

use std::path::PathBuf;

use asimap::mime::{self, Meta};
use asimap::proto::Section;

/// An IMAP value as BODYSTRUCTURE uses them.
#[derive(Debug, Clone)]
enum Value {
    List(Vec<Value>),
    Str(Vec<u8>),
    Atom(String),
}

/// Parses one value at `*pos`.
fn parse(s: &[u8], pos: &mut usize) -> Value {
    match s[*pos] {
        b'(' => {
            *pos += 1;
            let mut items = Vec::new();
            while s[*pos] != b')' {
                if s[*pos] == b' ' {
                    *pos += 1;
                    continue;
                }
                items.push(parse(s, pos));
            }
            *pos += 1;
            Value::List(items)
        }
        b'"' => {
            let mut out = Vec::new();
            *pos += 1;
            while s[*pos] != b'"' {
                if s[*pos] == b'\\' {
                    *pos += 1;
                }
                out.push(s[*pos]);
                *pos += 1;
            }
            *pos += 1;
            Value::Str(out)
        }
        b'{' => {
            let close = *pos + s[*pos..].iter().position(|&b| b == b'}').unwrap();
            let n: usize = std::str::from_utf8(&s[*pos + 1..close])
                .unwrap()
                .parse()
                .unwrap();
            let start = close + 3;
            *pos = start + n;
            Value::Str(s[start..start + n].to_vec())
        }
        _ => {
            let start = *pos;
            while !matches!(s[*pos], b' ' | b')') {
                *pos += 1;
            }
            Value::Atom(String::from_utf8(s[start..*pos].to_vec()).unwrap())
        }
    }
}

fn number(v: &Value) -> usize {
    match v {
        Value::Atom(a) => a.parse().unwrap(),
        other => panic!("not a number: {other:?}"),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Str(s) => String::from_utf8_lossy(s).to_lowercase(),
        other => panic!("not a string: {other:?}"),
    }
}

fn exists(raw: &[u8], path: &[u32]) -> bool {
    let section = Section {
        part: path.to_vec(),
        text: None,
    };
    mime::section(raw, &section).is_some()
}

fn body_of(raw: &[u8], path: &[u32]) -> Vec<u8> {
    let section = Section {
        part: path.to_vec(),
        text: None,
    };
    mime::section(raw, &section).unwrap_or_default()
}

/// Checks the body structure `v` of the part at `path` (of a message's
/// body when `message`, whose single part is `path.1`); returns how many
/// parts were checked.
fn check(raw: &[u8], v: &Value, path: &[u32], message: bool, what: &str) -> usize {
    let Value::List(items) = v else {
        panic!("{what}: not a list")
    };
    if let Value::List(_) = items[0] {
        let children: Vec<&Value> = items
            .iter()
            .take_while(|i| matches!(i, Value::List(_)))
            .collect();
        let mut n = 0;
        for (i, child) in children.iter().enumerate() {
            let mut p = path.to_vec();
            p.push(i as u32 + 1);
            if exists(raw, &p) {
                n += check(raw, child, &p, false, what);
            } else {
                // the stand-in for a multipart without parts: one empty part
                assert_eq!(children.len(), 1, "{what}: {p:?} missing");
            }
        }
        return n;
    }
    let mut path = path.to_vec();
    if message {
        path.push(1);
    }
    let body = body_of(raw, &path);
    assert_eq!(number(&items[6]), body.len(), "{what}: size of {path:?}");
    let lines = body.iter().filter(|&&b| b == b'\n').count();
    let (kind, sub) = (text(&items[0]), text(&items[1]));
    if kind == "text" {
        assert_eq!(number(&items[7]), lines, "{what}: lines of {path:?}");
    }
    if kind == "message" && sub == "rfc822" {
        assert_eq!(number(&items[9]), lines, "{what}: lines of {path:?}");
        // a transfer-encoded message is not parsed: its stand-in is empty
        let mut inner = path.clone();
        inner.push(1);
        if exists(raw, &inner) {
            return 1 + check(raw, &items[8], &path, true, what);
        }
    }
    1
}

fn structure(raw: &[u8]) -> Value {
    let meta = Meta::analyze(raw);
    parse(&meta.bodystructure, &mut 0)
}

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mime");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            let name = path.file_stem()?.to_string_lossy().into_owned();
            (path.extension()? == "eml").then(|| (name, std::fs::read(&path).unwrap()))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn sizes_and_lines_match_sections() {
    let mut checked = 0;
    for (name, raw) in fixtures() {
        checked += check(&raw, &structure(&raw), &[], true, &name);
    }
    // the fixtures hold well over this many single parts
    assert!(checked >= 35, "{checked}");
}

#[test]
fn sizes_match_on_mangled_fixtures() {
    // deterministic mangling: drop every k-th line of each fixture
    for (name, raw) in fixtures() {
        for k in 2..6 {
            let lines: Vec<&[u8]> = raw.split_inclusive(|&b| b == b'\n').collect();
            let mangled: Vec<u8> = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| i % k != 0)
                .flat_map(|(_, l)| l.iter().copied())
                .collect();
            let what = format!("{name} without every {k}th line");
            check(&mangled, &structure(&mangled), &[], true, &what);
        }
    }
}
