//! Typed IMAP commands: what the parser produces and the session consumes.
//!
//! The types hold only valid values ("parse, don't validate"): a `Tag` is
//! never empty, a `MailboxName` is already decoded from modified UTF-7, a
//! `SequenceSet` is never empty.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate};

/// A command tag (RFC 3501 `tag`): ASTRING-CHAR except `+`, at least one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tag(pub(crate) String);

impl Tag {
    /// Builds a tag after checking the `tag` grammar.
    pub fn new(s: &str) -> Option<Tag> {
        let ok = !s.is_empty()
            && s.bytes()
                .all(|b| crate::proto::chars::is_astring_char(b) && b != b'+');
        ok.then(|| Tag(s.to_string()))
    }

    /// The tag as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A secret (password, SASL payload) that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// A mailbox name, decoded from modified UTF-7 to UTF-8.
///
/// `INBOX` in any case is normalised to `INBOX` when it is the whole name or
/// the first hierarchy level (`inbox/foo` becomes `INBOX/foo`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailboxName(pub(crate) String);

impl MailboxName {
    /// Wraps a UTF-8 name, normalising a leading INBOX.
    pub fn from_utf8(name: &str) -> MailboxName {
        let (first, rest) = match name.find('/') {
            Some(i) => (&name[..i], &name[i..]),
            None => (name, ""),
        };
        if first.eq_ignore_ascii_case("INBOX") {
            MailboxName(format!("INBOX{rest}"))
        } else {
            MailboxName(name.to_string())
        }
    }

    /// The UTF-8 name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for INBOX itself.
    pub fn is_inbox(&self) -> bool {
        self.0 == "INBOX"
    }
}

/// One end of a sequence range: a number or `*` (the largest in use).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqNum {
    /// A message sequence number or UID, never zero.
    Value(u32),
    /// `*`: the largest number in use.
    Largest,
}

/// A non-empty list of ranges (RFC 3501 `sequence-set`), as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceSet(pub Vec<(SeqNum, SeqNum)>);

impl SequenceSet {
    /// True when `n` lies in the set, with `*` standing for `largest`.
    pub fn contains(&self, n: u32, largest: u32) -> bool {
        let value = |s: SeqNum| match s {
            SeqNum::Value(v) => v,
            SeqNum::Largest => largest,
        };
        self.0.iter().any(|&(a, b)| {
            let (a, b) = (value(a), value(b));
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            lo <= n && n <= hi
        })
    }
}

/// A message flag (RFC 3501 `flag`, plus `\Recent` for fetch and search).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flag {
    /// `\Answered`
    Answered,
    /// `\Flagged`
    Flagged,
    /// `\Deleted`
    Deleted,
    /// `\Seen`
    Seen,
    /// `\Draft`
    Draft,
    /// `\Recent` (never stored)
    Recent,
    /// A keyword atom, such as `$Junk` or `NonJunk`.
    Keyword(String),
    /// An unknown `\Name` system-flag extension.
    Extension(String),
}

impl Flag {
    /// Parses the wire form (`\Seen`, `$Junk`), case-insensitively for
    /// system flags.
    pub fn from_wire(s: &str) -> Flag {
        let Some(name) = s.strip_prefix('\\') else {
            return Flag::Keyword(s.to_string());
        };
        match name.to_ascii_lowercase().as_str() {
            "answered" => Flag::Answered,
            "flagged" => Flag::Flagged,
            "deleted" => Flag::Deleted,
            "seen" => Flag::Seen,
            "draft" => Flag::Draft,
            "recent" => Flag::Recent,
            _ => Flag::Extension(name.to_string()),
        }
    }

    /// The wire form.
    pub fn to_wire(&self) -> String {
        match self {
            Flag::Answered => "\\Answered".into(),
            Flag::Flagged => "\\Flagged".into(),
            Flag::Deleted => "\\Deleted".into(),
            Flag::Seen => "\\Seen".into(),
            Flag::Draft => "\\Draft".into(),
            Flag::Recent => "\\Recent".into(),
            Flag::Keyword(k) => k.clone(),
            Flag::Extension(e) => format!("\\{e}"),
        }
    }
}

/// A section specifier (RFC 3501 `section-spec`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Section {
    /// Part numbers, `1.2.3`; empty for the whole message.
    pub part: Vec<u32>,
    /// What of the part: all of it, or its header, text or MIME header.
    pub text: Option<SectionText>,
}

/// The text part of a section specifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionText {
    /// `HEADER`
    Header,
    /// `HEADER.FIELDS (names)`; names as sent.
    HeaderFields(Vec<String>),
    /// `HEADER.FIELDS.NOT (names)`
    HeaderFieldsNot(Vec<String>),
    /// `TEXT`
    Text,
    /// `MIME` (only after a part number)
    Mime,
}

