//! Serialises a [`Command`] back to the wire, the inverse of
//! [`parse::command`](super::parse::command): tests round-trip through it,
//! and it documents the canonical form of each command.

use chrono::{Datelike, NaiveDate};

use super::chars::is_atom_char;
use super::types::{
    Command, CommandBody, FetchAttr, Flag, MailboxName, SearchCharset, SearchKey, Section,
    SectionText, SeqNum, SequenceSet, StatusItem, StoreMode,
};
use super::{utf7, write};

/// The command as a client would send it, CRLF included. Literals are
/// synchronizing (`{n}`).
pub fn encode(cmd: &Command) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(cmd.tag.as_str().as_bytes());
    out.push(b' ');
    body(&mut out, &cmd.body);
    out.extend_from_slice(b"\r\n");
    out
}

/// Appends the command name and arguments.
fn body(out: &mut Vec<u8>, body: &CommandBody) {
    use CommandBody as C;
    match body {
        C::Id(params) => id(out, params.as_deref()),
        C::Enable(caps) => {
            out.extend_from_slice(b"ENABLE");
            for cap in caps {
                push(out, &[" ", cap]);
            }
        }
        C::Login { user, password } => {
            out.extend_from_slice(b"LOGIN ");
            write::astring(out, user.as_bytes());
            out.push(b' ');
            write::astring(out, &password.0);
        }
        C::Authenticate { mechanism, initial } => {
            push(out, &["AUTHENTICATE ", mechanism]);
            if let Some(initial) = initial {
                out.push(b' ');
                out.extend_from_slice(&initial.0);
            }
        }
        C::Select(m)
        | C::Examine(m)
        | C::Create(m)
        | C::Delete(m)
        | C::Subscribe(m)
        | C::Unsubscribe(m) => {
            push(out, &[body.name(), " "]);
            write::mailbox(out, m);
        }
        C::Rename(from, to) => {
            out.extend_from_slice(b"RENAME ");
            write::mailbox(out, from);
            out.push(b' ');
            write::mailbox(out, to);
        }
        C::List { reference, pattern } | C::Lsub { reference, pattern } => {
            push(out, &[body.name(), " "]);
            write::astring(out, utf7::encode(reference).as_bytes());
            out.push(b' ');
            list_mailbox(out, pattern);
        }
        C::Status(m, items) => status(out, m, items),
        C::Append { .. } => append(out, body),
        _ => selected(out, body),
    }
}

/// Appends the commands of the selected state; the others without
/// arguments are just their name.
fn selected(out: &mut Vec<u8>, body: &CommandBody) {
    use CommandBody as C;
    match body {
        C::UidExpunge(set) => {
            out.extend_from_slice(b"UID EXPUNGE ");
            sequence_set(out, set);
        }
        C::Search { uid, charset, key } => search(out, *uid, charset, key),
        C::Fetch { uid, set, attrs } => {
            uid_prefix(out, *uid, "FETCH", set);
            fetch_attrs(out, attrs);
        }
        C::Store {
            uid,
            set,
            mode,
            silent,
            flags,
        } => {
            uid_prefix(out, *uid, "STORE", set);
            store_att_flags(out, *mode, *silent, flags);
        }
        C::Copy { uid, set, mailbox } | C::Move { uid, set, mailbox } => {
            uid_prefix(out, *uid, body.name(), set);
            write::mailbox(out, mailbox);
        }
        _ => out.extend_from_slice(body.name().as_bytes()),
    }
}

/// `[+-]FLAGS[.SILENT] (flags)`.
fn store_att_flags(out: &mut Vec<u8>, mode: StoreMode, silent: bool, flags: &[Flag]) {
    let sign = match mode {
        StoreMode::Replace => "",
        StoreMode::Add => "+",
        StoreMode::Remove => "-",
    };
    push(out, &[sign, "FLAGS", if silent { ".SILENT " } else { " " }]);
    write::flag_list(out, flags);
}

/// Appends string pieces.
fn push(out: &mut Vec<u8>, parts: &[&str]) {
    for part in parts {
        out.extend_from_slice(part.as_bytes());
    }
}

/// `ID NIL` or `ID ("field" "value" ...)`.
fn id(out: &mut Vec<u8>, params: Option<&[(String, Option<String>)]>) {
    out.extend_from_slice(b"ID ");
    let Some(params) = params else {
        out.extend_from_slice(b"NIL");
        return;
    };
    out.push(b'(');
    for (i, (field, value)) in params.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        write::string(out, field.as_bytes());
        out.push(b' ');
        write::nstring(out, value.as_deref().map(str::as_bytes));
    }
    out.push(b')');
}

