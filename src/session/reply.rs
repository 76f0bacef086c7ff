//! The one place where outcomes become wire completions: syntax and state
//! errors are `BAD`, store errors `NO` with a response code, a session that
//! cannot go on `BYE`. Client text never carries a path or an SQLite
//! message; the log gets those.

use crate::state::StateError;

/// Response codes asimap sends with `NO` (RFC 5530, RFC 3501).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// `[NONEXISTENT]`
    Nonexistent,
    /// `[ALREADYEXISTS]`
    AlreadyExists,
    /// `[TRYCREATE]`
    TryCreate,
    /// `[EXPUNGEISSUED]`
    ExpungeIssued,
    /// `[INUSE]`
    InUse,
    /// `[SERVERBUG]`
    ServerBug,
    /// `[CANNOT]`
    Cannot,
    /// `[BADCHARSET (UTF-8 US-ASCII)]`
    BadCharset,
    /// `[TOOBIG]`
    TooBig,
    /// `[LIMIT]`
    Limit,
}

impl Code {
    /// The bracketed wire form.
    pub fn wire(self) -> &'static str {
        match self {
            Code::Nonexistent => "[NONEXISTENT]",
            Code::AlreadyExists => "[ALREADYEXISTS]",
            Code::TryCreate => "[TRYCREATE]",
            Code::ExpungeIssued => "[EXPUNGEISSUED]",
            Code::InUse => "[INUSE]",
            Code::ServerBug => "[SERVERBUG]",
            Code::Cannot => "[CANNOT]",
            Code::BadCharset => "[BADCHARSET (UTF-8 US-ASCII)]",
            Code::TooBig => "[TOOBIG]",
            Code::Limit => "[LIMIT]",
        }
    }
}

/// How a command failed.
#[derive(Debug)]
pub enum CmdError {
    /// A syntax or state error: `BAD text`.
    Bad(String),
    /// The command was understood but failed: `NO [code] text`.
    No(Option<Code>, String),
    /// A failure of the store, mapped in [`CmdError::completion`].
    Store(StateError),
    /// The connection to the client failed; the session ends.
    Io(std::io::Error),
}

impl From<StateError> for CmdError {
    fn from(e: StateError) -> Self {
        CmdError::Store(e)
    }
}

impl From<std::io::Error> for CmdError {
    fn from(e: std::io::Error) -> Self {
        CmdError::Io(e)
    }
}

/// Shorthand for a `BAD`.
pub fn bad(text: impl Into<String>) -> CmdError {
    CmdError::Bad(text.into())
}

/// Shorthand for a `NO` with a code.
pub fn no(code: Option<Code>, text: impl Into<String>) -> CmdError {
    CmdError::No(code, text.into())
}

impl CmdError {
    /// The tagged completion text (after the tag), e.g. `NO [TRYCREATE] ...`.
    /// Logs the details of server-side failures.
    pub fn completion(&self, command: &str) -> String {
        match self {
            CmdError::Bad(text) => format!("BAD {command}: {text}"),
            CmdError::No(Some(code), text) => format!("NO {} {text}", code.wire()),
            CmdError::No(None, text) => format!("NO {text}"),
            CmdError::Store(e) => store_completion(e),
            CmdError::Io(e) => format!("NO [SERVERBUG] {command} failed: {}", e.kind()),
        }
    }
}

/// Maps a store error to a `NO` completion.
fn store_completion(e: &StateError) -> String {
    match e {
        StateError::NoMailbox => "NO [NONEXISTENT] No such mailbox".into(),
        StateError::MailboxExists => "NO [ALREADYEXISTS] Mailbox exists".into(),
        StateError::BadName(_) => "NO [CANNOT] Invalid mailbox name".into(),
        StateError::Refused(why) => format!("NO [CANNOT] {why}"),
        StateError::Expunged => "NO [EXPUNGEISSUED] Message was expunged".into(),
        StateError::InUse => "NO [INUSE] Mailbox is locked by another process, try again".into(),
        StateError::Mh(err) => {
            log::error!("store failure: {err}");
            "NO [SERVERBUG] Internal error, see the server log".into()
        }
        StateError::Sqlite { .. } => {
            log::error!("state file failure: {e}");
            "NO [SERVERBUG] Internal error, see the server log".into()
        }
    }
}

/// Result of a command handler: the text of a tagged OK (e.g.
/// `[READ-WRITE] SELECT completed`), or a failure.
pub type CmdResult = Result<String, CmdError>;
