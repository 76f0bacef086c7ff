//! Wire form (LF to CRLF) and the decoded text SEARCH matches.

use mail_parser::decoders::charsets::map::charset_decoder;

use super::tree::{self, Kind, Part};
use super::{header, rfc2047, transfer};

/// Appends `raw` with every LF not preceded by CR turned into CRLF.
///
/// Other bytes pass unchanged, NUL included (pitfall 20: the file's bytes);
/// Dovecot sends a NUL as 0x80 since RFC 3501 literals may not hold one.
pub(crate) fn to_crlf(raw: &[u8], out: &mut Vec<u8>) {
    out.reserve(raw.len() + raw.len() / 32);
    let mut last = 0;
    for i in memchr::memchr_iter(b'\n', raw) {
        if i == 0 || raw[i - 1] != b'\r' {
            out.extend_from_slice(&raw[last..i]);
            out.push(b'\r');
            last = i;
        }
    }
    out.extend_from_slice(&raw[last..]);
}

/// The length of `raw` after [`to_crlf`].
pub(crate) fn crlf_len(raw: &[u8]) -> u64 {
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
    fn crlf() {
        let mut out = Vec::new();
        to_crlf(b"a\nb\r\nc\n\n", &mut out);
        assert_eq!(out, b"a\r\nb\r\nc\r\n\r\n");
        let mut nul = b"kept\0".to_vec();
        to_crlf(b"\0x\r\n", &mut nul);
        assert_eq!(nul, b"kept\0\0x\r\n");
        assert_eq!(crlf_len(b"a\nb\r\nc\n\n"), out.len() as u64);
        assert_eq!(crlf_len(b"\n"), 2);
        assert_eq!(crlf_len(b""), 0);
    }

    #[test]
    fn decodes_words() {
        assert_eq!(decode(b" =?utf-8?q?J=C3=B6rg?= <j@x>"), "J\u{f6}rg <j@x>");
        assert_eq!(decode(" caf\u{e9}".as_bytes()), "caf\u{e9}");
        // an encoded word split inside a multibyte character
        let _ = decode(b"=?utf-8?q?=C3?= =?utf-8?q?=A9?=");
    }
}
