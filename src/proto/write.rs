//! Serialises response pieces: strings (quoted or literal), flag lists,
//! dates, mailbox names. Everything appends to a `Vec<u8>`.

use chrono::{DateTime, Datelike, FixedOffset, Timelike};

use super::chars::is_astring_char;
use super::types::{Flag, MailboxName};
use super::utf7;

/// Month names as IMAP dates spell them (`date-month`).
pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Appends `s` as a quoted string when it can be one (7-bit, no CR, LF or
/// NUL), else as a literal `{n}\r\n...`.
pub fn string(out: &mut Vec<u8>, s: &[u8]) {
    if s.iter().all(|&b| is_quotable(b)) {
        quoted(out, s);
    } else {
        literal(out, s);
    }
}

/// True for the bytes a quoted string may hold (escaped when needed).
fn is_quotable(b: u8) -> bool {
    matches!(b, 0x01..=0x7f) && b != b'\r' && b != b'\n'
}

/// Appends `"s"` with `"` and `\` escaped; `s` must be quotable.
fn quoted(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    for &b in s {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Appends a synchronizing literal header and the bytes.
fn literal(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(format!("{{{}}}\r\n", s.len()).as_bytes());
    out.extend_from_slice(s);
}

/// Appends `NIL` for `None`, else as [`string`].
pub fn nstring(out: &mut Vec<u8>, s: Option<&[u8]>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"NIL"),
    }
}

/// Appends an astring: an atom when every byte is ASTRING-CHAR and it is
/// not `NIL`, else as [`string`].
pub fn astring(out: &mut Vec<u8>, s: &[u8]) {
    let atom =
        !s.is_empty() && s.iter().all(|&b| is_astring_char(b)) && !s.eq_ignore_ascii_case(b"NIL");
    if atom {
        out.extend_from_slice(s);
    } else {
        string(out, s);
    }
}

/// Appends a mailbox name in modified UTF-7, as an astring (always quoted
/// when it contains a space).
pub fn mailbox(out: &mut Vec<u8>, name: &MailboxName) {
    astring(out, utf7::encode(name.as_str()).as_bytes());
}

/// Appends `(\Seen $Junk)`.
pub fn flag_list(out: &mut Vec<u8>, flags: &[Flag]) {
    out.push(b'(');
    for (i, flag) in flags.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(flag.to_wire().as_bytes());
    }
    out.push(b')');
}

/// Appends `"dd-Mon-yyyy hh:mm:ss +zzzz"` with a space-padded day.
pub fn date_time(out: &mut Vec<u8>, t: &DateTime<FixedOffset>) {
    let month = MONTHS[t.month0() as usize % 12];
    let offset = t.offset().local_minus_utc() / 60;
    let sign = if offset < 0 { '-' } else { '+' };
    let offset = offset.unsigned_abs();
    let text = format!(
        "\"{:>2}-{}-{:04} {:02}:{:02}:{:02} {}{:02}{:02}\"",
        t.day(),
        month,
        t.year().clamp(0, 9999),
        t.hour(),
        t.minute(),
        t.second().min(59),
        sign,
        offset / 60,
        offset % 60,
    );
    out.extend_from_slice(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn strings_quote_or_literal() {
        assert_eq!(with(|o| string(o, b"a \"b\" \\c")), r#""a \"b\" \\c""#);
        assert_eq!(with(|o| string(o, b"")), "\"\"");
        assert_eq!(with(|o| string(o, b"a\r\nb")), "{4}\r\na\r\nb");
        assert_eq!(with(|o| string(o, "\u{e9}".as_bytes())), "{2}\r\n\u{e9}");
        assert_eq!(with(|o| string(o, b"a\0b")), "{3}\r\na\0b");
        assert_eq!(with(|o| nstring(o, None)), "NIL");
    }

    #[test]
    fn astrings_and_mailboxes() {
        assert_eq!(with(|o| astring(o, b"foo]")), "foo]");
        assert_eq!(with(|o| astring(o, b"nil")), "\"nil\"");
        assert_eq!(with(|o| astring(o, b"a b")), "\"a b\"");
        assert_eq!(with(|o| astring(o, b"")), "\"\"");
        let inbox = MailboxName::from_utf8("inbox");
        assert_eq!(with(|o| mailbox(o, &inbox)), "INBOX");
        let spaced = MailboxName::from_utf8("My Mail/Entw\u{fc}rfe");
        assert_eq!(with(|o| mailbox(o, &spaced)), "\"My Mail/Entw&APw-rfe\"");
    }

    #[test]
    fn flags_and_dates() {
        let flags = [Flag::Seen, Flag::Keyword("$Junk".into())];
        assert_eq!(with(|o| flag_list(o, &flags)), "(\\Seen $Junk)");
        assert_eq!(with(|o| flag_list(o, &[])), "()");
        let t = DateTime::parse_from_rfc3339("2026-12-03T16:44:05+00:00").unwrap();
        assert_eq!(with(|o| date_time(o, &t)), "\" 3-Dec-2026 16:44:05 +0000\"");
        let t = DateTime::parse_from_rfc3339("1996-07-17T02:44:25-07:30").unwrap();
        assert_eq!(with(|o| date_time(o, &t)), "\"17-Jul-1996 02:44:25 -0730\"");
    }
}
