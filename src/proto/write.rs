//! Serialises response pieces: strings (quoted or literal), flag lists,
//! dates, mailbox names. Everything appends to a `Vec<u8>`.

use chrono::{DateTime, FixedOffset};

use super::types::{Flag, MailboxName};

/// Appends `s` as a quoted string when it can be one (7-bit, no CR, LF or
/// NUL), else as a literal `{n}\r\n...`.
pub fn string(_out: &mut Vec<u8>, _s: &[u8]) {
    todo!("proto helper")
}

/// Appends `NIL` for `None`, else as [`string`].
pub fn nstring(out: &mut Vec<u8>, s: Option<&[u8]>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"NIL"),
    }
}

/// Appends an astring: an atom when every byte is ASTRING-CHAR and it is
/// not `NIL`, else as [`string`].
pub fn astring(_out: &mut Vec<u8>, _s: &[u8]) {
    todo!("proto helper")
}

/// Appends a mailbox name in modified UTF-7, as an astring (always quoted
/// when it contains a space).
pub fn mailbox(_out: &mut Vec<u8>, _name: &MailboxName) {
    todo!("proto helper")
}

/// Appends `(\Seen $Junk)`.
pub fn flag_list(_out: &mut Vec<u8>, _flags: &[Flag]) {
    todo!("proto helper")
}

/// Appends `"dd-Mon-yyyy hh:mm:ss +zzzz"` with a space-padded day.
pub fn date_time(_out: &mut Vec<u8>, _t: &DateTime<FixedOffset>) {
    todo!("proto helper")
}
