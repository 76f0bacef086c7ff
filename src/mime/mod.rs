//! Message structure: ENVELOPE and BODYSTRUCTURE in IMAP form, section
//! extraction by byte ranges, the wire form (LF to CRLF, NUL to 0x80),
//! and the decoded text SEARCH needs. Never fails on broken mail.
//!
//! The part tree and the header fields are read from the raw bytes here
//! (so ENVELOPE strings stay as written and no body is decoded to describe
//! it); mail-parser supplies date parsing and the charset decoders.
//! `tests/fixtures/mime/dovecot_compare.py` checks the output against
//! Dovecot; deliberate differences are noted where they are made.

mod address;
mod blob;
mod bodystructure;
mod ctype;
mod envelope;
mod header;
mod quote;
mod rfc2047;
mod section;
mod text;
mod transfer;
mod tree;

use mail_parser::HeaderValue;
use mail_parser::parsers::MessageStream;

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
    pub fn analyze(raw: &[u8]) -> Meta {
        let root = tree::parse(raw);
        let block = &raw[root.header.clone()];
        let fields = header::fields(block);
        let decoded = |name: &str| {
            let values: Vec<String> = fields
                .iter()
                .filter(|f| f.is(name))
                .map(|f| text::decode(f.value))
                .collect();
            values.join("\n")
        };
        let (sent, sent_offset) = sent_date(&fields).unzip();
        let mut meta = Meta {
            size: wire_len(raw),
            sent,
            sent_offset: sent_offset.unwrap_or(0),
            from: decoded("from"),
            to: decoded("to"),
            cc: decoded("cc"),
            bcc: decoded("bcc"),
            subject: decoded("subject"),
            ..Meta::default()
        };
        envelope::write(&mut meta.envelope, block);
        bodystructure::write(&mut meta.body, raw, &root, false);
        bodystructure::write(&mut meta.bodystructure, raw, &root, true);
        meta
    }

    /// Serialises for the cache.
    pub fn to_blob(&self) -> Vec<u8> {
        blob::encode(self)
    }

    /// Reads a cached blob; `None` when it is from another format version
    /// or damaged.
    pub fn from_blob(blob: &[u8]) -> Option<Meta> {
        blob::decode(blob)
    }
}

/// The last Date field as (seconds since the epoch, its UTC offset in
/// seconds), when it parses to a valid date.
fn sent_date(fields: &[header::Field<'_>]) -> Option<(i64, i32)> {
    let field = fields.iter().rev().find(|f| f.is("date"))?;
    let mut line = header::unfold(field.value);
    line.push(b'\n');
    let HeaderValue::DateTime(dt) = MessageStream::new(&line).parse_date() else {
        return None;
    };
    if !dt.is_valid() {
        return None;
    }
    let offset = i32::from(dt.tz_hour) * 3600 + i32::from(dt.tz_minute) * 60;
    let offset = if dt.tz_before_gmt { -offset } else { offset };
    Some((dt.to_timestamp(), offset))
}

/// The bytes of `section` in wire form (see [`to_wire`]), or `None` when the
/// part does not exist (answered as an empty string). `BODY[]` is the whole
/// message; the session streams that one from the file instead.
pub fn section(raw: &[u8], section: &Section) -> Option<Vec<u8>> {
    // the common header fetches of the whole message skip the part scan
    let root = if section.part.is_empty() {
        tree::parse_top(raw)
    } else {
        tree::parse(raw)
    };
    let bytes = section::extract(raw, &root, section)?;
    let mut out = Vec::with_capacity(bytes.len());
    to_wire(&bytes, &mut out);
    Some(out)
}

/// Appends `raw` to `out` in wire form: every bare LF turned into CRLF and
/// every NUL into 0x80 (no literal outside BINARY may carry a NUL), byte
/// for byte, so sizes and partial offsets are those of the CRLF form.
pub fn to_wire(raw: &[u8], out: &mut Vec<u8>) {
    text::to_wire(raw, out)
}

/// The length `raw` has after [`to_wire`]: RFC822.SIZE.
pub fn wire_len(raw: &[u8]) -> u64 {
    text::wire_len(raw)
}

/// The decoded text of every text part (transfer encoding and charset
/// undone), for SEARCH BODY and TEXT.
pub fn body_text(raw: &[u8]) -> String {
    text::body_text(raw)
}

/// The decoded values of every header named `name` (case-insensitive),
/// joined by newlines, for SEARCH HEADER.
pub fn header_text(raw: &[u8], name: &str) -> String {
    text::header_text(raw, name)
}

/// Every top-level header field as `Name: decoded value` lines, for SEARCH
/// TEXT.
pub fn headers_text(raw: &[u8]) -> String {
    text::all_headers_text(raw)
}

/// True when the message's top-level header has a field named `name`
/// (case-insensitive), for `SEARCH HEADER name ""`.
pub fn has_header(raw: &[u8], name: &str) -> bool {
    header::fields(text::header_block(raw))
        .iter()
        .any(|f| f.is(name))
}
