//! SEARCH: the charset and the search keys of RFC 3501 §6.4.4.

use super::{MAX_DEPTH, PResult, Parser};
use crate::proto::types::{SearchCharset, SearchKey};

impl Parser<'_> {
    /// `search = "SEARCH" [SP "CHARSET" SP astring] 1*(SP search-key)`,
    /// after the command name; all keys are returned as one `And`.
    pub(super) fn search_program(&mut self) -> PResult<(SearchCharset, SearchKey)> {
        self.sp_after("SEARCH")?;
        let mut charset = SearchCharset::UsAscii;
        if self.keyword("CHARSET") {
            self.sp_after("CHARSET")?;
            charset = self.charset()?;
            self.sp_after("charset")?;
        }
        let mut keys = vec![self.search_key(0)?];
        while self.eat(b' ') {
            keys.push(self.search_key(0)?);
        }
        Ok((charset, SearchKey::And(keys)))
    }

    /// The charset name, classified.
    fn charset(&mut self) -> PResult<SearchCharset> {
        let name = self.astring_utf8("charset name")?;
        Ok(if name.eq_ignore_ascii_case("UTF-8") {
            SearchCharset::Utf8
        } else if name.eq_ignore_ascii_case("US-ASCII") {
            SearchCharset::UsAscii
        } else {
            SearchCharset::Other(name)
        })
    }

    /// `search-key`, nested at most [`MAX_DEPTH`] deep.
    fn search_key(&mut self, depth: usize) -> PResult<SearchKey> {
        if depth > MAX_DEPTH {
            return Err(self.fail("search keys nested too deeply".into()));
        }
        match self.peek() {
            Some(b'(') => self.search_key_list(depth),
            Some(b'*' | b'0'..=b'9') => Ok(SearchKey::SequenceSet(self.sequence_set()?)),
            _ => self.search_key_named(depth),
        }
    }

    /// `"(" search-key *(SP search-key) ")"`
    fn search_key_list(&mut self, depth: usize) -> PResult<SearchKey> {
        self.expect(b'(', "(")?;
        let mut keys = Vec::new();
        loop {
            keys.push(self.search_key(depth + 1)?);
            if self.eat(b')') {
                return Ok(SearchKey::And(keys));
            }
            self.expect(b' ', "SP or ) in the search key list")?;
        }
    }

    /// A search key that starts with its name.
    fn search_key_named(&mut self, depth: usize) -> PResult<SearchKey> {
        use SearchKey as K;
        let start = self.pos;
        let name = self.atom_upper("search key")?;
        let key = match name.as_str() {
            "ALL" => K::All,
            "ANSWERED" => K::Answered,
            "DELETED" => K::Deleted,
            "DRAFT" => K::Draft,
            "FLAGGED" => K::Flagged,
            "NEW" => K::New,
            "OLD" => K::Old,
            "RECENT" => K::Recent,
            "SEEN" => K::Seen,
            "UNANSWERED" => K::Unanswered,
            "UNDELETED" => K::Undeleted,
            "UNDRAFT" => K::Undraft,
            "UNFLAGGED" => K::Unflagged,
            "UNSEEN" => K::Unseen,
            "BCC" => K::Bcc(self.key_string(&name)?),
            "BODY" => K::Body(self.key_string(&name)?),
            "CC" => K::Cc(self.key_string(&name)?),
            "FROM" => K::From(self.key_string(&name)?),
            "SUBJECT" => K::Subject(self.key_string(&name)?),
            "TEXT" => K::Text(self.key_string(&name)?),
            "TO" => K::To(self.key_string(&name)?),
            "BEFORE" => K::Before(self.key_date(&name)?),
            "ON" => K::On(self.key_date(&name)?),
            "SINCE" => K::Since(self.key_date(&name)?),
            "SENTBEFORE" => K::SentBefore(self.key_date(&name)?),
            "SENTON" => K::SentOn(self.key_date(&name)?),
            "SENTSINCE" => K::SentSince(self.key_date(&name)?),
            "LARGER" => K::Larger(self.key_number(&name)?),
            "SMALLER" => K::Smaller(self.key_number(&name)?),
            "KEYWORD" => K::Keyword(self.key_keyword(&name)?),
            "UNKEYWORD" => K::Unkeyword(self.key_keyword(&name)?),
            "HEADER" => self.key_header()?,
            "UID" => {
                self.sp_after("UID")?;
                K::Uid(self.sequence_set()?)
            }
            "NOT" => {
                self.sp_after("NOT")?;
                K::Not(Box::new(self.search_key(depth + 1)?))
            }
            "OR" => {
                self.sp_after("OR")?;
                let a = self.search_key(depth + 1)?;
                self.sp_after("the first OR key")?;
                K::Or(Box::new(a), Box::new(self.search_key(depth + 1)?))
            }
            _ => {
                self.pos = start;
                return Err(self.expected("search key"));
            }
        };
        Ok(key)
    }

    /// `SP astring` after a key name.
    fn key_string(&mut self, key: &str) -> PResult<Vec<u8>> {
        self.sp_after(key)?;
        self.astring(&format!("string after {key}"))
    }

    /// `SP date` after a key name.
    fn key_date(&mut self, key: &str) -> PResult<chrono::NaiveDate> {
        self.sp_after(key)?;
        self.date()
    }

    /// `SP number` after a key name.
    fn key_number(&mut self, key: &str) -> PResult<u32> {
        self.sp_after(key)?;
        self.number()
    }

    /// `SP flag-keyword` (an atom) after a key name.
    fn key_keyword(&mut self, key: &str) -> PResult<String> {
        self.sp_after(key)?;
        let atom = self.atom().map_err(|_| self.expected("keyword"))?;
        String::from_utf8(atom.to_vec()).map_err(|_| self.fail("keyword is not UTF-8".into()))
    }

    /// `"HEADER" SP header-fld-name SP astring`
    fn key_header(&mut self) -> PResult<SearchKey> {
        self.sp_after("HEADER")?;
        let field = self.astring_utf8("header field name")?;
        self.sp_after("the header field name")?;
        let value = self.astring("header value")?;
        Ok(SearchKey::Header(field, value))
    }
}