/// A LIST pattern: bare when it is all list-chars, else a string.
fn list_mailbox(out: &mut Vec<u8>, pattern: &str) {
    let wire = utf7::encode(pattern);
    let bare = !wire.is_empty()
        && wire
            .bytes()
            .all(|b| is_atom_char(b) || matches!(b, b'%' | b'*' | b']'));
    if bare {
        out.extend_from_slice(wire.as_bytes());
    } else {
        write::string(out, wire.as_bytes());
    }
}

/// `STATUS mailbox (items)`.
fn status(out: &mut Vec<u8>, mailbox: &MailboxName, items: &[StatusItem]) {
    out.extend_from_slice(b"STATUS ");
    write::mailbox(out, mailbox);
    out.extend_from_slice(b" (");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        let name = match item {
            StatusItem::Messages => "MESSAGES",
            StatusItem::Recent => "RECENT",
            StatusItem::UidNext => "UIDNEXT",
            StatusItem::UidValidity => "UIDVALIDITY",
            StatusItem::Unseen => "UNSEEN",
            StatusItem::Size => "SIZE",
        };
        out.extend_from_slice(name.as_bytes());
    }
    out.push(b')');
}

/// `APPEND mailbox [(flags)] ["date-time"] {n}\r\n...`.
fn append(out: &mut Vec<u8>, body: &CommandBody) {
    let CommandBody::Append {
        mailbox,
        flags,
        date,
        message,
    } = body
    else {
        return;
    };
    out.extend_from_slice(b"APPEND ");
    write::mailbox(out, mailbox);
    if !flags.is_empty() {
        out.push(b' ');
        write::flag_list(out, flags);
    }
    if let Some(date) = date {
        out.push(b' ');
        write::date_time(out, date);
    }
    out.extend_from_slice(format!(" {{{}}}\r\n", message.len()).as_bytes());
    out.extend_from_slice(message);
}

/// `[UID ]NAME set `.
fn uid_prefix(out: &mut Vec<u8>, uid: bool, name: &str, set: &SequenceSet) {
    push(out, &[if uid { "UID " } else { "" }, name, " "]);
    sequence_set(out, set);
    out.push(b' ');
}

/// `1:3,5,7:*`.
fn sequence_set(out: &mut Vec<u8>, set: &SequenceSet) {
    let one = |n: SeqNum| match n {
        SeqNum::Value(v) => v.to_string(),
        SeqNum::Largest => "*".to_string(),
    };
    for (i, &(a, b)) in set.0.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(one(a).as_bytes());
        if a != b {
            push(out, &[":", &one(b)]);
        }
    }
}

/// `(attr attr ...)`.
fn fetch_attrs(out: &mut Vec<u8>, attrs: &[FetchAttr]) {
    out.push(b'(');
    for (i, attr) in attrs.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        fetch_attr(out, attr);
    }
    out.push(b')');
}

/// One fetch attribute.
fn fetch_attr(out: &mut Vec<u8>, attr: &FetchAttr) {
    let name = match attr {
        FetchAttr::Envelope => "ENVELOPE",
        FetchAttr::Flags => "FLAGS",
        FetchAttr::InternalDate => "INTERNALDATE",
        FetchAttr::Rfc822 => "RFC822",
        FetchAttr::Rfc822Header => "RFC822.HEADER",
        FetchAttr::Rfc822Size => "RFC822.SIZE",
        FetchAttr::Rfc822Text => "RFC822.TEXT",
        FetchAttr::Body => "BODY",
        FetchAttr::BodyStructure => "BODYSTRUCTURE",
        FetchAttr::Uid => "UID",
        FetchAttr::BodySection {
            peek,
            section,
            partial,
        } => {
            out.extend_from_slice(if *peek { b"BODY.PEEK" } else { b"BODY" });
            section_spec(out, section);
            if let Some((origin, length)) = partial {
                out.extend_from_slice(format!("<{origin}.{length}>").as_bytes());
            }
            return;
        }
    };
    out.extend_from_slice(name.as_bytes());
}

/// `SEARCH [CHARSET c] keys`.
fn search(out: &mut Vec<u8>, uid: bool, charset: &SearchCharset, key: &SearchKey) {
    out.extend_from_slice(if uid { b"UID SEARCH" } else { b"SEARCH" });
    match charset {
        SearchCharset::UsAscii => {}
        SearchCharset::Utf8 => out.extend_from_slice(b" CHARSET UTF-8"),
        SearchCharset::Other(name) => {
            out.extend_from_slice(b" CHARSET ");
            write::astring(out, name.as_bytes());
        }
    }
    match key {
        SearchKey::And(keys) => {
            for key in keys {
                out.push(b' ');
                search_key(out, key);
            }
        }
        key => {
            out.push(b' ');
            search_key(out, key);
        }
    }
}

