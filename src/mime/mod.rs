//! Message structure over mail-parser: ENVELOPE and BODYSTRUCTURE in IMAP
//! form, section extraction by byte offsets, the LF to CRLF view, and the
//! decoded text SEARCH needs. Never fails on broken mail.

use crate::proto::Section;

/// What asimap caches per message: computed once from the file, stored as
/// an opaque blob in the state file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Meta {
    /// RFC822.SIZE: the length of the message with every bare LF as CRLF.
    pub size: u64,
    /// The IMAP ENVELOPE, serialised, `(` to `)`.
    pub envelope: Vec<u8>,
    /// The non-extensible BODY structure, serialised.
    pub body: Vec<u8>,
    /// BODYSTRUCTURE with extension data, serialised.
    pub bodystructure: Vec<u8>,
    /// The Date header as seconds since the epoch, if it parses.
    pub sent: Option<i64>,
    /// The Date header's own UTC offset in seconds (for SENTON and friends,
    /// which compare the date as the sender wrote it).
    pub sent_offset: i32,
    /// Decoded (RFC 2047) header values SEARCH matches: From, To, Cc, Bcc,
    /// Subject, each with all occurrences joined by newlines.
    pub from: String,
    /// See `from`.
    pub to: String,
    /// See `from`.
    pub cc: String,
    /// See `from`.
    pub bcc: String,
    /// See `from`.
    pub subject: String,
}

impl Meta {
    /// Analyses a message as stored (LF line ends, possibly stray CRs).
    pub fn analyze(_raw: &[u8]) -> Meta {
        todo!("mime helper")
    }

    /// Serialises for the cache.
    pub fn to_blob(&self) -> Vec<u8> {
        todo!("mime helper")
    }

    /// Reads a cached blob; `None` when it is from another format version.
    pub fn from_blob(_blob: &[u8]) -> Option<Meta> {
        todo!("mime helper")
    }
}

/// The bytes of `section` in wire form (CRLF line ends), or `None` when the
/// part does not exist (answered as an empty string). `BODY[]` is the whole
/// message; the session streams that one from the file instead.
pub fn section(_raw: &[u8], _section: &Section) -> Option<Vec<u8>> {
    todo!("mime helper")
}

/// Appends `raw` to `out` with every bare LF turned into CRLF.
pub fn to_crlf(_raw: &[u8], _out: &mut Vec<u8>) {
    todo!("mime helper")
}

/// The length `raw` has after [`to_crlf`].
pub fn crlf_len(_raw: &[u8]) -> u64 {
    todo!("mime helper")
}

/// The decoded text of every text part (transfer encoding and charset
/// undone), for SEARCH BODY and TEXT.
pub fn body_text(_raw: &[u8]) -> String {
    todo!("mime helper")
}

/// The decoded values of every header named `name` (case-insensitive),
/// joined by newlines, for SEARCH HEADER.
pub fn header_text(_raw: &[u8], _name: &str) -> String {
    todo!("mime helper")
}