/// A FETCH data item (RFC 3501 `fetch-att`); macros are expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchAttr {
    /// `ENVELOPE`
    Envelope,
    /// `FLAGS`
    Flags,
    /// `INTERNALDATE`
    InternalDate,
    /// `RFC822`
    Rfc822,
    /// `RFC822.HEADER`
    Rfc822Header,
    /// `RFC822.SIZE`
    Rfc822Size,
    /// `RFC822.TEXT`
    Rfc822Text,
    /// `BODY` (non-extensible BODYSTRUCTURE)
    Body,
    /// `BODYSTRUCTURE`
    BodyStructure,
    /// `UID`
    Uid,
    /// `BODY[section]<partial>` or `BODY.PEEK[...]`.
    BodySection {
        /// True for `BODY.PEEK`, which does not set `\Seen`.
        peek: bool,
        /// The section.
        section: Section,
        /// `<origin.length>`
        partial: Option<(u32, u32)>,
    },
}

/// How STORE changes flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMode {
    /// `FLAGS`
    Replace,
    /// `+FLAGS`
    Add,
    /// `-FLAGS`
    Remove,
}

/// A STATUS data item (RFC 3501 `status-att`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusItem {
    /// `MESSAGES`
    Messages,
    /// `RECENT`
    Recent,
    /// `UIDNEXT`
    UidNext,
    /// `UIDVALIDITY`
    UidValidity,
    /// `UNSEEN`
    Unseen,
    /// `SIZE` (RFC 8438)
    Size,
}

/// A SEARCH key (RFC 3501 `search-key`). Strings are raw bytes in the
/// command's charset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchKey {
    /// Several keys that must all match (a parenthesised list or the top).
    And(Vec<SearchKey>),
    /// `ALL`
    All,
    /// `ANSWERED`
    Answered,
    /// `BCC string`
    Bcc(Vec<u8>),
    /// `BEFORE date`
    Before(NaiveDate),
    /// `BODY string`
    Body(Vec<u8>),
    /// `CC string`
    Cc(Vec<u8>),
    /// `DELETED`
    Deleted,
    /// `DRAFT`
    Draft,
    /// `FLAGGED`
    Flagged,
    /// `FROM string`
    From(Vec<u8>),
    /// `HEADER name string`
    Header(String, Vec<u8>),
    /// `KEYWORD flag`
    Keyword(String),
    /// `LARGER n`
    Larger(u32),
    /// `NEW`
    New,
    /// `NOT key`
    Not(Box<SearchKey>),
    /// `OLD`
    Old,
    /// `ON date`
    On(NaiveDate),
    /// `OR key key`
    Or(Box<SearchKey>, Box<SearchKey>),
    /// `RECENT`
    Recent,
    /// `SEEN`
    Seen,
    /// `SENTBEFORE date`
    SentBefore(NaiveDate),
    /// `SENTON date`
    SentOn(NaiveDate),
    /// `SENTSINCE date`
    SentSince(NaiveDate),
    /// `SINCE date`
    Since(NaiveDate),
    /// `SMALLER n`
    Smaller(u32),
    /// `SUBJECT string`
    Subject(Vec<u8>),
    /// `TEXT string`
    Text(Vec<u8>),
    /// `TO string`
    To(Vec<u8>),
    /// `UID set`
    Uid(SequenceSet),
    /// `UNANSWERED`
    Unanswered,
    /// `UNDELETED`
    Undeleted,
    /// `UNDRAFT`
    Undraft,
    /// `UNFLAGGED`
    Unflagged,
    /// `UNKEYWORD flag`
    Unkeyword(String),
    /// `UNSEEN`
    Unseen,
    /// A message sequence set.
    SequenceSet(SequenceSet),
}

/// The charset of a SEARCH command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchCharset {
    /// No CHARSET given, or US-ASCII.
    UsAscii,
    /// `CHARSET UTF-8`
    Utf8,
    /// Any other charset, named as sent (answered `NO [BADCHARSET]`).
    Other(String),
}

/// A parsed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The client's tag.
    pub tag: Tag,
    /// What it asks.
    pub body: CommandBody,
}

