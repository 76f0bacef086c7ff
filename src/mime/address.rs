//! RFC 5322 address lists, parsed leniently from raw (still RFC 2047
//! encoded) header values into IMAP ENVELOPE address structures.

/// One ENVELOPE address: `(name adl mailbox host)`. Group syntax is a
/// start marker (mailbox = group name, host NIL) and an end marker (all
/// NIL), as RFC 3501 §7.4.2 says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct EnvAddr {
    /// The display name, still RFC 2047 encoded.
    pub name: Option<Vec<u8>>,
    /// The obsolete source route (`@a,@b`).
    pub adl: Option<Vec<u8>>,
    /// The local part, or the group name in a group start marker.
    pub mailbox: Option<Vec<u8>>,
    /// The domain; NIL only in group markers.
    pub host: Option<Vec<u8>>,
}

/// The host given to an address without `@domain`. A NIL host would mark
/// a group start (RFC 3501 §7.4.2) and confuse clients; Dovecot uses the
/// same placeholder.
const MISSING_DOMAIN: &[u8] = b"MISSING_DOMAIN";

/// The mailbox given to an address with an empty local part (`<>`).
const MISSING_MAILBOX: &[u8] = b"MISSING_MAILBOX";

/// A lexical token of an address header.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// An atom (dots included) or a domain literal, as written.
    Atom(Vec<u8>),
    /// A quoted string: its content unescaped, and its raw form.
    Quoted(Vec<u8>, Vec<u8>),
    /// A comment's content.
    Comment(Vec<u8>),
    /// One of `, ; : < > @`.
    Special(u8),
}

/// Parses an unfolded address-list value. Empty list members (`a@b,,c@d`)
/// are skipped as RFC 5322 §4.4 says (Dovecot reports each as a missing
/// address).
pub(crate) fn parse_list(value: &[u8]) -> Vec<EnvAddr> {
    let toks = tokenize(value);
    let mut out = Vec::new();
    let mut in_group = false;
    let mut pos = 0;
    while pos < toks.len() {
        pos = item(&toks, pos, &mut out, &mut in_group);
    }
    if in_group {
        out.push(EnvAddr::default());
    }
    out
}

/// Parses one list item starting at `pos`; returns the position after it.
fn item(toks: &[Tok], pos: usize, out: &mut Vec<EnvAddr>, in_group: &mut bool) -> usize {
    let stop = toks[pos..]
        .iter()
        .position(|t| matches!(t, Tok::Special(b',' | b';' | b':' | b'<')))
        .map_or(toks.len(), |i| pos + i);
    let words = &toks[pos..stop];
    match toks.get(stop) {
        Some(Tok::Special(b':')) if !*in_group => {
            *in_group = true;
            out.push(EnvAddr {
                mailbox: Some(phrase(words).unwrap_or_default()),
                ..EnvAddr::default()
            });
            stop + 1
        }
        Some(Tok::Special(b'<')) => angle_addr(toks, stop + 1, phrase(words), out),
        Some(Tok::Special(b';')) => {
            push_spec(words, out);
            if *in_group {
                *in_group = false;
                out.push(EnvAddr::default());
            }
            stop + 1
        }
        // `,`, the end, or a stray `:` inside a group
        _ => {
            push_spec(words, out);
            stop + 1
        }
    }
}

/// Parses `[route ":"] addr-spec ">"` after a `<`; returns the position
/// after the `>` (or the end).
fn angle_addr(toks: &[Tok], pos: usize, name: Option<Vec<u8>>, out: &mut Vec<EnvAddr>) -> usize {
    let close = toks[pos..]
        .iter()
        .position(|t| *t == Tok::Special(b'>'))
        .map_or(toks.len(), |i| pos + i);
    let inner = &toks[pos..close];
    let (adl, spec) = match inner.iter().position(|t| *t == Tok::Special(b':')) {
        Some(colon) => (Some(join_raw(&inner[..colon])), &inner[colon + 1..]),
        None => (None, inner),
    };
    let mut addr = addr_spec(spec);
    addr.name = name;
    addr.adl = adl.filter(|a| !a.is_empty());
    out.push(addr);
    skip_to_separator(toks, close + 1)
}

