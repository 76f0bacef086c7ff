//! FETCH and UID FETCH (RFC 3501 §6.4.5, §6.4.8, §7.4.2).

use std::collections::HashSet;
use std::fmt::Write as _;

use chrono::{Local, TimeZone};

use crate::mime::{self, Meta};
use crate::proto::{CommandBody, FetchAttr, Section, SectionText, Tag, write};
use crate::session::cmd::meta;
use crate::session::reply::{CmdResult, Code, bad, no};
use crate::session::selected::Selected;
use crate::session::{ConnState, Session};
use crate::state::{FlagOp, StateError, Store};

/// Messages answered per batch of metadata loaded from the cache.
const BATCH: usize = 1000;

/// FETCH and UID FETCH. Non-PEEK body fetches set `\Seen` first, and the
/// new flags go out with the data.
pub fn fetch(s: &mut Session, _tag: &Tag, body: CommandBody) -> CmdResult {
    let CommandBody::Fetch { uid, set, attrs } = body else {
        return Err(bad("expected FETCH"));
    };
    let Session {
        store, state, out, ..
    } = s;
    let ConnState::Selected(sel) = state else {
        return Err(bad("no mailbox selected"));
    };
    let targets = sel.resolve(&set, uid)?;
    let plan = Plan::new(&attrs, uid, sel.read_only);

    let seen_now = mark_seen(store, sel, out, &targets, &plan)?;

    let mut held = Vec::new();
    let (mut ghosts, mut processed) = (0, 0);
    for chunk in targets.chunks(BATCH) {
        let rows: Vec<_> = chunk.iter().map(|&i| &sel.msgs[i]).collect();
        let metas = if plan.needs_meta {
            meta::load(store, &sel.mailbox, &rows)?
        } else {
            Vec::new()
        };
        for (k, &i) in chunk.iter().enumerate() {
            let meta = metas.get(k).and_then(Option::as_ref);
            let with_flags = seen_now.contains(&sel.msgs[i].uid);
            let raw = if plan.needs_raw {
                meta::raw_or_gone(store, &sel.mailbox, &sel.msgs[i])?
            } else {
                None
            };
            let ghost = (plan.needs_raw && raw.is_none()) || (plan.needs_meta && meta.is_none());
            ghosts += usize::from(ghost);
            let line = one(sel, i, meta, raw.as_deref(), &plan, with_flags);
            // Hold lines back only while every one so far is a ghost: if all
            // are, the answer is a plain NO.
            processed += 1;
            if ghosts == processed {
                held.push(line);
            } else {
                held.drain(..).for_each(|l| out.put(&l));
                out.put(&line);
            }
            out.maybe_flush()?;
        }
    }
    if ghosts > 0 && ghosts == targets.len() && sel.expunge_strikes == 0 {
        // RFC 2180 §4.1.3: all of them gone, a tagged NO; the client should
        // NOOP to learn of the expunges.
        sel.expunge_strikes += 1;
        return Err(no(
            Some(Code::ExpungeIssued),
            "The messages were expunged; NOOP tells more",
        ));
    }
    held.drain(..).for_each(|l| out.put(&l));
    if ghosts > 0 {
        // A client that retries instead of NOOP (Apple Mail) now gets empty
        // data and OK, which ends its loop (RFC 2180 §4.1.3).
        log::info!("fetch served {ghosts} expunged messages as empty data");
    }
    Ok(format!(
        "{} completed",
        if uid { "UID FETCH" } else { "FETCH" }
    ))
}

/// What a FETCH needs, worked out once.
struct Plan {
    attrs: Vec<FetchAttr>,
    uid: bool,
    needs_meta: bool,
    needs_raw: bool,
    sets_seen: bool,
}

impl Plan {
    fn new(attrs: &[FetchAttr], uid: bool, read_only: bool) -> Plan {
        let meta_attr = |a: &FetchAttr| {
            matches!(
                a,
                FetchAttr::Envelope
                    | FetchAttr::Body
                    | FetchAttr::BodyStructure
                    | FetchAttr::Rfc822Size
            )
        };
        let raw_attr = |a: &FetchAttr| {
            matches!(
                a,
                FetchAttr::Rfc822
                    | FetchAttr::Rfc822Header
                    | FetchAttr::Rfc822Text
                    | FetchAttr::BodySection { .. }
            )
        };
        let seen_attr = |a: &FetchAttr| {
            matches!(
                a,
                FetchAttr::Rfc822
                    | FetchAttr::Rfc822Text
                    | FetchAttr::BodySection { peek: false, .. }
            )
        };
        Plan {
            attrs: attrs.to_vec(),
            uid,
            needs_meta: attrs.iter().any(meta_attr),
            needs_raw: attrs.iter().any(raw_attr),
            sets_seen: !read_only && attrs.iter().any(seen_attr),
        }
    }
}

