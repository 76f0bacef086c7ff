//! Loose parsing of IMAP server responses for tests: one logical response
//! per line (literals inlined), replies grouped by tag, and a small value
//! parser for FETCH data, LIST and STATUS.

use std::collections::BTreeMap;
use std::fmt;

/// One logical server response: a line with any literals it announced
/// inlined, without the final CRLF.
#[derive(Clone, PartialEq, Eq)]
pub struct Resp {
    /// The bytes, literals included, final line end removed.
    pub raw: Vec<u8>,
}

impl fmt::Debug for Resp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text())
    }
}

impl Resp {
    /// The response as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    /// The first token: `*`, `+` or a tag.
    pub fn tag(&self) -> &[u8] {
        let end = memchr(b' ', &self.raw).unwrap_or(self.raw.len());
        &self.raw[..end]
    }

    /// True for an untagged `* ...` response.
    pub fn is_untagged(&self) -> bool {
        self.tag() == b"*"
    }

    /// True for a continuation request `+ ...`.
    pub fn is_continuation(&self) -> bool {
        self.tag() == b"+"
    }

    /// The second token upper-cased: `OK`, `NO`, `BAD`, `BYE`, `PREAUTH`,
    /// or for `* 3 EXISTS` the number.
    pub fn word(&self, index: usize) -> String {
        self.text()
            .split(' ')
            .nth(index)
            .unwrap_or("")
            .to_ascii_uppercase()
    }

    /// The status of a tagged or untagged condition response.
    pub fn status(&self) -> String {
        self.word(1)
    }

    /// The response code in brackets right after the status, without the
    /// brackets, e.g. `APPENDUID 38505 3955`.
    pub fn code(&self) -> Option<String> {
        let text = self.text();
        let rest = text.splitn(3, ' ').nth(2)?;
        let rest = rest.strip_prefix('[')?;
        let end = rest.find(']')?;
        Some(rest[..end].to_string())
    }

    /// The human-readable text after status and response code.
    pub fn human_text(&self) -> String {
        let text = self.text();
        let rest = text.splitn(3, ' ').nth(2).unwrap_or("").to_string();
        match rest
            .strip_prefix('[')
            .and_then(|r| r.find(']').map(|e| (r, e)))
        {
            Some((r, e)) => r[e + 1..].trim().to_string(),
            None => rest,
        }
    }

    /// For `* N KIND ...` returns (N, KIND upper-cased).
    pub fn numbered(&self) -> Option<(u32, String)> {
        if !self.is_untagged() {
            return None;
        }
        let n = self.word(1).parse().ok()?;
        Some((n, self.word(2)))
    }

    /// For `* N FETCH (...)`: the message number and the attributes by
    /// upper-cased name.
    pub fn fetch(&self) -> Option<(u32, Fetch)> {
        let (n, kind) = self.numbered()?;
        if kind != "FETCH" {
            return None;
        }
        let start = memchr(b'(', &self.raw)?;
        let values = parse_values(&self.raw[start..]).ok()?;
        let Some(Value::List(items)) = values.into_iter().next() else {
            return None;
        };
        Some((n, Fetch::from_items(items)))
    }

    /// The values after the first `skip` words, parsed (for LIST,
    /// STATUS, SEARCH and the like).
    pub fn values_after(&self, skip: usize) -> Vec<Value> {
        let mut pos = 0;
        for _ in 0..skip {
            match memchr(b' ', &self.raw[pos..]) {
                Some(i) => pos += i + 1,
                None => return Vec::new(),
            }
        }
        parse_values(&self.raw[pos..]).unwrap_or_else(|e| panic!("{e} in {:?}", self.text()))
    }
}

/// All responses to one command: the untagged ones since the previous
/// tagged response, continuation requests, and the tagged completion.
#[derive(Clone, Debug)]
pub struct Reply {
    /// Untagged responses in order.
    pub untagged: Vec<Resp>,
    /// Continuation requests seen while the command ran.
    pub continuations: Vec<Resp>,
    /// The tagged completion.
    pub tagged: Resp,
}

impl Reply {
    /// Tagged status: OK, NO or BAD.
    pub fn status(&self) -> String {
        self.tagged.status()
    }

    /// Panics with the whole reply unless the tagged status is OK.
    #[track_caller]
    pub fn ok(&self) -> &Self {
        self.expect_status("OK")
    }

    /// Panics with the whole reply unless the tagged status is `want`.
    #[track_caller]
    pub fn expect_status(&self, want: &str) -> &Self {
        assert_eq!(
            self.status(),
            want,
            "unexpected completion; whole reply:\n{self}"
        );
        self
    }