/// After an angle address, skips anything up to and including the next `,`
/// (a `;` is left for the group logic).
fn skip_to_separator(toks: &[Tok], mut pos: usize) -> usize {
    while let Some(t) = toks.get(pos) {
        match t {
            Tok::Special(b',') => return pos + 1,
            Tok::Special(b';') => return pos,
            _ => pos += 1,
        }
    }
    pos
}

/// Pushes a bare addr-spec item, if it holds anything.
fn push_spec(words: &[Tok], out: &mut Vec<EnvAddr>) {
    let spec: Vec<Tok> = words
        .iter()
        .filter(|t| !matches!(t, Tok::Comment(_)))
        .cloned()
        .collect();
    if spec.is_empty() {
        return;
    }
    let mut addr = addr_spec(&spec);
    // only a comment after the address names it
    let first = words.iter().position(|t| !matches!(t, Tok::Comment(_)));
    addr.name = comment(&words[first.unwrap_or(words.len())..]);
    out.push(addr);
}

/// Splits `local@domain` tokens at the last `@`.
fn addr_spec(toks: &[Tok]) -> EnvAddr {
    let toks: Vec<&Tok> = toks
        .iter()
        .filter(|t| !matches!(t, Tok::Comment(_)))
        .collect();
    let at = toks.iter().rposition(|t| **t == Tok::Special(b'@'));
    let (local, host) = match at {
        Some(at) => (&toks[..at], Some(join_raw_refs(&toks[at + 1..]))),
        None => (&toks[..], None),
    };
    let mailbox = join_unquoted(local);
    let or = |v: Vec<u8>, missing: &[u8]| if v.is_empty() { missing.to_vec() } else { v };
    EnvAddr {
        name: None,
        adl: None,
        mailbox: Some(or(mailbox, MISSING_MAILBOX)),
        host: Some(or(host.unwrap_or_default(), MISSING_DOMAIN)),
    }
}

/// A display name: the words joined by single spaces, quoted strings
/// unquoted, encoded words left as they are; `None` when empty.
fn phrase(words: &[Tok]) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::new();
    for w in words {
        let text = match w {
            Tok::Atom(a) => a,
            Tok::Quoted(q, _) => q,
            Tok::Special(b'@') => &b"@".to_vec(),
            _ => continue,
        };
        if !out.is_empty() {
            out.push(b' ');
        }
        out.extend_from_slice(text);
    }
    (!out.is_empty()).then_some(out)
}

/// The last comment's content, used as the name of an address written
/// `user@host (Name)` (as Dovecot does).
fn comment(words: &[Tok]) -> Option<Vec<u8>> {
    words.iter().rev().find_map(|t| match t {
        Tok::Comment(c) if !c.is_empty() => Some(c.clone()),
        _ => None,
    })
}

fn join_raw(toks: &[Tok]) -> Vec<u8> {
    join_raw_refs(&toks.iter().collect::<Vec<_>>())
}

/// Concatenates a local part's tokens with quoted strings unquoted, as
/// Dovecot sends them.
fn join_unquoted(toks: &[&Tok]) -> Vec<u8> {
    let mut out = Vec::new();
    for t in toks {
        match t {
            Tok::Quoted(q, _) => out.extend_from_slice(q),
            _ => out.extend_from_slice(&join_raw_refs(&[*t])),
        }
    }
    out
}

/// Concatenates tokens as written (quoted strings keep their quotes),
/// without the blanks between them.
fn join_raw_refs(toks: &[&Tok]) -> Vec<u8> {
    let mut out = Vec::new();
    for t in toks {
        match t {
            Tok::Atom(a) => out.extend_from_slice(a),
            Tok::Quoted(_, raw) => out.extend_from_slice(raw),
            Tok::Special(c) => out.push(*c),
            Tok::Comment(_) => {}
        }
    }
    out
}

