//! RFC 2047 encoded words in header values, decoded to UTF-8 for SEARCH.
//!
//! Adjacent encoded words in the same charset are joined as bytes before
//! the charset is applied, so a multibyte character split across two words
//! (common in real mail, though RFC 2047 §5 forbids it) decodes whole.
//! Bytes outside encoded words are UTF-8 when valid, else Windows-1252.

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::charsets::map::charset_decoder;

/// One piece of a header value.
enum Piece<'a> {
    /// Text outside encoded words, as written.
    Raw(&'a [u8]),
    /// An encoded word: its charset and decoded bytes.
    Word(&'a [u8], Vec<u8>),
}

/// Decodes every encoded word in `value`, never failing: a malformed word
/// stays as written.
pub(crate) fn decode(value: &[u8]) -> String {
    let mut out = String::with_capacity(value.len());
    let pieces = split(value);
    let mut i = 0;
    while i < pieces.len() {
        match &pieces[i] {
            Piece::Raw(raw) => out.push_str(&raw_text(raw)),
            Piece::Word(charset, bytes) => {
                let mut joined = bytes.clone();
                while let Some(Piece::Word(next, more)) = pieces.get(i + 1) {
                    if !next.eq_ignore_ascii_case(charset) {
                        break;
                    }
                    joined.extend_from_slice(more);
                    i += 1;
                }
                out.push_str(&in_charset(charset, &joined));
            }
        }
        i += 1;
    }
    out
}

/// Splits into raw text and encoded words; blanks between two encoded
/// words are dropped (RFC 2047 §6.2).
fn split(value: &[u8]) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut raw_start = 0;
    let mut pos = 0;
    while let Some(found) = memchr::memmem::find(&value[pos..], b"=?") {
        let at = pos + found;
        let Some((charset, bytes, end)) = word(value, at) else {
            pos = at + 2;
            continue;
        };
        let gap = &value[raw_start..at];
        let after_word = matches!(pieces.last(), Some(Piece::Word(..)));
        let dropped = after_word && gap.iter().all(u8::is_ascii_whitespace);
        if !gap.is_empty() && !dropped {
            pieces.push(Piece::Raw(gap));
        }
        pieces.push(Piece::Word(charset, bytes));
        raw_start = end;
        pos = end;
    }
    if raw_start < value.len() {
        pieces.push(Piece::Raw(&value[raw_start..]));
    }
    pieces
}

/// Parses `=?charset?enc?text?=` at `at`: (charset, decoded bytes, end).
fn word(value: &[u8], at: usize) -> Option<(&[u8], Vec<u8>, usize)> {
    let rest = &value[at + 2..];
    let q1 = memchr::memchr(b'?', rest)?;
    let charset = &rest[..q1];
    // RFC 2231 §5 language suffix: `charset*lang`
    let charset = charset.split(|&b| b == b'*').next().unwrap_or(charset);
    let enc = *rest.get(q1 + 1)?;
    if rest.get(q1 + 2) != Some(&b'?') || charset.is_empty() {
        return None;
    }
    let text_start = q1 + 3;
    // encoded-text holds no `?`, so every scan stops at the next one and
    // the whole split stays linear even on hostile input
    let len = memchr::memchr(b'?', &rest[text_start..])?;
    if rest.get(text_start + len + 1) != Some(&b'=') {
        return None;
    }
    let text = &rest[text_start..text_start + len];
    if text.iter().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let bytes = match enc.to_ascii_lowercase() {
        b'q' => q_decode(text),
        b'b' => base64_decode(text)?,
        _ => return None,
    };
    Some((charset, bytes, at + 2 + text_start + len + 2))
}

/// The Q encoding: `_` is a space, `=XX` a byte; a bad escape stays.
fn q_decode(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let hex = text
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok());
        match (text[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
                continue;
            }
            (b'_', _) => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    out
}

fn in_charset(charset: &[u8], bytes: &[u8]) -> String {
    match charset_decoder(charset) {
        Some(decode) => decode(bytes),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Bytes as text: UTF-8 when valid, else Windows-1252.
pub(crate) fn raw_text(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(raw)
            .0
            .into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::decode;

    /// Megabytes of word starts without ends: each scan stops at the next
    /// `?`, so this finishes (a rescan to the end per start would take
    /// hours).
    #[test]
    fn many_unterminated_word_starts() {
        let mut s = b"=?a?q?".repeat(200_000);
        s.extend_from_slice(b"x?=");
        assert!(decode(&s).ends_with("=?a?q?x"));
        let starts = b"=?".repeat(500_000);
        assert_eq!(decode(&starts).len(), starts.len());
    }

    #[test]
    fn words_and_raw_text() {
        assert_eq!(
            decode(b"=?utf-8?q?caf=C3?= =?UTF-8?q?=A9_ok?="),
            "caf\u{e9} ok"
        );
        assert_eq!(
            decode(b"=?utf-8?b?w6k=?= <b@example.com>"),
            "\u{e9} <b@example.com>"
        );
        assert_eq!(
            decode(b"=?iso-8859-1?q?a?=  =?iso-8859-1?q?b?= c =?utf-8?q?d?="),
            "ab c d"
        );
        assert_eq!(decode(b"Gr\xfc\xdfe"), "Gr\u{fc}\u{df}e");
        assert_eq!(decode("Grüße".as_bytes()), "Grüße");
        assert_eq!(
            decode(b"=?ISO-8859-1?Q?Gr=FC=DFe?= aus"),
            "Gr\u{fc}\u{df}e aus"
        );
        assert_eq!(decode(b"=?utf-8*en?q?hi?="), "hi");
    }

    #[test]
    fn malformed_words_stay() {
        for s in [
            &b"=?"[..],
            b"=?utf-8?",
            b"=?utf-8?x?abc?=",
            b"=?utf-8?b?!!!?=",
            b"=??q?a?=",
            b"=?utf-8?q?a b?=",
            b"a =?utf-8?q?=?= b",
            b"=?x-unknown?q?=FF?=",
        ] {
            let _ = decode(s);
        }
        assert_eq!(decode(b"=?utf-8?x?abc?="), "=?utf-8?x?abc?=");
        assert_eq!(decode(b"=?utf-8?q?100=?="), "100=");
        assert_eq!(decode(b"=?utf-8?q?=+1?="), "=+1");
        assert_eq!(decode(b"=?utf-8?q?a?b?="), "=?utf-8?q?a?b?=");
    }
}
