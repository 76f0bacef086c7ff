//! IMAP string quoting for the structures this module serialises.
//!
//! A private copy of the rule `proto::write::string` follows, so that mime
//! does not depend on the response writer: quoted when every byte is 7-bit
//! and none is NUL, CR or LF, else a literal. A NUL, which no IMAP4rev1
//! string may hold, becomes U+FFFD (as Dovecot does).

/// Appends `s` as a quoted string or, when it cannot be one, a literal.
pub(crate) fn string(out: &mut Vec<u8>, s: &[u8]) {
    if s.contains(&0) {
        let mut clean = Vec::with_capacity(s.len() + 8);
        for &b in s {
            match b {
                0 => clean.extend_from_slice("\u{fffd}".as_bytes()),
                _ => clean.push(b),
            }
        }
        return string(out, &clean);
    }
    if s.iter().all(|&b| quotable(b)) {
        out.push(b'"');
        for &b in s {
            if b == b'"' || b == b'\\' {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(format!("{{{}}}\r\n", s.len()).as_bytes());
        out.extend_from_slice(s);
    }
}

/// Appends `NIL` for `None`, else as [`string`].
pub(crate) fn nstring(out: &mut Vec<u8>, s: Option<&[u8]>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"NIL"),
    }
}

fn quotable(b: u8) -> bool {
    matches!(b, 0x01..=0x7f) && b != b'\r' && b != b'\n'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_escapes_and_literals() {
        let mut out = Vec::new();
        string(&mut out, b"a \"b\" \\");
        assert_eq!(out, b"\"a \\\"b\\\" \\\\\"");
        out.clear();
        string(&mut out, "caf\u{e9}".as_bytes());
        assert_eq!(out, b"{5}\r\ncaf\xc3\xa9");
        out.clear();
        nstring(&mut out, None);
        assert_eq!(out, b"NIL");
        out.clear();
        string(&mut out, b"a\0b");
        assert_eq!(out, b"{5}\r\na\xef\xbf\xbdb");
    }
}
