//! The MIME part tree (RFC 2045, RFC 2046) as byte ranges of the stored
//! message, down through multiparts and message/rfc822 parts.
//!
//! This is a small parser of its own rather than mail-parser's part list:
//! mail-parser reads a nested message's header across its parent's
//! boundary line when the nested message is empty or broken, which puts
//! the part end at the end of the file, and it decodes every body while
//! parsing, which the structure does not need. Ranges here never cross a
//! parent's boundary.

use std::ops::Range;

use super::ctype::{self, Params};
use super::header;

/// Nesting deeper than this is treated as an opaque leaf, so that a
/// hostile message cannot exhaust the stack of the recursive walks.
const MAX_DEPTH: usize = 64;

/// One MIME part.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    /// The part's header block, its blank line included (empty when absent).
    pub header: Range<usize>,
    /// The part's body (for a message/rfc822 part: the whole nested message).
    pub body: Range<usize>,
    /// Its Content-Type, or the default where it has none or a bad one.
    pub ctype: Params,
    /// What the body holds.
    pub kind: Kind,
}

/// The structure below a part.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// A single body.
    Leaf,
    /// A multipart body's parts (none when no boundary line was found).
    Multipart(Vec<Part>),
    /// A message/rfc822 body's message (its root part).
    Message(Box<Part>),
}

/// Parses the message `raw` into its root part. Never fails.
pub(crate) fn parse(raw: &[u8]) -> Part {
    part(raw, 0..raw.len(), false, 0)
}

/// Splits `raw` into header and body only, for sections of the top-level
/// message that need no part structure (HEADER, HEADER.FIELDS, TEXT).
pub(crate) fn parse_top(raw: &[u8]) -> Part {
    let split = header_end(raw, 0..raw.len());
    Part {
        header: 0..split,
        body: split..raw.len(),
        ctype: default_type(false),
        kind: Kind::Leaf,
    }
}

/// Parses the part in `range`; `in_digest` selects message/rfc822 as the
/// default type (RFC 2046 §5.1.5).
fn part(raw: &[u8], range: Range<usize>, in_digest: bool, depth: usize) -> Part {
    let split = header_end(raw, range.clone());
    let header = range.start..split;
    let body = split..range.end;
    let fields = header::fields(&raw[header.clone()]);
    let ctype = header::first_value(&fields, "content-type")
        .and_then(|v| ctype::content_type(&v))
        .unwrap_or_else(|| default_type(in_digest));
    let kind = if depth >= MAX_DEPTH {
        Kind::Leaf
    } else if is(&ctype, "multipart", None) {
        multipart(raw, body.clone(), &ctype, depth)
    } else if is(&ctype, "message", Some("rfc822")) && identity_encoded(&fields) {
        Kind::Message(Box::new(part(raw, body.clone(), false, depth + 1)))
    } else {
        Kind::Leaf
    };
    Part {
        header,
        body,
        ctype,
        kind,
    }
}

/// True when the type is `kind` (and the subtype `sub`, if given).
pub(crate) fn is(ctype: &Params, kind: &str, sub: Option<&str>) -> bool {
    let same = |a: &[u8], b: &str| a.eq_ignore_ascii_case(b.as_bytes());
    same(&ctype.kind, kind)
        && sub.is_none_or(|s| ctype.subtype.as_deref().is_some_and(|t| same(t, s)))
}

/// RFC 2045 §5.2 and RFC 2046 §5.1.5: text/plain; charset=us-ascii, or
/// message/rfc822 inside multipart/digest. Also used for an invalid
/// Content-Type (Dovecot sends the invalid type as written instead).
fn default_type(in_digest: bool) -> Params {
    let (kind, subtype, params) = if in_digest {
        ("message", "rfc822", Vec::new())
    } else {
        let charset = (b"charset".to_vec(), b"us-ascii".to_vec());
        ("text", "plain", vec![charset])
    };
    Params {
        kind: kind.as_bytes().to_vec(),
        subtype: Some(subtype.as_bytes().to_vec()),
        params,
    }
}