    /// Panics unless the tagged status is NO or BAD (a refusal).
    #[track_caller]
    pub fn refused(&self) -> &Self {
        let s = self.status();
        assert!(
            s == "NO" || s == "BAD",
            "expected NO or BAD; whole reply:\n{self}"
        );
        self
    }

    /// The tagged completion's response code.
    pub fn code(&self) -> Option<String> {
        self.tagged.code()
    }

    /// Untagged responses whose second word (upper-cased) is `kind`, such
    /// as `LIST`, `SEARCH`, `FLAGS`, `OK`, `CAPABILITY`.
    pub fn untagged(&self, kind: &str) -> Vec<&Resp> {
        self.untagged.iter().filter(|r| r.word(1) == kind).collect()
    }

    /// Untagged `* N KIND` responses such as EXISTS, EXPUNGE, RECENT.
    pub fn numbered(&self, kind: &str) -> Vec<u32> {
        let all = self.untagged.iter().filter_map(|r| r.numbered());
        all.filter(|(_, k)| k == kind).map(|(n, _)| n).collect()
    }

    /// Every FETCH response in order.
    pub fn fetches(&self) -> Vec<(u32, Fetch)> {
        self.untagged.iter().filter_map(|r| r.fetch()).collect()
    }

    /// The one FETCH response for message `n`.
    #[track_caller]
    pub fn fetch(&self, n: u32) -> Fetch {
        let mut all: Vec<Fetch> = self
            .fetches()
            .into_iter()
            .filter(|(m, _)| *m == n)
            .map(|(_, f)| f)
            .collect();
        assert_eq!(
            all.len(),
            1,
            "expected one FETCH for {n}; whole reply:\n{self}"
        );
        all.remove(0)
    }

    /// The numbers of the untagged SEARCH response (panics if none).
    #[track_caller]
    pub fn search(&self) -> Vec<u32> {
        let lines = self.untagged("SEARCH");
        assert_eq!(
            lines.len(),
            1,
            "expected one * SEARCH; whole reply:\n{self}"
        );
        let words = lines[0].text();
        let mut nums: Vec<u32> = words
            .split(' ')
            .skip(2)
            .filter(|w| !w.is_empty())
            .map(|w| {
                w.parse()
                    .unwrap_or_else(|_| panic!("bad SEARCH number {w:?}"))
            })
            .collect();
        nums.sort_unstable();
        nums
    }

    /// Response codes of untagged OK responses, e.g. `UIDVALIDITY 3857529045`.
    pub fn ok_codes(&self) -> Vec<String> {
        self.untagged("OK")
            .iter()
            .filter_map(|r| r.code())
            .collect()
    }

    /// The number after an untagged OK code such as `UIDVALIDITY` or `UIDNEXT`.
    #[track_caller]
    pub fn ok_code_number(&self, name: &str) -> u64 {
        let found = self.ok_codes().into_iter().find_map(|c| {
            let mut words = c.split(' ');
            (words.next()? == name).then(|| words.next()?.parse().ok())?
        });
        found.unwrap_or_else(|| panic!("no * OK [{name} n]; whole reply:\n{self}"))
    }

    /// LIST or LSUB entries: (attributes, delimiter, name as text).
    pub fn list(&self, kind: &str) -> Vec<ListEntry> {
        self.untagged(kind)
            .into_iter()
            .map(ListEntry::parse)
            .collect()
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in self.untagged.iter().chain(&self.continuations) {
            writeln!(f, "  {}", r.text())?;
        }
        write!(f, "  {}", self.tagged.text())
    }
}

/// One LIST or LSUB response.
#[derive(Clone, Debug)]
pub struct ListEntry {
    /// Name attributes such as `\HasChildren`, as sent.
    pub attrs: Vec<String>,
    /// The hierarchy delimiter, None for NIL.
    pub delimiter: Option<String>,
    /// The mailbox name as sent (still modified UTF-7).
    pub name: String,
}

impl ListEntry {
    fn parse(r: &Resp) -> ListEntry {
        let values = r.values_after(2);
        let [attrs, delim, name] = &values[..] else {
            panic!("malformed LIST response {:?}", r.text());
        };
        let attrs = attrs.as_list().iter().map(Value::text).collect();
        let delimiter = match delim {
            Value::Nil => None,
            v => Some(v.text()),
        };
        ListEntry {
            attrs,
            delimiter,
            name: name.text(),
        }
    }

    /// True when the attribute (case-insensitive) is present.
    pub fn has(&self, attr: &str) -> bool {
        self.attrs.iter().any(|a| a.eq_ignore_ascii_case(attr))
    }
}

