//! `BODY[section]` extraction (RFC 3501 §6.4.5) by byte ranges of the part
//! tree.

use std::collections::HashSet;

use super::header;
use super::tree::{Kind, Part, is};
use crate::proto::{Section, SectionText};

/// The bytes of `section` of the message whose tree is `root`, in stored
/// (LF) form; `None` when the part or the text does not exist.
pub(crate) fn extract(raw: &[u8], root: &Part, section: &Section) -> Option<Vec<u8>> {
    if section.part.is_empty() {
        return match &section.text {
            None => Some(raw.to_vec()),
            Some(text) => of_message(raw, root, text),
        };
    }
    let part = resolve(root, &section.part)?;
    match &section.text {
        None => Some(raw[part.body.clone()].to_vec()),
        Some(SectionText::Mime) => Some(raw[part.header.clone()].to_vec()),
        Some(text) => match &part.kind {
            Kind::Message(inner) => of_message(raw, inner, text),
            _ => None,
        },
    }
}

/// HEADER, HEADER.FIELDS(.NOT) or TEXT of a (nested) message.
fn of_message(raw: &[u8], msg: &Part, text: &SectionText) -> Option<Vec<u8>> {
    let block = &raw[msg.header.clone()];
    match text {
        SectionText::Header => Some(block.to_vec()),
        SectionText::Text => Some(raw[msg.body.clone()].to_vec()),
        SectionText::HeaderFields(names) => Some(filter(block, names, true)),
        SectionText::HeaderFieldsNot(names) => Some(filter(block, names, false)),
        // MIME needs a part number (the grammar forbids it at the top)
        SectionText::Mime => None,
    }
}

/// The fields whose name is (or, with `keep` false, is not) among `names`,
/// continuation lines included. As in Dovecot, HEADER.FIELDS always ends
/// with a blank line, while HEADER.FIELDS.NOT is the header minus those
/// fields, so it keeps lines without a colon and has a blank line only when
/// the header has one.
fn filter(block: &[u8], names: &[String], keep: bool) -> Vec<u8> {
    let names: HashSet<Vec<u8>> = names
        .iter()
        .map(|n| n.as_bytes().to_ascii_lowercase())
        .collect();
    let mut out = Vec::new();
    for f in header::fields(block) {
        let listed = !f.name.is_empty() && names.contains(&f.name.to_ascii_lowercase());
        if listed != keep {
            continue;
        }
        out.extend_from_slice(&block[f.span.clone()]);
        if keep && !out.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    if keep || has_blank_line(block) {
        out.push(b'\n');
    }
    out
}

/// True when a header block ends with its blank line.
fn has_blank_line(block: &[u8]) -> bool {
    let body = block.strip_suffix(b"\n").unwrap_or(block);
    let body = body.strip_suffix(b"\r").unwrap_or(body);
    block.ends_with(b"\n") && (body.is_empty() || body.ends_with(b"\n"))
}

/// Follows part numbers from the message root. Leniently, as Dovecot
/// does, a `1` after a single part below the top names that part itself,
/// once (`2.1` is part 2 when part 2 is not multipart; `2.1.1` is nothing).
fn resolve<'a>(root: &'a Part, path: &[u32]) -> Option<&'a Part> {
    let (first, rest) = path.split_first()?;
    let mut cur = message_child(root, *first)?;
    // the body of a single-part message has no sub-parts at all
    let mut lenient = !std::ptr::eq(cur, root);
    for &n in rest {
        let single = matches!(cur.kind, Kind::Leaf) && !is(&cur.ctype, "message", None);
        if single && n == 1 && lenient {
            lenient = false;
            continue;
        }
        cur = child(cur, n)?;
        lenient = true;
    }
    Some(cur)
}

/// Part `n` of a message: its n-th part when multipart, else (n = 1) its
/// body, which is the root part itself.
fn message_child(msg: &Part, n: u32) -> Option<&Part> {
    match &msg.kind {
        Kind::Multipart(_) => child(msg, n),
        _ if n == 1 => Some(msg),
        _ => None,
    }
}

/// Sub-part `n` of a part: of a multipart its n-th part, of a
/// message/rfc822 part the parts of the nested message.
fn child(part: &Part, n: u32) -> Option<&Part> {
    let index = usize::try_from(n.checked_sub(1)?).ok()?;
    match &part.kind {
        Kind::Multipart(children) => children.get(index),
        Kind::Message(inner) => message_child(inner, n),
        Kind::Leaf => None,
    }
}
