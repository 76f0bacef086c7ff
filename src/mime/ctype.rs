//! Content-Type and Content-Disposition values parsed from raw header
//! bytes, keeping names and values as written (as Dovecot sends them).

use std::collections::HashMap;

/// A parsed `type/subtype; name=value` (or `disposition; name=value`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Params {
    /// The type (or disposition) as written.
    pub kind: Vec<u8>,
    /// The subtype as written; `None` for a disposition or a bad type.
    pub subtype: Option<Vec<u8>>,
    /// Parameters in order, RFC 2231 continuations merged.
    pub params: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Params {
    /// The value of parameter `name`, ignoring ASCII case.
    pub fn param(&self, name: &str) -> Option<&[u8]> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v.as_slice())
    }
}

/// Parses a Content-Type value. `None` when it has no valid
/// `type/subtype`, in which case RFC 2045 §5.2 says to assume
/// `text/plain; charset=us-ascii`.
pub(crate) fn content_type(value: &[u8]) -> Option<Params> {
    let mut p = Cursor { s: value, pos: 0 };
    let kind = p.token()?;
    p.skip_cfws();
    if !p.eat(b'/') {
        return None;
    }
    let subtype = p.token()?;
    Some(Params {
        kind,
        subtype: Some(subtype),
        params: p.params(),
    })
}

/// Parses a Content-Disposition value; `None` when it has no token.
pub(crate) fn disposition(value: &[u8]) -> Option<Params> {
    let mut p = Cursor { s: value, pos: 0 };
    let kind = p.token()?;
    Some(Params {
        kind,
        subtype: None,
        params: p.params(),
    })
}

/// `value` without its RFC 5322 comments (quoted strings kept intact).
pub(crate) fn strip_comments(value: &[u8]) -> Vec<u8> {
    let mut p = Cursor { s: value, pos: 0 };
    let mut out = Vec::with_capacity(value.len());
    while let Some(b) = p.peek() {
        match b {
            b'(' => p.skip_comment(),
            b'"' => {
                let start = p.pos;
                p.quoted();
                out.extend_from_slice(&value[start..p.pos]);
            }
            _ => {
                out.push(b);
                p.pos += 1;
            }
        }
    }
    out
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// Skips blanks and comments.
    fn skip_cfws(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'(' => self.skip_comment(),
                _ => break,
            }
        }
    }

    fn skip_comment(&mut self) {
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'\\' => self.pos += 1,
                b'(' => depth += 1,
                b')' => depth = depth.saturating_sub(1),
                _ => {}
            }
            if depth == 0 {
                break;
            }
        }
        self.pos = self.pos.min(self.s.len());
    }

    /// An RFC 2045 token, after optional blanks; `None` when empty.
    fn token(&mut self) -> Option<Vec<u8>> {
        self.skip_cfws();
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b <= b' ' || b"()<>@,;:\\\"/[]?=".contains(&b) {
                break;
            }
            self.pos += 1;
        }
        (self.pos > start).then(|| self.s[start..self.pos].to_vec())
    }

    fn quoted(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.pos += 1;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    if let Some(c) = self.peek() {
                        out.push(c);
                        self.pos += 1;
                    }
                }
                b'\r' | b'\n' => {}
                _ => out.push(b),
            }
        }
        out
    }

    /// A parameter value: a quoted string or everything up to `;`.
    fn value(&mut self) -> Vec<u8> {
        self.skip_cfws();
        if self.peek() == Some(b'"') {
            return self.quoted();
        }
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b == b';' || b.is_ascii_whitespace() {
                break;
            }
            self.pos += 1;
        }
        self.s[start..self.pos].to_vec()
    }

    /// `*(";" name "=" value)`, skipping malformed pieces.
    fn params(&mut self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut raw = Vec::new();
        while self.pos < self.s.len() {
            self.skip_cfws();
            if !self.eat(b';') {
                self.skip_to_semicolon();
                continue;
            }
            let Some(name) = self.token() else { continue };
            self.skip_cfws();
            if !self.eat(b'=') {
                continue;
            }
            raw.push((name, self.value()));
        }
        merge_continuations(raw)
    }

    fn skip_to_semicolon(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b';' => break,
                b'"' => {
                    self.quoted();
                }
                _ => self.pos += 1,
            }
        }
    }
}

/// Merges RFC 2231 continuations: `name*0`, `name*1` become `name`;
/// `name*0*`, `name*1*` become `name*` with the encoded pieces joined (left
/// encoded, as Dovecot sends them). The first piece fixes the position.
fn merge_continuations(raw: Vec<(Vec<u8>, Vec<u8>)>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    // lower-cased merged name -> its index in `out`, so that many
    // parameters stay linear
    let mut merged: HashMap<Vec<u8>, usize> = HashMap::new();
    for (name, value) in raw {
        let Some((base, extended)) = continuation(&name) else {
            out.push((name, value));
            continue;
        };
        let mut key = base.to_vec();
        if extended {
            key.push(b'*');
        }
        match merged.get(&key.to_ascii_lowercase()) {
            Some(&i) => out[i].1.extend_from_slice(&value),
            None => {
                merged.insert(key.to_ascii_lowercase(), out.len());
                out.push((key, value));
            }
        }
    }
    out
}

/// For `name*N` or `name*N*`: the base name and whether it is extended.
fn continuation(name: &[u8]) -> Option<(&[u8], bool)> {
    let (rest, extended) = match name.strip_suffix(b"*") {
        Some(r) => (r, true),
        None => (name, false),
    };
    let star = rest.iter().rposition(|&b| b == b'*')?;
    let digits = &rest[star + 1..];
    let numeric = !digits.is_empty() && digits.iter().all(u8::is_ascii_digit);
    numeric.then(|| (&rest[..star], extended))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_params_and_continuations() {
        let p = content_type(
            b"Text/Plain (c); Charset=\"UTF-8\"; name*0=\"lo\"; name*1=ng; x*=utf-8''%C3%A9; f*0*=a; f*1*=b",
        )
        .unwrap();
        assert_eq!(p.kind, b"Text");
        assert_eq!(p.subtype.as_deref(), Some(&b"Plain"[..]));
        assert_eq!(p.param("charset"), Some(&b"UTF-8"[..]));
        assert_eq!(p.param("name"), Some(&b"long"[..]));
        assert_eq!(p.param("x*"), Some(&b"utf-8''%C3%A9"[..]));
        assert_eq!(p.param("f*"), Some(&b"ab"[..]));
    }

    #[test]
    fn comments() {
        assert_eq!(
            strip_comments(b"en (English (UK)), \"(x)\" fr"),
            b"en , \"(x)\" fr"
        );
        assert_eq!(strip_comments(b"a (unclosed"), b"a ");
    }

    #[test]
    fn invalid_types() {
        assert!(content_type(b"garbage").is_none());
        assert!(content_type(b"text/").is_none());
        assert!(content_type(b"").is_none());
        assert!(content_type(b"/plain").is_none());
        let p = content_type(b"a/b; ;;=x; y; z=\"unterminated").unwrap();
        assert_eq!(p.params, vec![(b"z".to_vec(), b"unterminated".to_vec())]);
    }
}