/// The command and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandBody {
    /// `CAPABILITY`
    Capability,
    /// `NOOP`
    Noop,
    /// `LOGOUT`
    Logout,
    /// `ID (field value ...)` or `ID NIL`; values may be NIL.
    Id(Option<Vec<(String, Option<String>)>>),
    /// `ENABLE cap ...`, names upper-cased.
    Enable(Vec<String>),
    /// `NAMESPACE`
    Namespace,
    /// `STARTTLS`
    StartTls,
    /// `LOGIN user password`
    Login {
        /// The user name, as sent.
        user: String,
        /// The password.
        password: Secret,
    },
    /// `AUTHENTICATE mechanism [initial-response]` (SASL-IR).
    Authenticate {
        /// The mechanism, upper-cased.
        mechanism: String,
        /// The base64 initial response, if any (`=` is an empty one).
        initial: Option<Secret>,
    },
    /// `SELECT mailbox`
    Select(MailboxName),
    /// `EXAMINE mailbox`
    Examine(MailboxName),
    /// `CREATE mailbox`
    Create(MailboxName),
    /// `DELETE mailbox`
    Delete(MailboxName),
    /// `RENAME from to`
    Rename(MailboxName, MailboxName),
    /// `SUBSCRIBE mailbox`
    Subscribe(MailboxName),
    /// `UNSUBSCRIBE mailbox`
    Unsubscribe(MailboxName),
    /// `LIST reference pattern`; both decoded from modified UTF-7.
    List {
        /// The reference name.
        reference: String,
        /// The pattern, with `*` and `%`.
        pattern: String,
    },
    /// `LSUB reference pattern`
    Lsub {
        /// The reference name.
        reference: String,
        /// The pattern, with `*` and `%`.
        pattern: String,
    },
    /// `STATUS mailbox (items)`
    Status(MailboxName, Vec<StatusItem>),
    /// `APPEND mailbox [flags] [date-time] literal`
    Append {
        /// The destination.
        mailbox: MailboxName,
        /// Flags to set on the new message.
        flags: Vec<Flag>,
        /// INTERNALDATE to give it.
        date: Option<DateTime<FixedOffset>>,
        /// The message, exactly as sent.
        message: Vec<u8>,
    },
    /// `CHECK`
    Check,
    /// `CLOSE`
    Close,
    /// `UNSELECT`
    Unselect,
    /// `EXPUNGE`
    Expunge,
    /// `UID EXPUNGE set`
    UidExpunge(SequenceSet),
    /// `[UID] SEARCH [CHARSET c] keys`
    Search {
        /// True for UID SEARCH.
        uid: bool,
        /// The charset of the strings in `key`.
        charset: SearchCharset,
        /// All keys, as one `And`.
        key: SearchKey,
    },
    /// `[UID] FETCH set items`
    Fetch {
        /// True for UID FETCH.
        uid: bool,
        /// Which messages.
        set: SequenceSet,
        /// What to fetch, macros expanded.
        attrs: Vec<FetchAttr>,
    },
    /// `[UID] STORE set [+-]FLAGS[.SILENT] (flags)`
    Store {
        /// True for UID STORE.
        uid: bool,
        /// Which messages.
        set: SequenceSet,
        /// Replace, add or remove.
        mode: StoreMode,
        /// `.SILENT`: no untagged FETCH for this session.
        silent: bool,
        /// The flags.
        flags: Vec<Flag>,
    },
    /// `[UID] COPY set mailbox`
    Copy {
        /// True for UID COPY.
        uid: bool,
        /// Which messages.
        set: SequenceSet,
        /// The destination.
        mailbox: MailboxName,
    },
    /// `[UID] MOVE set mailbox`
    Move {
        /// True for UID MOVE.
        uid: bool,
        /// Which messages.
        set: SequenceSet,
        /// The destination.
        mailbox: MailboxName,
    },
    /// `IDLE`
    Idle,
}

impl CommandBody {
    /// The command's name as the log and error replies show it.
    pub fn name(&self) -> &'static str {
        match self {
            CommandBody::Capability => "CAPABILITY",
            CommandBody::Noop => "NOOP",
            CommandBody::Logout => "LOGOUT",
            CommandBody::Id(_) => "ID",
            CommandBody::Enable(_) => "ENABLE",
            CommandBody::Namespace => "NAMESPACE",
            CommandBody::StartTls => "STARTTLS",
            CommandBody::Login { .. } => "LOGIN",
            CommandBody::Authenticate { .. } => "AUTHENTICATE",
            CommandBody::Select(_) => "SELECT",
            CommandBody::Examine(_) => "EXAMINE",
            CommandBody::Create(_) => "CREATE",
            CommandBody::Delete(_) => "DELETE",
            CommandBody::Rename(..) => "RENAME",
            CommandBody::Subscribe(_) => "SUBSCRIBE",
            CommandBody::Unsubscribe(_) => "UNSUBSCRIBE",
            CommandBody::List { .. } => "LIST",
            CommandBody::Lsub { .. } => "LSUB",
            CommandBody::Status(..) => "STATUS",
            CommandBody::Append { .. } => "APPEND",
            CommandBody::Check => "CHECK",
            CommandBody::Close => "CLOSE",
            CommandBody::Unselect => "UNSELECT",
            CommandBody::Expunge => "EXPUNGE",
            CommandBody::UidExpunge(_) => "UID EXPUNGE",
            CommandBody::Search { .. } => "SEARCH",
            CommandBody::Fetch { .. } => "FETCH",
            CommandBody::Store { .. } => "STORE",
            CommandBody::Copy { .. } => "COPY",
            CommandBody::Move { .. } => "MOVE",
            CommandBody::Idle => "IDLE",
        }
    }
}
