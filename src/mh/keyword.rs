//! The mapping between IMAP flags and MH sequence names (DESIGN.md, Flags).
//!
//! `\Answered` is `replied`, `\Flagged` is `flagged`, `\Deleted` is
//! `Deleted`, `\Draft` is `Draft`; `\Seen` is "not in the Unseen-Sequence"
//! and is handled by the caller. A keyword that is a legal nmh sequence name
//! (`^[A-Za-z][A-Za-z0-9]*$`, not reserved, not `cur`, not an unseen name,
//! not starting with the negation prefix) is its own sequence name; any
//! other keyword is escaped reversibly into a legal name.
//!
//! The escape: [`ESCAPE_PREFIX`] (`kwX`) followed by the keyword's UTF-8
//! bytes, where ASCII letters and digits other than `X` stand for
//! themselves and every other byte is `X` and two upper-case hex digits.
//! `$Junk` becomes `kwXX24Junk`, `foo:bar` becomes `kwXfooX3Abar`, the
//! keyword `cur` becomes `kwXcur`. A keyword that itself starts with `kwX`
//! is always escaped (`kwX` → `kwXkwX58`), so a name with the prefix is
//! never a plain keyword and decoding is unambiguous. Decoding accepts only
//! the canonical form, so each sequence name maps to at most one keyword
//! and back to the same name.

use super::profile::Profile;

/// The start of every escaped keyword's sequence name.
pub const ESCAPE_PREFIX: &str = "kwX";

/// The escape byte inside an escaped name.
const ESCAPE: u8 = b'X';

/// Names nmh refuses to create (`mark`: "is reserved"), plus `cur`.
const RESERVED: [&str; 7] = ["all", "new", "first", "last", "next", "prev", "cur"];

/// IMAP system flags and the sequences that hold them.
const SYSTEM: [(&str, &str); 4] = [
    ("\\Answered", "replied"),
    ("\\Flagged", "flagged"),
    ("\\Deleted", "Deleted"),
    ("\\Draft", "Draft"),
];

/// The sequence name that stores an IMAP flag given in wire form
/// (`\Answered`, `$Junk`); `None` for `\Seen`, `\Recent` and unknown system
/// flags, which have no sequence.
pub fn sequence_for_flag(flag: &str, profile: &Profile) -> Option<String> {
    if flag.starts_with('\\') {
        return SYSTEM
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(flag))
            .map(|(_, s)| s.to_string());
    }
    if !is_keyword(flag) {
        return None;
    }
    if plain_ok(flag, profile) {
        return Some(flag.to_string());
    }
    Some(escape(flag))
}

/// The IMAP flag (wire form) a sequence stands for; `None` for `cur`, the
/// unseen sequences and other MH state that is not a flag.
pub fn flag_for_sequence(name: &str, profile: &Profile) -> Option<String> {
    if let Some((flag, _)) = SYSTEM.iter().find(|(_, s)| *s == name) {
        return Some(flag.to_string());
    }
    let keyword = match name.strip_prefix(ESCAPE_PREFIX) {
        Some(body) => unescape(body)?,
        None => name.to_string(),
    };
    // Only names the forward mapping produces are flags: that keeps
    // `cur`, the unseen names, negated names and odd names such as `a-b`
    // out, and makes STORE of the returned keyword hit this very sequence.
    (sequence_for_flag(&keyword, profile).as_deref() == Some(name)).then_some(keyword)
}

/// True when a sequence name is one nmh's `mark` would create.
pub fn is_nmh_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric())
}

/// True when `flag` is an IMAP `flag-keyword` (an atom without `]`) that
/// is not a system flag.
fn is_keyword(flag: &str) -> bool {
    !flag.is_empty() && flag.bytes().all(is_atom_char) && !flag.starts_with('\\')
}

/// ATOM-CHAR of RFC 3501 minus `]` (resp-specials) and `\`.
fn is_atom_char(b: u8) -> bool {
    b > b' ' && b < 0x7f && !b"(){%*\"\\]".contains(&b)
}

/// True when a keyword can be its own sequence name.
fn plain_ok(keyword: &str, profile: &Profile) -> bool {
    is_nmh_name(keyword)
        && !keyword.starts_with(ESCAPE_PREFIX)
        && !RESERVED.contains(&keyword)
        && !SYSTEM.iter().any(|(_, s)| *s == keyword)
        && !profile.unseen.iter().any(|u| u == keyword)
        && !profile
            .negation
            .as_deref()
            .is_some_and(|n| keyword.starts_with(n))
}

/// [`ESCAPE_PREFIX`] plus the escaped bytes of `keyword`.
fn escape(keyword: &str) -> String {
    let mut out = String::from(ESCAPE_PREFIX);
    for b in keyword.bytes() {
        if b.is_ascii_alphanumeric() && b != ESCAPE {
            out.push(char::from(b));
        } else {
            out.push(char::from(ESCAPE));
            out.push_str(&format!("{b:02X}"));
        }
    }
    out
}

/// The keyword behind an escaped body; `None` unless `body` is exactly
/// what [`escape`] would write.
fn unescape(body: &str) -> Option<String> {
    let bytes = body.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != ESCAPE {
            if !b.is_ascii_alphanumeric() {
                return None;
            }
            out.push(b);
            i += 1;
            continue;
        }
        let hex = body.get(i + 1..i + 3)?;
        if !hex
            .bytes()
            .all(|h| h.is_ascii_digit() || (b'A'..=b'F').contains(&h))
        {
            return None;
        }
        let value = u8::from_str_radix(hex, 16).ok()?;
        if value.is_ascii_alphanumeric() && value != ESCAPE {
            return None;
        }
        out.push(value);
        i += 3;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn profile() -> Profile {
        let mut p = Profile::defaults(PathBuf::from("/m"));
        p.negation = Some("not".to_string());
        p
    }

    #[test]
    fn table() {
        let p = profile();
        let cases = [
            ("\\Answered", Some("replied")),
            ("\\flagged", Some("flagged")),
            ("\\Seen", None),
            ("\\Recent", None),
            ("\\Foo", None),
            ("$Junk", Some("kwXX24Junk")),
            ("foo:bar", Some("kwXfooX3Abar")),
            ("Work", Some("Work")),
            ("cur", Some("kwXcur")),
            ("unseen", Some("kwXunseen")),
            ("notes", Some("kwXnotes")),
            ("Deleted", Some("kwXDeleted")),
            ("kwXfoo", Some("kwXkwX58foo")),
            ("X", Some("X")),
            ("a]b", None),
        ];
        for (flag, seq) in cases {
            assert_eq!(sequence_for_flag(flag, &p).as_deref(), seq, "{flag}");
            if let Some(seq) = seq {
                let back = flag_for_sequence(seq, &p).unwrap_or_default();
                assert!(back.eq_ignore_ascii_case(flag), "{seq} -> {back}");
            }
        }
        for state in [
            "cur", "unseen", "notseen", "a-b", "all", "kwXx3a", "kwXX41", "kwXX3",
        ] {
            assert_eq!(flag_for_sequence(state, &p), None, "{state}");
        }
    }
}
