//! Raw header fields: splitting a header block into fields, unfolding and
//! trimming values, without decoding anything.

use std::ops::Range;

/// One header field as stored: its name and where it lies.
#[derive(Debug, Clone)]
pub(crate) struct Field<'a> {
    /// The name before the colon, without trailing blanks; empty for a line
    /// that has no colon.
    pub name: &'a [u8],
    /// The raw value after the colon, continuation lines included, without
    /// the final line end.
    pub value: &'a [u8],
    /// The whole field with its continuation lines and final line end,
    /// relative to the header block.
    pub span: Range<usize>,
}

impl Field<'_> {
    /// True when the field is named `name`, ignoring ASCII case.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }
}

/// Splits a header block (up to and including its blank line) into fields.
/// A line that neither starts a field nor continues one (no colon) becomes
/// a field with an empty name, so every byte belongs to some field.
pub(crate) fn fields(block: &[u8]) -> Vec<Field<'_>> {
    let mut spans: Vec<(usize, Range<usize>)> = Vec::new();
    let mut pos = 0;
    while pos < block.len() {
        let end = line_end(block, pos);
        let line = &block[pos..end];
        if is_blank(line) {
            break;
        }
        let continues = matches!(line.first(), Some(b' ' | b'\t'));
        match spans.last_mut() {
            Some((_, span)) if continues => span.end = end,
            _ => spans.push((name_end(line), pos..end)),
        }
        pos = end;
    }
    spans
        .into_iter()
        .map(|(colon, span)| field(block, colon, span))
        .collect()
}

/// The offset of the colon in a field's first line, or the line's length.
fn name_end(line: &[u8]) -> usize {
    memchr::memchr(b':', line).unwrap_or(line.len())
}

fn field(block: &[u8], colon: usize, span: Range<usize>) -> Field<'_> {
    let whole = &block[span.clone()];
    let (name, value) = match whole.get(colon) {
        Some(b':') => (trim_end(&whole[..colon]), &whole[colon + 1..]),
        _ => (&b""[..], &b""[..]),
    };
    Field {
        name,
        value: strip_line_end(value),
        span,
    }
}

/// The index just past the LF ending the line that starts at `pos`.
fn line_end(block: &[u8], pos: usize) -> usize {
    match memchr::memchr(b'\n', &block[pos..]) {
        Some(i) => pos + i + 1,
        None => block.len(),
    }
}

fn is_blank(line: &[u8]) -> bool {
    matches!(line, b"\n" | b"\r\n")
}

fn strip_line_end(s: &[u8]) -> &[u8] {
    let s = s.strip_suffix(b"\n").unwrap_or(s);
    s.strip_suffix(b"\r").unwrap_or(s)
}

/// The value with line breaks removed (RFC 5322 §2.2.3 unfolding) and
/// blanks trimmed at both ends.
///
/// Dovecot also drops all but the first blank starting a continuation
/// line, and keeps trailing blanks; we keep the folding blanks as the RFC
/// says and drop trailing ones, which are not part of a date or msg-id.
pub(crate) fn unfold(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    for &b in value {
        if b != b'\n' && b != b'\r' {
            out.push(b);
        }
    }
    trim(&out).to_vec()
}

/// `s` without leading and trailing blanks (SP, TAB, CR, LF).
pub(crate) fn trim(s: &[u8]) -> &[u8] {
    trim_end(trim_start(s))
}

fn trim_start(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &s[n..]
}

fn trim_end(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    &s[..s.len() - n]
}

/// The unfolded value of the first field named `name`, as Dovecot picks it
/// for MIME fields.
pub(crate) fn first_value(fields: &[Field<'_>], name: &str) -> Option<Vec<u8>> {
    fields.iter().find(|f| f.is(name)).map(|f| unfold(f.value))
}

/// The unfolded value of the last field named `name`, as Dovecot picks it
/// for ENVELOPE strings.
pub(crate) fn last_value(fields: &[Field<'_>], name: &str) -> Option<Vec<u8>> {
    fields
        .iter()
        .rev()
        .find(|f| f.is(name))
        .map(|f| unfold(f.value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_folds_and_colonless_lines() {
        let block = b"Subject: a\n b\nX-No-Colon\nTo:  c \r\n\nbody";
        let f = fields(block);
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].name, b"Subject");
        assert_eq!(f[0].value, b" a\n b");
        assert_eq!(f[0].span, 0..14);
        assert_eq!(f[1].name, b"");
        assert_eq!(f[2].value, b"  c ");
        assert_eq!(unfold(f[0].value), b"a b");
        assert_eq!(last_value(&f, "to").as_deref(), Some(&b"c"[..]));
    }

    #[test]
    fn no_final_newline() {
        let f = fields(b"Subject: x");
        assert_eq!(f[0].value, b" x");
    }
}
