//! Basic grammar: tag, atom, astring, quoted, literal, nstring, numbers and
//! sequence sets (RFC 3501 §9).

use super::{PResult, Parser};
use crate::proto::chars::{is_astring_char, is_atom_char};
use crate::proto::types::{SeqNum, SequenceSet, Tag};

impl<'a> Parser<'a> {
    /// `tag = 1*<any ASTRING-CHAR except "+">`
    pub(super) fn tag(&mut self) -> PResult<Tag> {
        let bytes = self.take_while(|b| is_astring_char(b) && b != b'+');
        let tag = std::str::from_utf8(bytes).ok().and_then(Tag::new);
        tag.ok_or_else(|| self.expected("tag"))
    }

    /// `atom = 1*ATOM-CHAR`
    pub(super) fn atom(&mut self) -> PResult<&'a [u8]> {
        let atom = self.take_while(is_atom_char);
        if atom.is_empty() {
            return Err(self.expected("atom"));
        }
        Ok(atom)
    }

    /// An atom upper-cased, for keywords compared case-insensitively.
    pub(super) fn atom_upper(&mut self, what: &str) -> PResult<String> {
        let atom = self.atom().map_err(|_| self.expected(what))?;
        Ok(String::from_utf8_lossy(atom).to_ascii_uppercase())
    }

    /// `astring = 1*ASTRING-CHAR / string`
    pub(super) fn astring(&mut self, what: &str) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"' | b'{') => self.string(what),
            Some(b'~') if self.literal8_next() => self.string(what),
            _ => {
                let chars = self.take_while(is_astring_char);
                if chars.is_empty() {
                    return Err(self.expected(what));
                }
                Ok(chars.to_vec())
            }
        }
    }

    /// An astring that must be UTF-8 text.
    pub(super) fn astring_utf8(&mut self, what: &str) -> PResult<String> {
        let bytes = self.astring(what)?;
        String::from_utf8(bytes).map_err(|_| self.fail(format!("{what} is not UTF-8")))
    }

    /// `string = quoted / literal`
    pub(super) fn string(&mut self, what: &str) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"') => self.quoted(),
            Some(b'{') => Ok(self.literal()?.to_vec()),
            Some(b'~') if self.literal8_next() => {
                Err(self.fail("literal8 is not supported here".into()))
            }
            _ => Err(self.expected(what)),
        }
    }

    /// True when a `literal8` (`~{`) comes next.
    pub(super) fn literal8_next(&self) -> bool {
        self.rest().starts_with(b"~{")
    }

    /// `quoted = DQUOTE *QUOTED-CHAR DQUOTE`; 8-bit bytes are accepted as
    /// RFC 9051 allows UTF-8 there.
    pub(super) fn quoted(&mut self) -> PResult<Vec<u8>> {
        self.expect(b'"', "quoted string")?;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                Some(b'"') => break,
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(c @ (b'"' | b'\\')) => out.push(c),
                        _ => return Err(self.expected("\" or \\ after \\ in quoted string")),
                    }
                }
                None | Some(b'\r' | b'\n' | 0) => {
                    return Err(self.expected("closing \" of quoted string"));
                }
                Some(c) => out.push(c),
            }
            self.pos += 1;
        }
        self.pos += 1;
        Ok(out)
    }

    /// `literal = "{" number64 ["+"] "}" CRLF *CHAR8`; the bytes as sent.
    pub(super) fn literal(&mut self) -> PResult<&'a [u8]> {
        self.expect(b'{', "literal")?;
        let size = self.number64()?;
        self.eat(b'+');
        self.expect(b'}', "} closing the literal size")?;
        self.eat(b'\r');
        self.expect(b'\n', "line end after the literal size")?;
        let rest = self.rest();
        let Some(bytes) = usize::try_from(size).ok().and_then(|n| rest.get(..n)) else {
            return Err(self.fail("literal shorter than announced".into()));
        };
        self.pos += bytes.len();
        Ok(bytes)
    }

    /// `nstring = string / nil`
    pub(super) fn nstring(&mut self, what: &str) -> PResult<Option<Vec<u8>>> {
        if self.keyword("NIL") {
            return Ok(None);
        }
        self.string(what).map(Some)
    }

    /// `number = 1*DIGIT`, fitting 32 bits.
    pub(super) fn number(&mut self) -> PResult<u32> {
        let digits = self.take_while(|b| b.is_ascii_digit());
        if digits.is_empty() {
            return Err(self.expected("number"));
        }
        let text = std::str::from_utf8(digits).unwrap_or_default();
        text.parse()
            .map_err(|_| self.fail(format!("number {text} is too large")))
    }

    /// `nz-number = digit-nz *DIGIT`
    pub(super) fn nz_number(&mut self) -> PResult<u32> {
        match self.number()? {
            0 => Err(self.fail("zero is not a valid number here".into())),
            n => Ok(n),
        }
    }

    /// `number64 = 1*DIGIT`, fitting 63 bits (RFC 9051).
    pub(super) fn number64(&mut self) -> PResult<u64> {
        let digits = self.take_while(|b| b.is_ascii_digit());
        if digits.is_empty() {
            return Err(self.expected("number"));
        }
        let text = std::str::from_utf8(digits).unwrap_or_default();
        text.parse()
            .map_err(|_| self.fail(format!("number {text} is too large")))
    }

    /// `sequence-set = (seq-number / seq-range) ["," sequence-set]`
    pub(super) fn sequence_set(&mut self) -> PResult<SequenceSet> {
        let mut ranges = Vec::new();
        loop {
            let first = self.seq_number()?;
            let last = if self.eat(b':') {
                self.seq_number()?
            } else {
                first
            };
            ranges.push((first, last));
            if !self.eat(b',') {
                return Ok(SequenceSet(ranges));
            }
        }
    }

    /// `seq-number = nz-number / "*"`
    fn seq_number(&mut self) -> PResult<SeqNum> {
        if self.eat(b'*') {
            return Ok(SeqNum::Largest);
        }
        if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
            return Err(self.expected("sequence set"));
        }
        self.nz_number().map(SeqNum::Value)
    }
}