/// Sets `\Seen` on the targets that lack it when the FETCH implies it, and
/// returns their UIDs (their FETCH responses carry FLAGS).
fn mark_seen(
    store: &mut Store,
    sel: &mut Selected,
    out: &mut crate::session::output::Output,
    targets: &[usize],
    plan: &Plan,
) -> Result<HashSet<u32>, StateError> {
    if !plan.sets_seen {
        return Ok(HashSet::new());
    }
    let unseen: HashSet<u32> = targets
        .iter()
        .map(|&i| &sel.msgs[i])
        .filter(|m| !m.flags.iter().any(|f| f == "\\Seen"))
        .map(|m| m.uid)
        .collect();
    if unseen.is_empty() {
        return Ok(unseen);
    }
    let uids: Vec<u32> = unseen.iter().copied().collect();
    store.store_flags(&sel.mailbox, &uids, FlagOp::Add, &["\\Seen".to_string()])?;
    sel.refresh(store, out, false, &unseen)?;
    Ok(unseen)
}

/// The whole `* n FETCH (...)` response for message `i`. Data of an
/// expunged message is empty ("NIL FETCH responses", RFC 2180 §4.1.3).
fn one(
    sel: &Selected,
    i: usize,
    meta: Option<&Meta>,
    raw: Option<&[u8]>,
    plan: &Plan,
    with_flags: bool,
) -> Vec<u8> {
    let row = &sel.msgs[i];
    let mut items: Vec<Vec<u8>> = Vec::with_capacity(plan.attrs.len() + 2);
    if plan.uid {
        items.push(format!("UID {}", row.uid).into_bytes());
    }
    let mut flags_sent = false;
    for attr in &plan.attrs {
        let mut item = Vec::new();
        match attr {
            FetchAttr::Uid if plan.uid => continue,
            FetchAttr::Uid => item.extend_from_slice(format!("UID {}", row.uid).as_bytes()),
            FetchAttr::Flags => {
                flags_sent = true;
                item = flags_item(sel, i);
            }
            FetchAttr::InternalDate => {
                item.extend_from_slice(b"INTERNALDATE ");
                internal_date(&mut item, row.internaldate);
            }
            other => meta_or_body(&mut item, other, meta, raw),
        }
        items.push(item);
    }
    if with_flags && !flags_sent {
        items.push(flags_item(sel, i));
    }
    let mut line = format!("* {} FETCH (", i + 1).into_bytes();
    for (k, item) in items.iter().enumerate() {
        if k > 0 {
            line.push(b' ');
        }
        line.extend_from_slice(item);
    }
    line.extend_from_slice(b")\r\n");
    line
}

/// `FLAGS (...)` for message `i`.
fn flags_item(sel: &Selected, i: usize) -> Vec<u8> {
    let mut s = String::new();
    sel.write_flags(i, &mut s);
    s.into_bytes()
}

/// Appends a quoted INTERNALDATE in the server's time zone.
fn internal_date(out: &mut Vec<u8>, secs: i64) {
    let local = Local.timestamp_opt(secs, 0).single().unwrap_or_default();
    write::date_time(out, &local.fixed_offset());
}

