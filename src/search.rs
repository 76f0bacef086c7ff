//! SEARCH evaluation (RFC 3501 §6.4.4) over flags, cached metadata and,
//! where a key needs them, the message files.

use chrono::NaiveDate;

use crate::mime::Meta;
use crate::proto::SearchKey;

/// One message being tested. Implemented by the session, which loads the
/// cache and the file only when a key asks for them.
pub trait Candidate {
    /// Its sequence number.
    fn seq(&self) -> u32;
    /// Its UID.
    fn uid(&self) -> u32;
    /// Its flags in wire form (`\Seen`, `$Junk`), without `\Recent`.
    fn flags(&self) -> &[String];
    /// True when this session sees it as \Recent.
    fn recent(&self) -> bool;
    /// INTERNALDATE's calendar date in the server's time zone.
    fn internal_date(&self) -> NaiveDate;
    /// The cached metadata (size, decoded headers, sent date).
    fn meta(&mut self) -> &Meta;
    /// The message as stored, or `None` when the file is gone.
    fn raw(&mut self) -> Option<&[u8]>;
}

/// The numbers `*` stands for.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// The largest sequence number (the message count).
    pub largest_seq: u32,
    /// The largest UID in the mailbox.
    pub largest_uid: u32,
}

/// True when `msg` matches `key`. Strings compare case-insensitively as
/// UTF-8 substrings of decoded text.
pub fn matches(_key: &SearchKey, _msg: &mut dyn Candidate, _bounds: Bounds) -> bool {
    todo!("mime helper")
}
