//! Wire form (LF to CRLF, NUL to 0x80) and the decoded text SEARCH
//! matches.

use mail_parser::decoders::charsets::map::charset_decoder;

use super::tree::{self, Kind, Part};
use super::{header, rfc2047, transfer};

/// The byte a NUL is sent as: RFC 3501 and RFC 9051 literals carry CHAR8
/// (%x01-ff), and a NUL may only travel in a BINARY literal, which asimap
/// does not offer. One byte for one, so every size and offset holds.
pub(crate) const NUL_ON_WIRE: u8 = 0x80;

/// Appends `raw` in wire form: every LF not preceded by CR becomes CRLF and
/// every NUL becomes [`NUL_ON_WIRE`] (as Dovecot sends them). Other bytes
/// pass unchanged (pitfall 20: the file's bytes).
pub(crate) fn to_wire(raw: &[u8], out: &mut Vec<u8>) {
    out.reserve(raw.len() + raw.len() / 32);
    let mut last = 0;
    for i in memchr::memchr2_iter(b'\n', 0, raw) {
        if raw[i] == 0 {
            out.extend_from_slice(&raw[last..i]);
            out.push(NUL_ON_WIRE);
            last = i + 1;
        } else if i == 0 || raw[i - 1] != b'\r' {
            out.extend_from_slice(&raw[last..i]);
            out.push(b'\r');
            last = i;
        }
    }
    out.extend_from_slice(&raw[last..]);
}

/// The length of `raw` after [`to_wire`].
pub(crate) fn wire_len(raw: &[u8]) -> u64 {
    let bare = memchr::memchr_iter(b'\n', raw)
        .filter(|&i| i == 0 || raw[i - 1] != b'\r')
        .count();
    (raw.len() + bare) as u64
}

/// The decoded text of every text part, nested messages (their header
/// fields too) included; other parts add nothing.
pub(crate) fn body_text(raw: &[u8]) -> String {
    let mut out = String::new();
    collect(raw, &tree::parse(raw), &mut out);
    out
}

/// Collects below a part (the tree's depth is bounded).
fn collect(raw: &[u8], part: &Part, out: &mut String) {
    match &part.kind {
        Kind::Multipart(children) => {
            for child in children {
                collect(raw, child, out);
            }
        }
        Kind::Message(inner) => {
            out.push_str(&fields_text(&raw[inner.header.clone()]));
            collect(raw, inner, out);
        }
        Kind::Leaf => leaf_text(raw, part, out),
    }
}

/// A text/* leaf's body, transfer-decoded and converted from its charset.
fn leaf_text(raw: &[u8], part: &Part, out: &mut String) {
    if !tree::is(&part.ctype, "text", None) {
        return;
    }
    let fields = header::fields(&raw[part.header.clone()]);
    let encoding = header::first_value(&fields, "content-transfer-encoding");
    let bytes = transfer::decode(encoding.as_deref(), &raw[part.body.clone()]);
    let text = match part.ctype.param("charset").and_then(charset_decoder) {
        Some(decode) => decode(&bytes),
        None => rfc2047::raw_text(&bytes),
    };
    out.push_str(&text);
    out.push('\n');
}

/// The RFC 2047-decoded values of the top-level fields named `name`, joined
/// by newlines.
pub(crate) fn header_text(raw: &[u8], name: &str) -> String {
    let block = header_block(raw);
    let values: Vec<String> = header::fields(block)
        .iter()
        .filter(|f| f.is(name))
        .map(|f| decode(f.value))
        .collect();
    values.join("\n")
}

/// All top-level fields as `Name: decoded value` lines, for SEARCH TEXT.
pub(crate) fn all_headers_text(raw: &[u8]) -> String {
    fields_text(header_block(raw))
}

/// The fields of a header block as `Name: decoded value` lines.
fn fields_text(block: &[u8]) -> String {
    let mut out = String::new();
    for f in header::fields(block) {
        out.push_str(&String::from_utf8_lossy(f.name));
        out.push_str(": ");
        out.push_str(&decode(f.value));
        out.push('\n');
    }
    out
}

/// The message's header block: up to and including the first blank line.
pub(crate) fn header_block(raw: &[u8]) -> &[u8] {
    let mut pos = 0;
    while pos < raw.len() {
        let end = memchr::memchr(b'\n', &raw[pos..]).map_or(raw.len(), |i| pos + i + 1);
        if matches!(&raw[pos..end], b"\n" | b"\r\n") {
            return &raw[..end];
        }
        pos = end;
    }
    raw
}

/// Decodes a raw field value for SEARCH: unfolded, RFC 2047 words
/// decoded (see [`rfc2047::decode`]).
pub(crate) fn decode(value: &[u8]) -> String {
    rfc2047::decode(&header::unfold(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form() {
        let mut out = Vec::new();
        to_wire(b"a\nb\r\nc\n\n", &mut out);
        assert_eq!(out, b"a\r\nb\r\nc\r\n\r\n");
        assert_eq!(wire_len(b"a\nb\r\nc\n\n"), out.len() as u64);
        assert_eq!(wire_len(b"\n"), 2);
        assert_eq!(wire_len(b""), 0);
    }

    #[test]
    fn nul_goes_out_as_0x80_byte_for_byte() {
        let mut out = b"kept\0".to_vec();
        to_wire(b"\0x\r\n\0\n\r\0\n\0", &mut out);
        assert_eq!(out, b"kept\0\x80x\r\n\x80\r\n\r\x80\r\n\x80");
        let raw = b"\0\0\n\0\r\n";
        let mut wire = Vec::new();
        to_wire(raw, &mut wire);
        assert_eq!(wire, b"\x80\x80\r\n\x80\r\n");
        assert_eq!(wire_len(raw), wire.len() as u64);
    }

    #[test]
    fn decodes_words() {
        assert_eq!(decode(b" =?utf-8?q?J=C3=B6rg?= <j@x>"), "J\u{f6}rg <j@x>");
        assert_eq!(decode(" caf\u{e9}".as_bytes()), "caf\u{e9}");
        // an encoded word split inside a multibyte character
        let _ = decode(b"=?utf-8?q?=C3?= =?utf-8?q?=A9?=");
    }
}
