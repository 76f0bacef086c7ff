//! FETCH data items: macros, `fetch-att`, sections and partials.

use super::{PResult, Parser};
use crate::proto::chars::is_atom_char;
use crate::proto::types::{FetchAttr, Section, SectionText};

impl Parser<'_> {
    /// `("ALL" / "FULL" / "FAST" / fetch-att / "(" fetch-att *(SP
    /// fetch-att) ")")`, macros expanded.
    pub(super) fn fetch_items(&mut self) -> PResult<Vec<FetchAttr>> {
        if self.eat(b'(') {
            let mut attrs = Vec::new();
            loop {
                attrs.push(self.fetch_att()?);
                if self.eat(b')') {
                    return Ok(attrs);
                }
                self.expect(b' ', "SP or ) in the fetch items")?;
            }
        }
        use FetchAttr::*;
        if self.keyword("ALL") {
            return Ok(vec![Flags, InternalDate, Rfc822Size, Envelope]);
        }
        if self.keyword("FAST") {
            return Ok(vec![Flags, InternalDate, Rfc822Size]);
        }
        if self.keyword("FULL") {
            return Ok(vec![Flags, InternalDate, Rfc822Size, Envelope, Body]);
        }
        Ok(vec![self.fetch_att()?])
    }

    /// `fetch-att`: one data item.
    fn fetch_att(&mut self) -> PResult<FetchAttr> {
        let start = self.pos;
        let name = self.take_while(|b| is_atom_char(b) && b != b'[' && b != b'<');
        let attr = match name.to_ascii_uppercase().as_slice() {
            b"ENVELOPE" => FetchAttr::Envelope,
            b"FLAGS" => FetchAttr::Flags,
            b"INTERNALDATE" => FetchAttr::InternalDate,
            b"RFC822" => FetchAttr::Rfc822,
            b"RFC822.HEADER" => FetchAttr::Rfc822Header,
            b"RFC822.SIZE" => FetchAttr::Rfc822Size,
            b"RFC822.TEXT" => FetchAttr::Rfc822Text,
            b"BODYSTRUCTURE" => FetchAttr::BodyStructure,
            b"UID" => FetchAttr::Uid,
            b"BODY" if self.peek() != Some(b'[') => FetchAttr::Body,
            b"BODY" => self.body_section(false)?,
            b"BODY.PEEK" => self.body_section(true)?,
            _ => {
                self.pos = start;
                return Err(self.expected("fetch attribute"));
            }
        };
        Ok(attr)
    }

    /// `section ["<" number "." nz-number ">"]` after `BODY` or `BODY.PEEK`.
    fn body_section(&mut self, peek: bool) -> PResult<FetchAttr> {
        let section = self.section()?;
        let partial = if self.eat(b'<') {
            let origin = self.number()?;
            self.expect(b'.', ". in the partial range")?;
            let length = self.nz_number()?;
            self.expect(b'>', "> closing the partial range")?;
            Some((origin, length))
        } else {
            None
        };
        Ok(FetchAttr::BodySection {
            peek,
            section,
            partial,
        })
    }

    /// `section = "[" [section-spec] "]"`
    fn section(&mut self) -> PResult<Section> {
        self.expect(b'[', "[ opening the section")?;
        let section = self.section_spec()?;
        self.expect(b']', "] closing the section")?;
        Ok(section)
    }

    /// `section-spec = section-msgtext / (section-part ["." section-text])`
    fn section_spec(&mut self) -> PResult<Section> {
        if self.peek() == Some(b']') {
            return Ok(Section::default());
        }
        if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
            let text = self.section_text(false)?;
            return Ok(Section {
                part: Vec::new(),
                text: Some(text),
            });
        }
        let part = self.section_part()?;
        let text = if self.eat(b'.') {
            Some(self.section_text(true)?)
        } else {
            None
        };
        Ok(Section { part, text })
    }

    /// `section-part = nz-number *("." nz-number)`
    fn section_part(&mut self) -> PResult<Vec<u32>> {
        let mut part = vec![self.nz_number()?];
        while self.peek() == Some(b'.') && self.rest().get(1).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
            part.push(self.nz_number()?);
        }
        Ok(part)
    }

    /// `section-text = section-msgtext / "MIME"`, where `section-msgtext =
    /// "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"`.
    fn section_text(&mut self, mime_ok: bool) -> PResult<SectionText> {
        let start = self.pos;
        let name = self.take_while(is_atom_char).to_ascii_uppercase();
        let text = match name.as_slice() {
            b"HEADER" => SectionText::Header,
            b"TEXT" => SectionText::Text,
            b"MIME" if mime_ok => SectionText::Mime,
            b"HEADER.FIELDS" => {
                self.sp_after("HEADER.FIELDS")?;
                SectionText::HeaderFields(self.header_list()?)
            }
            b"HEADER.FIELDS.NOT" => {
                self.sp_after("HEADER.FIELDS.NOT")?;
                SectionText::HeaderFieldsNot(self.header_list()?)
            }
            _ => {
                self.pos = start;
                return Err(self.expected("section text (HEADER, TEXT, MIME...)"));
            }
        };
        Ok(text)
    }

    /// `header-list = "(" header-fld-name *(SP header-fld-name) ")"`
    fn header_list(&mut self) -> PResult<Vec<String>> {
        self.expect(b'(', "( opening the header field names")?;
        let mut names = Vec::new();
        loop {
            let name = self.astring_utf8("header field name")?;
            // the reply echoes the names, and no string there may hold NUL
            if name.contains('\0') {
                return Err(self.fail("NUL byte in a header field name".into()));
            }
            names.push(name);
            if self.eat(b')') {
                return Ok(names);
            }
            self.expect(b' ', "SP or ) in the header field names")?;
        }
    }
}