/// The items served from the metadata cache or from the message bytes.
fn meta_or_body(item: &mut Vec<u8>, attr: &FetchAttr, meta: Option<&Meta>, raw: Option<&[u8]>) {
    let raw = raw.unwrap_or_default();
    match attr {
        FetchAttr::Envelope => {
            meta_item(item, "ENVELOPE ", meta.map(|m| &m.envelope), NIL_ENVELOPE)
        }
        FetchAttr::Body => meta_item(item, "BODY ", meta.map(|m| &m.body), NIL_BODY),
        FetchAttr::BodyStructure => meta_item(
            item,
            "BODYSTRUCTURE ",
            meta.map(|m| &m.bodystructure),
            NIL_BODY,
        ),
        FetchAttr::Rfc822Size => {
            let size = meta.map_or(0, |m| m.size);
            item.extend_from_slice(format!("RFC822.SIZE {size}").as_bytes());
        }
        FetchAttr::Rfc822 => {
            item.extend_from_slice(b"RFC822 ");
            whole(item, raw);
        }
        FetchAttr::Rfc822Header => {
            item.extend_from_slice(b"RFC822.HEADER ");
            let section = Section {
                part: vec![],
                text: Some(SectionText::Header),
            };
            literal(item, &mime::section(raw, &section).unwrap_or_default());
        }
        FetchAttr::Rfc822Text => {
            item.extend_from_slice(b"RFC822.TEXT ");
            let section = Section {
                part: vec![],
                text: Some(SectionText::Text),
            };
            literal(item, &mime::section(raw, &section).unwrap_or_default());
        }
        FetchAttr::BodySection {
            section, partial, ..
        } => {
            body_section(item, section, *partial, raw);
        }
        FetchAttr::Flags | FetchAttr::InternalDate | FetchAttr::Uid => {}
    }
}

/// The ENVELOPE of an expunged message (RFC 2180 §4.1.3).
const NIL_ENVELOPE: &[u8] = b"(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";

/// The BODY and BODYSTRUCTURE of an expunged message (RFC 2180 §4.1.3).
const NIL_BODY: &[u8] = b"(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 0 0)";

/// `NAME data` from the cache, or the empty stand-in.
fn meta_item(item: &mut Vec<u8>, name: &str, data: Option<&Vec<u8>>, empty: &[u8]) {
    item.extend_from_slice(name.as_bytes());
    item.extend_from_slice(data.map_or(empty, |d| &d[..]));
}

/// The whole message as a literal in wire form (LF turned into CRLF, NUL
/// into 0x80) on the way.
fn whole(item: &mut Vec<u8>, raw: &[u8]) {
    item.extend_from_slice(format!("{{{}}}\r\n", mime::wire_len(raw)).as_bytes());
    mime::to_wire(raw, item);
}

/// Appends bytes already in wire form as a literal.
fn literal(item: &mut Vec<u8>, data: &[u8]) {
    item.extend_from_slice(format!("{{{}}}\r\n", data.len()).as_bytes());
    item.extend_from_slice(data);
}

/// `BODY[section]<origin> data`; the reply names BODY even for BODY.PEEK.
fn body_section(item: &mut Vec<u8>, section: &Section, partial: Option<(u32, u32)>, raw: &[u8]) {
    item.extend_from_slice(b"BODY[");
    section_spec(item, section);
    item.push(b']');
    if let Some((origin, _)) = partial {
        item.extend_from_slice(format!("<{origin}>").as_bytes());
    }
    item.push(b' ');
    let whole_message = section.part.is_empty() && section.text.is_none();
    if whole_message && partial.is_none() {
        return whole(item, raw);
    }
    let data = if whole_message {
        let mut v = Vec::with_capacity(raw.len() + raw.len() / 32);
        mime::to_wire(raw, &mut v);
        v
    } else {
        mime::section(raw, section).unwrap_or_default()
    };
    let data = match partial {
        Some((origin, len)) => {
            let start = (origin as usize).min(data.len());
            let end = start.saturating_add(len as usize).min(data.len());
            &data[start..end]
        }
        None => &data[..],
    };
    literal(item, data);
}

/// The section specifier as the reply names it.
fn section_spec(item: &mut Vec<u8>, section: &Section) {
    let mut s = String::new();
    for (k, p) in section.part.iter().enumerate() {
        if k > 0 {
            s.push('.');
        }
        let _ = write!(s, "{p}");
    }
    let Some(text) = &section.text else {
        item.extend_from_slice(s.as_bytes());
        return;
    };
    if !s.is_empty() {
        s.push('.');
    }
    let (word, fields) = match text {
        SectionText::Header => ("HEADER", None),
        SectionText::HeaderFields(f) => ("HEADER.FIELDS", Some(f)),
        SectionText::HeaderFieldsNot(f) => ("HEADER.FIELDS.NOT", Some(f)),
        SectionText::Text => ("TEXT", None),
        SectionText::Mime => ("MIME", None),
    };
    s.push_str(word);
    item.extend_from_slice(s.as_bytes());
    if let Some(fields) = fields {
        item.extend_from_slice(b" (");
        for (k, f) in fields.iter().enumerate() {
            if k > 0 {
                item.push(b' ');
            }
            write::astring(item, f.as_bytes());
        }
        item.push(b')');
    }
}
