//! Modified UTF-7 for mailbox names (RFC 3501 §5.1.3).
//!
//! Printable US-ASCII stands for itself except `&`, which is written `&-`.
//! Anything else is UTF-16BE in a modified base64 (`,` instead of `/`, no
//! padding) between `&` and `-`. Decoding accepts only the canonical form.

/// The modified base64 alphabet.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// Decodes a modified UTF-7 name to UTF-8; `None` if it is malformed.
///
/// Malformed means: a byte outside printable US-ASCII, an unterminated or
/// empty-but-not-`&-` shift, a bad base64 character, leftover non-zero bits,
/// an odd UTF-16 length, an unpaired surrogate, a shifted run that encodes
/// printable ASCII, or two shifted runs back to back.
pub fn decode(wire: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(wire.len());
    let mut i = 0;
    let mut last_run_end = None;
    while i < wire.len() {
        let b = wire[i];
        if !(0x20..=0x7e).contains(&b) {
            return None;
        }
        if b != b'&' {
            out.push(char::from(b));
            i += 1;
            continue;
        }
        let len = wire[i + 1..].iter().position(|&c| c == b'-')?;
        let run = &wire[i + 1..i + 1 + len];
        if run.is_empty() {
            out.push('&');
        } else {
            if last_run_end == Some(i) {
                return None;
            }
            decode_run(run, &mut out)?;
            last_run_end = Some(i + len + 2);
        }
        i += len + 2;
    }
    Some(out)
}

/// Decodes one shifted run (between `&` and `-`) and appends it to `out`.
fn decode_run(run: &[u8], out: &mut String) -> Option<()> {
    let mut units = Vec::with_capacity(run.len() * 3 / 4);
    let mut bits: u32 = 0;
    let mut nbits = 0;
    for &c in run {
        let v = ALPHABET.iter().position(|&a| a == c)?;
        bits = (bits << 6) | v as u32;
        nbits += 6;
        if nbits >= 16 {
            nbits -= 16;
            units.push((bits >> nbits) as u16);
            bits &= (1 << nbits) - 1;
        }
    }
    // Canonical: fewer than 6 spare bits, all zero, and whole UTF-16 units.
    if nbits >= 6 || bits != 0 || units.is_empty() {
        return None;
    }
    for ch in char::decode_utf16(units) {
        let ch = ch.ok()?;
        if (' '..='~').contains(&ch) {
            return None;
        }
        out.push(ch);
    }
    Some(())
}

/// Encodes a UTF-8 name as modified UTF-7.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    for ch in name.chars() {
        if (' '..='~').contains(&ch) {
            flush_run(&mut pending, &mut out);
            out.push(ch);
            if ch == '&' {
                out.push('-');
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(ch.encode_utf16(&mut buf));
        }
    }
    flush_run(&mut pending, &mut out);
    out
}

/// Writes the pending UTF-16 units as one `&...-` run, if there are any.
fn flush_run(units: &mut Vec<u16>, out: &mut String) {
    if units.is_empty() {
        return;
    }
    out.push('&');
    let mut bits: u32 = 0;
    let mut nbits = 0;
    for &u in units.iter() {
        bits = (bits << 16) | u32::from(u);
        nbits += 16;
        while nbits >= 6 {
            nbits -= 6;
            out.push(char::from(ALPHABET[((bits >> nbits) & 0x3f) as usize]));
        }
        bits &= (1 << nbits) - 1;
    }
    if nbits > 0 {
        out.push(char::from(
            ALPHABET[((bits << (6 - nbits)) & 0x3f) as usize],
        ));
    }
    out.push('-');
    units.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3501_example() {
        let wire = "~peter/mail/&U,BTFw-/&ZeVnLIqe-";
        let name = "~peter/mail/\u{53f0}\u{5317}/\u{65e5}\u{672c}\u{8a9e}";
        assert_eq!(decode(wire.as_bytes()).as_deref(), Some(name));
        assert_eq!(encode(name), wire);
    }

    #[test]
    fn ampersand_and_plain() {
        assert_eq!(decode(b"a&-b").as_deref(), Some("a&b"));
        assert_eq!(encode("a&b"), "a&-b");
        assert_eq!(encode("INBOX/Sent"), "INBOX/Sent");
        assert_eq!(encode("Entw\u{fc}rfe"), "Entw&APw-rfe");
        assert_eq!(decode(b"Entw&APw-rfe").as_deref(), Some("Entw\u{fc}rfe"));
    }

    #[test]
    fn astral_plane_round_trip() {
        let name = "mail \u{1f600} box";
        assert_eq!(decode(encode(name).as_bytes()).as_deref(), Some(name));
    }

    #[test]
    fn malformed_is_refused() {
        for bad in [
            &b"&"[..],
            b"a&AGE",
            b"&A-",
            b"&AG-",
            b"&AGF-",
            b"&AGE-&AGE-",
            b"&*AGE-",
            b"&AEEAQQ-",
            b"\xc3\xa9",
            b"tab\there",
            b"&2D0-",
        ] {
            assert_eq!(decode(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