/// Splits a value into tokens; never fails (unclosed quotes and comments
/// run to the end).
fn tokenize(s: &[u8]) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut pos = 0;
    while pos < s.len() {
        let b = s[pos];
        pos = match b {
            b' ' | b'\t' | b'\r' | b'\n' => pos + 1,
            b'"' => quoted(s, pos, &mut toks),
            b'(' => comment_tok(s, pos, &mut toks),
            b'[' => literal(s, pos, &mut toks),
            b',' | b';' | b':' | b'<' | b'>' | b'@' => {
                toks.push(Tok::Special(b));
                pos + 1
            }
            _ => atom(s, pos, &mut toks),
        };
    }
    toks
}

fn atom(s: &[u8], pos: usize, toks: &mut Vec<Tok>) -> usize {
    let len = s[pos..]
        .iter()
        .position(|&b| b" \t\r\n\"(),;:<>@[".contains(&b))
        .unwrap_or(s.len() - pos);
    // `)` and `]` alone are not specials we track: keep them in the atom
    let len = len.max(1);
    toks.push(Tok::Atom(s[pos..pos + len].to_vec()));
    pos + len
}

fn quoted(s: &[u8], start: usize, toks: &mut Vec<Tok>) -> usize {
    let mut content = Vec::new();
    let mut pos = start + 1;
    while pos < s.len() {
        match s[pos] {
            b'"' => {
                pos += 1;
                break;
            }
            b'\\' if pos + 1 < s.len() => {
                content.push(s[pos + 1]);
                pos += 2;
            }
            b => {
                content.push(b);
                pos += 1;
            }
        }
    }
    toks.push(Tok::Quoted(content, s[start..pos].to_vec()));
    pos
}

fn comment_tok(s: &[u8], start: usize, toks: &mut Vec<Tok>) -> usize {
    let mut depth = 0usize;
    let mut content = Vec::new();
    let mut pos = start;
    while pos < s.len() {
        let b = s[pos];
        pos += 1;
        match b {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b'\\' if pos < s.len() => {
                content.push(s[pos]);
                pos += 1;
                continue;
            }
            _ => {}
        }
        if depth == 0 {
            break;
        }
        if !(b == b'(' && depth == 1) {
            content.push(b);
        }
    }
    toks.push(Tok::Comment(content));
    pos
}

fn literal(s: &[u8], start: usize, toks: &mut Vec<Tok>) -> usize {
    let end = memchr::memchr(b']', &s[start..]).map_or(s.len(), |i| start + i + 1);
    toks.push(Tok::Atom(s[start..end].to_vec()));
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(
        name: Option<&str>,
        adl: Option<&str>,
        mb: Option<&str>,
        host: Option<&str>,
    ) -> EnvAddr {
        let v = |s: Option<&str>| s.map(|s| s.as_bytes().to_vec());
        EnvAddr {
            name: v(name),
            adl: v(adl),
            mailbox: v(mb),
            host: v(host),
        }
    }

    #[test]
    fn names_routes_groups() {
        let got = parse_list(
            b"Group: a@b, \"Q \\\"x\\\"\" <c@d>;, e@f (Eve), (c1) x@y (c2), <>, \"quoted local\"@x, <@r1,@r2:g@h>, bare, =?utf-8?q?J?= <j@x>",
        );
        let want = vec![
            addr(None, None, Some("Group"), None),
            addr(None, None, Some("a"), Some("b")),
            addr(Some("Q \"x\""), None, Some("c"), Some("d")),
            addr(None, None, None, None),
            addr(Some("Eve"), None, Some("e"), Some("f")),
            addr(Some("c2"), None, Some("x"), Some("y")),
            addr(None, None, Some("MISSING_MAILBOX"), Some("MISSING_DOMAIN")),
            addr(None, None, Some("quoted local"), Some("x")),
            addr(None, Some("@r1,@r2"), Some("g"), Some("h")),
            addr(None, None, Some("bare"), Some("MISSING_DOMAIN")),
            addr(Some("=?utf-8?q?J?="), None, Some("j"), Some("x")),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn empty_group_and_junk() {
        let got = parse_list(b"undisclosed-recipients:;");
        assert_eq!(got.len(), 2);
        assert!(parse_list(b"").is_empty());
        // unbalanced everything: must not panic
        for junk in [&b"<<<"[..], b"\"abc", b"(((", b"a@", b"@", b")", b">:;,@<"] {
            let _ = parse_list(junk);
        }
    }
}
