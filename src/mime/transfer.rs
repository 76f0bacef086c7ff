//! Lenient Content-Transfer-Encoding decoders for SEARCH text: damaged
//! input decodes as far as it goes instead of failing.

/// Undoes `encoding` (base64 or quoted-printable; anything else is
/// identity).
pub(crate) fn decode(encoding: Option<&[u8]>, body: &[u8]) -> Vec<u8> {
    let is = |name: &str| encoding.is_some_and(|e| e.eq_ignore_ascii_case(name.as_bytes()));
    if is("base64") {
        base64(body)
    } else if is("quoted-printable") {
        quoted_printable(body)
    } else {
        body.to_vec()
    }
}

/// Base64, skipping bytes outside the alphabet; `=` ends a group, so
/// concatenated encodings decode too.
fn base64(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in s {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                bits = 0;
                continue;
            }
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            // the mask keeps the byte; the cast cannot lose anything else
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    out
}

/// Quoted-printable (RFC 2045 §6.7): `=XX` is a byte, `=` at a line end is
/// a soft break, any other `=` stays as it is.
fn quoted_printable(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'=' {
            out.push(s[i]);
            i += 1;
            continue;
        }
        if let Some(b) = hex_pair(s.get(i + 1..i + 3)) {
            out.push(b);
            i += 3;
        } else if let Some(after) = soft_break(&s[i + 1..]) {
            i += 1 + after;
        } else {
            out.push(b'=');
            i += 1;
        }
    }
    out
}

fn hex_pair(pair: Option<&[u8]>) -> Option<u8> {
    let pair = pair?;
    let digit = |b: u8| (b as char).to_digit(16);
    let (hi, lo) = (digit(pair[0])?, digit(pair[1])?);
    u8::try_from(hi * 16 + lo).ok()
}

/// For `rest` after a `=`: the length of blanks and the line end when it is
/// a soft line break.
fn soft_break(rest: &[u8]) -> Option<usize> {
    let blanks = rest
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\r'))
        .count();
    match rest.get(blanks) {
        Some(b'\n') => Some(blanks + 1),
        None => Some(blanks),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_lenient() {
        assert_eq!(base64(b"aGVs\nbG8="), b"hello");
        assert_eq!(base64(b"aGk=aGk="), b"hihi");
        assert_eq!(base64(b"a!G*k"), b"hi");
        assert_eq!(base64(b""), b"");
    }

    #[test]
    fn quoted_printable_lenient() {
        assert_eq!(
            quoted_printable(b"caf=C3=A9 =\nok=\r\n!"),
            "café ok!".as_bytes()
        );
        assert_eq!(quoted_printable(b"100% =ZZ ="), b"100% =ZZ ");
        assert_eq!(decode(Some(b"QUOTED-PRINTABLE"), b"a=3Db"), b"a=b");
        assert_eq!(decode(Some(b"8bit"), b"a=3Db"), b"a=3Db");
    }
}