/// A message/rfc822 body is only parsed when it is not transfer-encoded
/// (RFC 2046 §5.2.1 allows 7bit, 8bit and binary); an encoded one is
/// described as an empty message, as Dovecot does.
fn identity_encoded(fields: &[header::Field<'_>]) -> bool {
    match header::first_value(fields, "content-transfer-encoding") {
        None => true,
        Some(cte) => [&b"7bit"[..], b"8bit", b"binary", b""]
            .iter()
            .any(|ok| cte.eq_ignore_ascii_case(ok)),
    }
}

/// The offset just past the blank line ending the header that starts at
/// `range.start`, or `range.end` when there is none.
fn header_end(raw: &[u8], range: Range<usize>) -> usize {
    let mut pos = range.start;
    while pos < range.end {
        let end = line_end(raw, pos, range.end);
        if matches!(&raw[pos..end], b"\n" | b"\r\n") {
            return end;
        }
        pos = end;
    }
    range.end
}

/// The offset just past the LF of the line starting at `pos`, or `limit`.
fn line_end(raw: &[u8], pos: usize, limit: usize) -> usize {
    memchr::memchr(b'\n', &raw[pos..limit]).map_or(limit, |i| pos + i + 1)
}

fn multipart(raw: &[u8], body: Range<usize>, ctype: &Params, depth: usize) -> Kind {
    let Some(boundary) = ctype.param("boundary").filter(|b| !b.is_empty()) else {
        return Kind::Multipart(Vec::new());
    };
    let digest = is(ctype, "multipart", Some("digest"));
    let parts = split(raw, body, boundary)
        .into_iter()
        .map(|r| part(raw, r, digest, depth + 1))
        .collect();
    Kind::Multipart(parts)
}

/// The ranges between boundary delimiter lines (RFC 2046 §5.1.1): the line
/// end before a delimiter belongs to the delimiter; the preamble and the
/// epilogue belong to no part; without a close delimiter the last part
/// runs to the end of the body.
fn split(raw: &[u8], body: Range<usize>, boundary: &[u8]) -> Vec<Range<usize>> {
    let mut dashed = b"--".to_vec();
    dashed.extend_from_slice(boundary);
    let finder = memchr::memmem::Finder::new(&dashed);
    let mut parts = Vec::new();
    let mut open: Option<usize> = None;
    let mut pos = body.start;
    while let Some(found) = finder.find(&raw[pos..body.end]) {
        let at = pos + found;
        pos = at + 1;
        // a delimiter starts a line (checked first: at most one per line
        // then scans to the line end)
        if at != body.start && raw[at - 1] != b'\n' {
            continue;
        }
        let end = line_end(raw, at, body.end);
        let Some(close) = delimiter(&raw[at..end], boundary) else {
            continue;
        };
        pos = end;
        if let Some(start) = open {
            parts.push(start..before_line_end(raw, start, at));
        }
        if close {
            return parts;
        }
        open = Some(end);
    }
    if let Some(start) = open {
        parts.push(start..body.end);
    }
    parts
}

/// For a delimiter line, `Some(true)` when it is the close delimiter.
fn delimiter(line: &[u8], boundary: &[u8]) -> Option<bool> {
    let rest = line.strip_prefix(b"--")?.strip_prefix(boundary)?;
    let (close, rest) = match rest.strip_prefix(b"--") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    rest.iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .then_some(close)
}

/// `line_start` minus the LF (and a CR before it) that ends the previous
/// line, never before `floor`.
fn before_line_end(raw: &[u8], floor: usize, line_start: usize) -> usize {
    let mut end = line_start;
    if end > floor && raw[end - 1] == b'\n' {
        end -= 1;
        if end > floor && raw[end - 1] == b'\r' {
            end -= 1;
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn children(p: &Part) -> &[Part] {
        match &p.kind {
            Kind::Multipart(c) => c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nested_ranges() {
        let raw = b"Content-Type: multipart/mixed; boundary=x\n\npre\n--x\n\none\n--x\nContent-Type: message/rfc822\n\nSubject: in\n\ntwo\n--x--\nepilogue\n";
        let root = parse(raw);
        let parts = children(&root);
        assert_eq!(parts.len(), 2);
        assert_eq!(&raw[parts[0].header.clone()], b"\n");
        assert_eq!(&raw[parts[0].body.clone()], b"one");
        let Kind::Message(inner) = &parts[1].kind else {
            panic!("{parts:?}")
        };
        assert_eq!(&raw[inner.header.clone()], b"Subject: in\n\n");
        assert_eq!(&raw[inner.body.clone()], b"two");
    }

    #[test]
    fn boundary_prefix_and_padding() {
        let raw =
            b"Content-Type: multipart/mixed; boundary=b\n\n--b \n\na\n--b2\nstill a\n--b--  \n";
        let parts = children(&parse(raw)).to_vec();
        assert_eq!(parts.len(), 1);
        assert_eq!(&raw[parts[0].body.clone()], b"a\n--b2\nstill a");
    }

    #[test]
    fn empty_and_unterminated() {
        let root = parse(b"");
        assert!(matches!(root.kind, Kind::Leaf));
        assert_eq!((root.header.clone(), root.body.clone()), (0..0, 0..0));
        let raw = b"Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n\nlast\n";
        let parts = children(&parse(raw)).to_vec();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].body.clone(), parts[0].header.clone());
        assert_eq!(&raw[parts[1].body.clone()], b"last\n");
        let none = parse(b"Content-Type: multipart/mixed; boundary=b\n\nno lines\n");
        assert!(children(&none).is_empty());
    }
}