/// `d-Mon-yyyy`.
pub(crate) fn date(out: &mut Vec<u8>, d: &NaiveDate) {
    let month = write::MONTHS[d.month0() as usize % 12];
    out.extend_from_slice(format!("{}-{}-{:04}", d.day(), month, d.year()).as_bytes());
}

/// `[part.part.TEXT]`.
fn section_spec(out: &mut Vec<u8>, section: &Section) {
    out.push(b'[');
    let parts: Vec<String> = section.part.iter().map(u32::to_string).collect();
    out.extend_from_slice(parts.join(".").as_bytes());
    if let Some(text) = &section.text {
        if !section.part.is_empty() {
            out.push(b'.');
        }
        let (name, fields) = match text {
            SectionText::Header => ("HEADER", None),
            SectionText::HeaderFields(f) => ("HEADER.FIELDS", Some(f)),
            SectionText::HeaderFieldsNot(f) => ("HEADER.FIELDS.NOT", Some(f)),
            SectionText::Text => ("TEXT", None),
            SectionText::Mime => ("MIME", None),
        };
        out.extend_from_slice(name.as_bytes());
        if let Some(fields) = fields {
            out.extend_from_slice(b" (");
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write::astring(out, field.as_bytes());
            }
            out.push(b')');
        }
    }
    out.push(b']');
}

/// One search key; a nested `And` is parenthesised.
fn search_key(out: &mut Vec<u8>, key: &SearchKey) {
    use SearchKey as K;
    let simple = match key {
        K::All => "ALL",
        K::Answered => "ANSWERED",
        K::Deleted => "DELETED",
        K::Draft => "DRAFT",
        K::Flagged => "FLAGGED",
        K::New => "NEW",
        K::Old => "OLD",
        K::Recent => "RECENT",
        K::Seen => "SEEN",
        K::Unanswered => "UNANSWERED",
        K::Undeleted => "UNDELETED",
        K::Undraft => "UNDRAFT",
        K::Unflagged => "UNFLAGGED",
        K::Unseen => "UNSEEN",
        _ => return search_key_with_args(out, key),
    };
    out.extend_from_slice(simple.as_bytes());
}

/// A search key that takes arguments.
fn search_key_with_args(out: &mut Vec<u8>, key: &SearchKey) {
    use SearchKey as K;
    let string = |out: &mut Vec<u8>, name: &str, s: &[u8]| {
        push(out, &[name, " "]);
        write::astring(out, s);
    };
    let day = |out: &mut Vec<u8>, name: &str, d: &NaiveDate| {
        push(out, &[name, " "]);
        date(out, d);
    };
    match key {
        K::Bcc(s) => string(out, "BCC", s),
        K::Body(s) => string(out, "BODY", s),
        K::Cc(s) => string(out, "CC", s),
        K::From(s) => string(out, "FROM", s),
        K::Subject(s) => string(out, "SUBJECT", s),
        K::Text(s) => string(out, "TEXT", s),
        K::To(s) => string(out, "TO", s),
        K::Before(d) => day(out, "BEFORE", d),
        K::On(d) => day(out, "ON", d),
        K::Since(d) => day(out, "SINCE", d),
        K::SentBefore(d) => day(out, "SENTBEFORE", d),
        K::SentOn(d) => day(out, "SENTON", d),
        K::SentSince(d) => day(out, "SENTSINCE", d),
        K::Larger(n) => push(out, &["LARGER ", &n.to_string()]),
        K::Smaller(n) => push(out, &["SMALLER ", &n.to_string()]),
        K::Keyword(k) => push(out, &["KEYWORD ", k]),
        K::Unkeyword(k) => push(out, &["UNKEYWORD ", k]),
        K::Header(field, value) => {
            string(out, "HEADER", field.as_bytes());
            out.push(b' ');
            write::astring(out, value);
        }
        K::Uid(set) => {
            out.extend_from_slice(b"UID ");
            sequence_set(out, set);
        }
        K::SequenceSet(set) => sequence_set(out, set),
        K::Not(k) => {
            out.extend_from_slice(b"NOT ");
            search_key(out, k);
        }
        K::Or(a, b) => {
            out.extend_from_slice(b"OR ");
            search_key(out, a);
            out.push(b' ');
            search_key(out, b);
        }
        K::And(keys) => {
            out.push(b'(');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                search_key(out, k);
            }
            out.push(b')');
        }
        // Keys without arguments are written by `search_key`.
        _ => {}
    }
}