/// The attributes of one FETCH response by upper-cased name.
#[derive(Clone, Debug, Default)]
pub struct Fetch {
    /// Name (upper-cased, e.g. `BODY[HEADER.FIELDS (SUBJECT)]`) and value,
    /// in the order sent; names may repeat if the server repeats them.
    pub items: Vec<(String, Value)>,
}

impl Fetch {
    fn from_items(items: Vec<Value>) -> Fetch {
        let mut out = Vec::new();
        let mut it = items.into_iter();
        while let Some(name) = it.next() {
            let value = it.next().unwrap_or(Value::Nil);
            out.push((name.text().to_ascii_uppercase(), value));
        }
        Fetch { items: out }
    }

    /// The value of attribute `name` (upper-case), panicking if absent.
    #[track_caller]
    pub fn get(&self, name: &str) -> &Value {
        self.try_get(name)
            .unwrap_or_else(|| panic!("FETCH has no {name}: {:?}", self.names()))
    }

    /// The value of attribute `name`, if present.
    pub fn try_get(&self, name: &str) -> Option<&Value> {
        self.items.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// How many times attribute `name` appears.
    pub fn count(&self, name: &str) -> usize {
        self.items.iter().filter(|(n, _)| n == name).count()
    }

    /// Attribute names in order.
    pub fn names(&self) -> Vec<String> {
        self.items.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The UID attribute.
    #[track_caller]
    pub fn uid(&self) -> u32 {
        self.get("UID").num() as u32
    }

    /// The FLAGS attribute as strings, sorted.
    #[track_caller]
    pub fn flags(&self) -> Vec<String> {
        let mut f: Vec<String> = self
            .get("FLAGS")
            .as_list()
            .iter()
            .map(Value::text)
            .collect();
        f.sort();
        f
    }
}

/// A parsed IMAP value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// An atom or number; may include a bracketed section (`BODY[1.2]<0>`).
    Atom(String),
    /// A quoted string or literal, as bytes (quoted escapes removed).
    Str(Vec<u8>),
    /// A parenthesised list.
    List(Vec<Value>),
    /// NIL.
    Nil,
}

impl Value {
    /// Text of an atom or string; lists and NIL give their IMAP form.
    pub fn text(&self) -> String {
        match self {
            Value::Atom(a) => a.clone(),
            Value::Str(b) => String::from_utf8_lossy(b).into_owned(),
            Value::Nil => "NIL".into(),
            Value::List(items) => {
                let inner: Vec<String> = items.iter().map(Value::text).collect();
                format!("({})", inner.join(" "))
            }
        }
    }

    /// Bytes of a string or literal (panics on other kinds).
    #[track_caller]
    pub fn bytes(&self) -> &[u8] {
        match self {
            Value::Str(b) => b,
            other => panic!("expected a string, got {other:?}"),
        }
    }

    /// The number in an atom (panics otherwise).
    #[track_caller]
    pub fn num(&self) -> u64 {
        match self {
            Value::Atom(a) => a.parse().unwrap_or_else(|_| panic!("not a number: {a:?}")),
            other => panic!("expected a number, got {other:?}"),
        }
    }

    /// Items of a list (panics otherwise).
    #[track_caller]
    pub fn as_list(&self) -> &[Value] {
        match self {
            Value::List(v) => v,
            other => panic!("expected a list, got {other:?}"),
        }
    }

    /// Item `i` of a list (panics when absent).
    #[track_caller]
    pub fn at(&self, i: usize) -> &Value {
        let list = self.as_list();
        list.get(i)
            .unwrap_or_else(|| panic!("list has no item {i}: {self:?}"))
    }

    /// True for NIL.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }
}

/// Parses a sequence of IMAP values (atoms, strings, literals, lists).
pub fn parse_values(input: &[u8]) -> Result<Vec<Value>, String> {
    let mut p = Parser { input, pos: 0 };
    let mut out = Vec::new();
    loop {
        p.skip_spaces();
        if p.pos >= input.len() {
            return Ok(out);
        }
        out.push(p.value()?);
    }
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn err(&self, what: &str) -> String {
        let shown = String::from_utf8_lossy(&self.input[self.pos.min(self.input.len())..]);
        format!("{what} at byte {} (rest {:?})", self.pos, shown)
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.peek() {
            Some(b'(') => self.list(),
            Some(b'"') => self.quoted(),
            Some(b'{') => self.literal(),
            Some(_) => self.atom(),
            None => Err(self.err("value expected")),
        }
    }

    fn list(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_spaces();
            match self.peek() {
                Some(b')') => {
                    self.pos += 1;
                    return Ok(Value::List(items));
                }
                None => return Err(self.err("unclosed list")),
                _ => items.push(self.value()?),
            }
        }
    }

