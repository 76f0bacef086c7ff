//! The command parser: one frame from the [`Framer`](super::framer::Framer)
//! into a typed [`Command`]. Recursive descent, one function per ABNF rule
//! of RFC 3501 (and RFC 9051 where it is more liberal).
//!
//! The grammar is split by area: `atoms` (tags, strings, numbers,
//! sequence sets), `values` (flags and dates), `mailbox`, `fetch`,
//! `search` and `commands`, which ties them together.
//!
//! Deliberately refused with `BAD`, as asimap does not advertise them:
//! `literal8` (BINARY), LIST-EXTENDED selection and return options, SEARCH
//! RETURN (ESEARCH), the SEARCHRES `$` set, SELECT/FETCH/STORE modifiers
//! (CONDSTORE) and MULTIAPPEND.

mod atoms;
mod commands;
mod fetch;
mod mailbox;
mod search;
mod values;

use super::types::Command;

/// Why a command could not be parsed; answered with a tagged `BAD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ParseError {
    /// The tag, when the command began with a valid one (else `*` is used).
    pub tag: Option<String>,
    /// A short reason for the client.
    pub reason: String,
}

/// Parses one whole command frame (lines and literals, as the framer gave
/// them).
///
/// `command = tag SP (command-any / command-auth / command-nonauth /
/// command-select) CRLF`; a bare LF, or no line end at all, is accepted.
pub fn command(frame: &[u8]) -> Result<Command, ParseError> {
    let mut p = Parser::new(frame);
    let tag = p.tag()?;
    p.tag = Some(tag.as_str().to_string());
    p.sp_after("tag")?;
    let name = p.atom().map_err(|_| p.expected("command name"))?;
    let name = String::from_utf8_lossy(name).to_ascii_uppercase();
    let body = commands::command_body(&mut p, &name)?;
    p.end_of_command(body.name())?;
    Ok(Command { tag, body })
}

/// A `Result` whose error is a [`ParseError`].
type PResult<T> = Result<T, ParseError>;

/// How deeply search keys may nest, so hostile input cannot exhaust the
/// stack.
const MAX_DEPTH: usize = 64;

/// A cursor over one frame.
pub(crate) struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
    /// The command's tag once it has been read, for error replies.
    tag: Option<String>,
}

impl<'a> Parser<'a> {
    /// A cursor at the start of `input`.
    fn new(input: &'a [u8]) -> Parser<'a> {
        Parser {
            input,
            pos: 0,
            tag: None,
        }
    }

    /// The next byte, if any.
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// The bytes not yet consumed.
    fn rest(&self) -> &'a [u8] {
        &self.input[self.pos.min(self.input.len())..]
    }

    /// Consumes `b` if it comes next.
    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// Consumes `b` or fails, naming `what` was expected.
    fn expect(&mut self, b: u8, what: &str) -> PResult<()> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    /// Consumes the single SP that follows `after`.
    fn sp_after(&mut self, after: &str) -> PResult<()> {
        self.expect(b' ', &format!("SP after {after}"))
    }

    /// Consumes a case-insensitive keyword when the next bytes spell it and
    /// no further atom character follows.
    fn keyword(&mut self, kw: &str) -> bool {
        let rest = self.rest();
        let n = kw.len();
        let hit = rest.len() >= n
            && rest[..n].eq_ignore_ascii_case(kw.as_bytes())
            && !rest.get(n).is_some_and(|&b| super::chars::is_atom_char(b));
        if hit {
            self.pos += n;
        }
        hit
    }

    /// Consumes the longest run of bytes matching `pred`.
    fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a [u8] {
        let rest = self.rest();
        let n = rest.iter().position(|&b| !pred(b)).unwrap_or(rest.len());
        self.pos += n;
        &rest[..n]
    }

    /// True at a line end (CRLF, LF) or at the end of the input.
    fn at_line_end(&self) -> bool {
        matches!(self.rest(), [] | [b'\n', ..] | [b'\r', b'\n', ..])
    }

    /// Checks that nothing follows the command but its line end.
    fn end_of_command(&mut self, name: &str) -> PResult<()> {
        if !self.at_line_end() {
            let found = self.found();
            return Err(self.fail(format!("unexpected {found} after {name}")));
        }
        self.eat(b'\r');
        self.eat(b'\n');
        if self.pos < self.input.len() {
            return Err(self.fail(format!("unexpected data after the end of {name}")));
        }
        Ok(())
    }

    /// An error saying what was expected and what came instead.
    fn expected(&self, what: &str) -> ParseError {
        self.fail(format!("expected {what}, found {}", self.found()))
    }

    /// An error with the given reason.
    fn fail(&self, reason: String) -> ParseError {
        ParseError {
            tag: self.tag.clone(),
            reason,
        }
    }

    /// A short, printable description of what comes next.
    fn found(&self) -> String {
        if self.at_line_end() {
            return "end of line".to_string();
        }
        let rest = self.rest();
        let end = rest
            .iter()
            .position(|&b| b == b'\r' || b == b'\n')
            .unwrap_or(rest.len());
        let shown: String = rest[..end.min(20)]
            .iter()
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    char::from(b)
                } else {
                    '?'
                }
            })
            .collect();
        let more = if end > 20 { "..." } else { "" };
        format!("\"{shown}{more}\"")
    }
}
