//! The MIME part tree with absolute byte ranges, built from mail-parser's
//! parse of the stored message.

use std::ops::Range;

use mail_parser::{Message, MessageParser, PartType};

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
    /// What the body holds.
    pub kind: Kind,
}

/// The structure below a part.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// A single body.
    Leaf,
    /// A multipart body's parts (possibly none).
    Multipart(Vec<Part>),
    /// A message/rfc822 body's message (its root part).
    Message(Box<Part>),
}

/// Parses `raw` into its root part. Never fails: an empty message is an
/// empty leaf.
pub(crate) fn parse(raw: &[u8]) -> Part {
    let Some(msg) = MessageParser::default().parse(raw) else {
        // no field and no blank line: like Dovecot, all of it is header
        return Part {
            header: 0..raw.len(),
            body: raw.len()..raw.len(),
            kind: Kind::Leaf,
        };
    };
    build(&msg, 0, raw, 0).unwrap_or_else(|| whole(raw.len()))
}

fn whole(len: usize) -> Part {
    Part {
        header: 0..0,
        body: 0..len,
        kind: Kind::Leaf,
    }
}

/// Converts mail-parser's part `id` of `msg`, whose offsets point into
/// `raw`.
fn build(msg: &Message<'_>, id: u32, raw: &[u8], depth: usize) -> Option<Part> {
    let p = msg.parts.get(id as usize)?;
    let len = raw.len();
    let h = (p.offset_header as usize).min(len);
    let b = (p.offset_body as usize).clamp(h, len);
    let e = (p.offset_end as usize).clamp(b, len);
    let kind = if depth >= MAX_DEPTH {
        Kind::Leaf
    } else {
        kind(msg, id, &p.body, raw, depth)
    };
    Some(Part {
        header: h..b,
        body: b..e,
        kind,
    })
}

fn kind(msg: &Message<'_>, id: u32, body: &PartType<'_>, raw: &[u8], depth: usize) -> Kind {
    match body {
        PartType::Multipart(ids) => Kind::Multipart(
            ids.iter()
                // children always follow their parent; this also rules out cycles
                .filter(|&&c| c > id)
                .filter_map(|&c| build(msg, c, raw, depth + 1))
                .collect(),
        ),
        // Only a nested message parsed in place has offsets into `raw`; one
        // that was transfer-decoded first has offsets into its own buffer.
        PartType::Message(inner) if same_buffer(&inner.raw_message, raw) => {
            match build(inner, 0, raw, depth + 1) {
                Some(root) => Kind::Message(Box::new(root)),
                None => Kind::Leaf,
            }
        }
        _ => Kind::Leaf,
    }
}

fn same_buffer(a: &[u8], b: &[u8]) -> bool {
    std::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_offsets_are_absolute() {
        let raw = b"Content-Type: multipart/mixed; boundary=x\n\n--x\n\none\n--x\nContent-Type: message/rfc822\n\nSubject: in\n\ntwo\n--x--\n";
        let root = parse(raw);
        let Kind::Multipart(parts) = &root.kind else {
            panic!("{root:?}")
        };
        assert_eq!(&raw[parts[0].body.clone()], b"one");
        let Kind::Message(inner) = &parts[1].kind else {
            panic!("{parts:?}")
        };
        assert_eq!(&raw[inner.header.clone()], b"Subject: in\n\n");
        assert_eq!(&raw[inner.body.clone()], b"two");
    }

    #[test]
    fn empty_input() {
        let root = parse(b"");
        assert!(matches!(root.kind, Kind::Leaf));
        assert_eq!(root.body, 0..0);
    }
}