    fn quoted(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Value::Str(out));
                }
                Some(b'\\') => {
                    let c = self.input.get(self.pos + 1).copied();
                    let c = c.ok_or_else(|| self.err("dangling backslash"))?;
                    out.push(c);
                    self.pos += 2;
                }
                Some(b'\r' | b'\n') => return Err(self.err("line end in quoted string")),
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
                None => return Err(self.err("unclosed quoted string")),
            }
        }
    }

    fn literal(&mut self) -> Result<Value, String> {
        let close = memchr(b'}', &self.input[self.pos..]).ok_or_else(|| self.err("bad {"))?;
        let digits = &self.input[self.pos + 1..self.pos + close];
        let digits = std::str::from_utf8(digits).map_err(|_| self.err("bad literal size"))?;
        let n: usize = digits
            .trim_end_matches('+')
            .parse()
            .map_err(|_| self.err("bad size"))?;
        let mut start = self.pos + close + 1;
        if self.input[start..].starts_with(b"\r\n") {
            start += 2;
        } else if self.input[start..].starts_with(b"\n") {
            start += 1;
        } else {
            return Err(self.err("literal size not followed by a line end"));
        }
        let end = start + n;
        if end > self.input.len() {
            return Err(self.err("literal runs past the response"));
        }
        self.pos = end;
        Ok(Value::Str(self.input[start..end].to_vec()))
    }

    fn atom(&mut self) -> Result<Value, String> {
        let start = self.pos;
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            match c {
                b'[' => depth += 1,
                b']' => depth = depth.saturating_sub(1),
                b' ' | b')' if depth == 0 => break,
                b'(' | b'"' | b'{' if depth == 0 => break,
                b'\r' | b'\n' => break,
                _ => {}
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.err("unexpected character"));
        }
        let atom = String::from_utf8_lossy(&self.input[start..self.pos]).into_owned();
        if atom.eq_ignore_ascii_case("NIL") {
            return Ok(Value::Nil);
        }
        Ok(Value::Atom(atom))
    }
}

/// Position of the first `needle` byte.
pub fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// Position of the first occurrence of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Splits a byte stream of server output into logical responses, inlining
/// literals. A trailing partial line is returned as the last response.
pub fn split_responses(mut data: &[u8]) -> Vec<Resp> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let (len, complete) = response_len(data);
        let raw = strip_line_end(&data[..len]);
        out.push(Resp { raw: raw.to_vec() });
        data = &data[len..];
        if !complete {
            break;
        }
    }
    out
}

/// Length of the first logical response in `data` (with its line end) and
/// whether it is complete.
pub fn response_len(data: &[u8]) -> (usize, bool) {
    let mut pos = 0;
    loop {
        let Some(nl) = memchr(b'\n', &data[pos..]) else {
            return (data.len(), false);
        };
        let line_end = pos + nl;
        match literal_size(strip_line_end(&data[pos..=line_end])) {
            Some(n) if line_end + 1 + n <= data.len() => pos = line_end + 1 + n,
            Some(_) => return (data.len(), false),
            None => return (line_end + 1, true),
        }
    }
}

/// The size announced by a `{n}` at the very end of a line segment.
pub fn literal_size(segment: &[u8]) -> Option<usize> {
    let body = segment.strip_suffix(b"}")?;
    let open = body.iter().rposition(|&b| b == b'{')?;
    let digits = body[open + 1..]
        .strip_suffix(b"+")
        .unwrap_or(&body[open + 1..]);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Groups responses into replies by tag: each reply holds the untagged
/// responses since the previous tagged one. The greeting and anything
/// after the last tagged response are returned separately.
pub fn group_replies(resps: &[Resp]) -> (Vec<Reply>, Vec<Resp>) {
    let mut replies = Vec::new();
    let mut untagged = Vec::new();
    let mut continuations = Vec::new();
    for r in resps {
        if r.is_untagged() {
            untagged.push(r.clone());
        } else if r.is_continuation() {
            continuations.push(r.clone());
        } else {
            let u = std::mem::take(&mut untagged);
            let c = std::mem::take(&mut continuations);
            replies.push(Reply {
                untagged: u,
                continuations: c,
                tagged: r.clone(),
            });
        }
    }
    (replies, untagged)
}

/// Counts how often each untagged kind appears (for diagnostics).
pub fn kinds(resps: &[Resp]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in resps {
        *m.entry(r.word(1)).or_insert(0) += 1;
    }
    m
}
