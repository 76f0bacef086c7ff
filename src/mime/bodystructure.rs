//! BODY and BODYSTRUCTURE (RFC 3501 §7.4.2, RFC 9051 §7.5.2) from the part
//! tree and the raw MIME headers.
//!
//! Types, subtypes and parameter names go out as written. When a MIME
//! field repeats, the first one counts, as in Dovecot.
//!
//! Other deliberate differences from Dovecot 2.3, which the golden fixtures
//! pin: an invalid Content-Type is described as text/plain (RFC 2045 §5.2)
//! rather than as written; a part's size never includes the line end
//! before the next boundary, which belongs to the boundary (RFC 2046
//! §5.1.1), where Dovecot counts it for a message/rfc822 part that ends in
//! a nested multipart; and a `TEXT/PLAIN; CHARSET=US-ASCII` goes out as
//! written where Dovecot lower-cases that one default type.

use super::ctype::{self, Params};
use super::envelope;
use super::header::{self, Field};
use super::quote::{nstring, string};
use super::tree::{self, Kind, Part};

/// Appends BODY (`ext` false) or BODYSTRUCTURE (`ext` true) of `part`.
pub(crate) fn write(out: &mut Vec<u8>, raw: &[u8], part: &Part, ext: bool) {
    write_part(out, raw, part, ext);
}

/// The MIME facts of one part: its header fields and Content-Type.
struct Mime<'a> {
    fields: Vec<Field<'a>>,
    ctype: &'a Params,
}

impl<'a> Mime<'a> {
    fn read(raw: &'a [u8], part: &'a Part) -> Mime<'a> {
        Mime {
            fields: header::fields(&raw[part.header.clone()]),
            ctype: &part.ctype,
        }
    }

    fn value(&self, name: &str) -> Option<Vec<u8>> {
        header::first_value(&self.fields, name)
    }

    fn is(&self, kind: &str) -> bool {
        tree::is(self.ctype, kind, None)
    }

    fn subtype_is(&self, sub: &str) -> bool {
        self.ctype
            .subtype
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case(sub.as_bytes()))
    }
}

fn write_part(out: &mut Vec<u8>, raw: &[u8], part: &Part, ext: bool) {
    let mime = Mime::read(raw, part);
    match &part.kind {
        Kind::Multipart(children) => multipart(out, raw, &mime, children, ext),
        Kind::Message(inner) => message(out, raw, part, &mime, Some(inner), ext),
        // nested too deeply to parse: like Dovecot, an empty multipart
        Kind::Leaf if mime.is("multipart") => multipart(out, raw, &mime, &[], ext),
        // a transfer-encoded or unparsable message/rfc822 part
        Kind::Leaf if mime.is("message") && mime.subtype_is("rfc822") => {
            message(out, raw, part, &mime, None, ext)
        }
        Kind::Leaf => basic(out, raw, part, &mime, ext),
    }
}

fn multipart(out: &mut Vec<u8>, raw: &[u8], mime: &Mime<'_>, children: &[Part], ext: bool) {
    out.push(b'(');
    for child in children {
        write_part(out, raw, child, ext);
    }
    if children.is_empty() {
        empty_text(out, ext);
    }
    out.push(b' ');
    let subtype = match (&mime.ctype.subtype, mime.is("multipart")) {
        (Some(s), true) => s.as_slice(),
        _ => b"mixed",
    };
    string(out, subtype);
    if ext {
        out.push(b' ');
        params(out, &mime.ctype.params);
        extension_tail(out, mime);
    }
    out.push(b')');
}

/// The body Dovecot gives a multipart with no parts or an unparsable
/// nested message: an empty text/plain part.
fn empty_text(out: &mut Vec<u8>, ext: bool) {
    out.extend_from_slice(b"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0");
    if ext {
        out.extend_from_slice(b" NIL NIL NIL NIL");
    }
    out.push(b')');
}

fn message(
    out: &mut Vec<u8>,
    raw: &[u8],
    part: &Part,
    mime: &Mime<'_>,
    inner: Option<&Part>,
    ext: bool,
) {
    out.push(b'(');
    fields(out, raw, part, mime);
    out.push(b' ');
    match inner {
        Some(inner) => {
            envelope::write(out, &raw[inner.header.clone()]);
            out.push(b' ');
            write_part(out, raw, inner, ext);
        }
        None => {
            envelope::write_empty(out);
            out.push(b' ');
            empty_text(out, ext);
        }
    }
    out.extend_from_slice(format!(" {}", lines(&raw[part.body.clone()])).as_bytes());
    if ext {
        single_extension(out, mime);
    }
    out.push(b')');
}

fn basic(out: &mut Vec<u8>, raw: &[u8], part: &Part, mime: &Mime<'_>, ext: bool) {
    out.push(b'(');
    fields(out, raw, part, mime);
    if mime.is("text") {
        out.extend_from_slice(format!(" {}", lines(&raw[part.body.clone()])).as_bytes());
    }
    if ext {
        single_extension(out, mime);
    }
    out.push(b')');
}

/// `type subtype params id description encoding size`.
fn fields(out: &mut Vec<u8>, raw: &[u8], part: &Part, mime: &Mime<'_>) {
    string(out, &mime.ctype.kind);
    out.push(b' ');
    string(out, mime.ctype.subtype.as_deref().unwrap_or_default());
    out.push(b' ');
    let mut params = mime.ctype.params.clone();
    if mime.is("text") && mime.ctype.param("charset").is_none() {
        params.push((b"charset".to_vec(), b"us-ascii".to_vec()));
    }
    self::params(out, &params);
    out.push(b' ');
    nstring(out, mime.value("content-id").as_deref());
    out.push(b' ');
    nstring(out, mime.value("content-description").as_deref());
    out.push(b' ');
    let encoding = mime
        .value("content-transfer-encoding")
        .filter(|e| !e.is_empty());
    string(out, encoding.as_deref().unwrap_or(b"7bit"));
    let size = super::wire_len(&raw[part.body.clone()]);
    out.extend_from_slice(format!(" {size}").as_bytes());
}

/// `md5 disposition language location` of a non-multipart part.
fn single_extension(out: &mut Vec<u8>, mime: &Mime<'_>) {
    out.push(b' ');
    nstring(out, mime.value("content-md5").as_deref());
    extension_tail(out, mime);
}

/// `disposition language location`, with their leading spaces.
fn extension_tail(out: &mut Vec<u8>, mime: &Mime<'_>) {
    out.push(b' ');
    match mime
        .value("content-disposition")
        .and_then(|v| ctype::disposition(&v))
    {
        Some(d) => {
            out.push(b'(');
            string(out, &d.kind);
            out.push(b' ');
            params(out, &d.params);
            out.push(b')');
        }
        None => out.extend_from_slice(b"NIL"),
    }
    out.push(b' ');
    language(out, mime.value("content-language").as_deref());
    out.push(b' ');
    nstring(out, mime.value("content-location").as_deref());
}

fn params(out: &mut Vec<u8>, params: &[(Vec<u8>, Vec<u8>)]) {
    if params.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        string(out, name);
        out.push(b' ');
        string(out, value);
    }
    out.push(b')');
}

/// Content-Language as a list of tags, or NIL.
fn language(out: &mut Vec<u8>, value: Option<&[u8]>) {
    let value = ctype::strip_comments(value.unwrap_or_default());
    let tags: Vec<&[u8]> = value
        .split(|&b| b == b',')
        .map(header::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if tags.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for (i, tag) in tags.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        string(out, tag);
    }
    out.push(b')');
}

/// The number of lines of a body: its LF count.
fn lines(body: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', body).count()
}
