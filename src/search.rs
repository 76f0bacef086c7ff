//! SEARCH evaluation (RFC 3501 §6.4.4) over flags, cached metadata and,
//! where a key needs them, the message files.

use chrono::{DateTime, NaiveDate};

use crate::mime::{self, Meta};
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
///
/// Keywords compare case-insensitively too (RFC 9051 §2.3.2 says flag
/// names are case-insensitive). Cheap keys (flags, numbers) never touch the
/// cache or the file; SENT* keys use the Date header's date as written (its
/// own offset), and a message without a valid Date never matches them.
/// Within AND and OR the cheaper keys go first, so `BODY x UNSEEN` reads
/// no file for a seen message.
pub fn matches(key: &SearchKey, msg: &mut dyn Candidate, bounds: Bounds) -> bool {
    match key {
        SearchKey::And(keys) => [Cost::Free, Cost::Cache, Cost::File].iter().all(|&level| {
            keys.iter()
                .filter(|k| cost(k) == level)
                .all(|k| matches(k, msg, bounds))
        }),
        SearchKey::Not(k) => !matches(k, msg, bounds),
        SearchKey::Or(a, b) => {
            let (first, second) = if cost(b) < cost(a) { (b, a) } else { (a, b) };
            matches(first, msg, bounds) || matches(second, msg, bounds)
        }
        SearchKey::All => true,
        SearchKey::SequenceSet(set) => set.contains(msg.seq(), bounds.largest_seq),
        SearchKey::Uid(set) => set.contains(msg.uid(), bounds.largest_uid),
        SearchKey::Before(d) => msg.internal_date() < *d,
        SearchKey::On(d) => msg.internal_date() == *d,
        SearchKey::Since(d) => msg.internal_date() >= *d,
        SearchKey::Larger(n) => msg.meta().size > u64::from(*n),
        SearchKey::Smaller(n) => msg.meta().size < u64::from(*n),
        SearchKey::SentBefore(d) => sent_date(msg).is_some_and(|s| s < *d),
        SearchKey::SentOn(d) => sent_date(msg).is_some_and(|s| s == *d),
        SearchKey::SentSince(d) => sent_date(msg).is_some_and(|s| s >= *d),
        _ => flag_key(key, msg).unwrap_or_else(|| text_key(key, msg)),
    }
}

/// What evaluating a key needs, cheapest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cost {
    /// Flags, numbers and the internal date, which the session holds.
    Free,
    /// The cached metadata.
    Cache,
    /// The message file.
    File,
}

/// The cost of the dearest key inside `key`.
fn cost(key: &SearchKey) -> Cost {
    match key {
        SearchKey::And(keys) => keys.iter().map(cost).max().unwrap_or(Cost::Free),
        SearchKey::Not(k) => cost(k),
        SearchKey::Or(a, b) => cost(a).max(cost(b)),
        SearchKey::Larger(_)
        | SearchKey::Smaller(_)
        | SearchKey::SentBefore(_)
        | SearchKey::SentOn(_)
        | SearchKey::SentSince(_)
        | SearchKey::From(_)
        | SearchKey::To(_)
        | SearchKey::Cc(_)
        | SearchKey::Bcc(_)
        | SearchKey::Subject(_) => Cost::Cache,
        SearchKey::Header(..) | SearchKey::Body(_) | SearchKey::Text(_) => Cost::File,
        _ => Cost::Free,
    }
}

fn flag_key(key: &SearchKey, msg: &mut dyn Candidate) -> Option<bool> {
    let has = |msg: &dyn Candidate, f: &str| msg.flags().iter().any(|g| g.eq_ignore_ascii_case(f));
    Some(match key {
        SearchKey::Answered => has(msg, "\\Answered"),
        SearchKey::Deleted => has(msg, "\\Deleted"),
        SearchKey::Draft => has(msg, "\\Draft"),
        SearchKey::Flagged => has(msg, "\\Flagged"),
        SearchKey::Seen => has(msg, "\\Seen"),
        SearchKey::Unanswered => !has(msg, "\\Answered"),
        SearchKey::Undeleted => !has(msg, "\\Deleted"),
        SearchKey::Undraft => !has(msg, "\\Draft"),
        SearchKey::Unflagged => !has(msg, "\\Flagged"),
        SearchKey::Unseen => !has(msg, "\\Seen"),
        SearchKey::Keyword(k) => has(msg, k),
        SearchKey::Unkeyword(k) => !has(msg, k),
        SearchKey::Recent => msg.recent(),
        SearchKey::New => msg.recent() && !has(msg, "\\Seen"),
        SearchKey::Old => !msg.recent(),
        _ => return None,
    })
}

/// String keys over cached headers or the message file.
fn text_key(key: &SearchKey, msg: &mut dyn Candidate) -> bool {
    match key {
        SearchKey::From(s) => contains(&msg.meta().from, s),
        SearchKey::To(s) => contains(&msg.meta().to, s),
        SearchKey::Cc(s) => contains(&msg.meta().cc, s),
        SearchKey::Bcc(s) => contains(&msg.meta().bcc, s),
        SearchKey::Subject(s) => contains(&msg.meta().subject, s),
        SearchKey::Header(name, s) => msg.raw().is_some_and(|raw| {
            if s.is_empty() {
                mime::has_header(raw, name)
            } else {
                contains(&mime::header_text(raw, name), s)
            }
        }),
        SearchKey::Body(s) => msg
            .raw()
            .is_some_and(|raw| contains(&mime::body_text(raw), s)),
        SearchKey::Text(s) => msg.raw().is_some_and(|raw| {
            contains(&mime::headers_text(raw), s) || contains(&mime::body_text(raw), s)
        }),
        // every other key is handled by `matches` or `flag_key`
        _ => false,
    }
}

/// The Date header's calendar date in its own time zone.
fn sent_date(msg: &mut dyn Candidate) -> Option<NaiveDate> {
    let meta = msg.meta();
    let local = meta.sent?.checked_add(i64::from(meta.sent_offset))?;
    DateTime::from_timestamp(local, 0).map(|t| t.date_naive())
}

/// Case-insensitive substring test; the needle is taken as UTF-8 (lossy).
fn contains(haystack: &str, needle: &[u8]) -> bool {
    let needle = String::from_utf8_lossy(needle).to_lowercase();
    needle.is_empty() || haystack.to_lowercase().contains(&needle)
}
