//! SEARCH and UID SEARCH (RFC 3501 §6.4.4): the session's side, which loads
//! metadata in batches and message files one at a time, only for keys
//! that need them.

use std::collections::HashSet;

use chrono::{Local, NaiveDate, TimeZone};

use crate::mime::Meta;
use crate::proto::{CommandBody, SearchCharset, SearchKey, Tag};
use crate::search::{self, Bounds, Candidate};
use crate::session::cmd::meta;
use crate::session::reply::{CmdResult, Code, bad, no};
use crate::session::{ConnState, Session};
use crate::state::{MessageRow, Store};

/// Messages whose metadata is loaded at once.
const BATCH: usize = 1000;

/// SEARCH: answers `* SEARCH` with message numbers, or UIDs for UID
/// SEARCH.
pub fn search(s: &mut Session, _tag: &Tag, body: CommandBody) -> CmdResult {
    let CommandBody::Search { uid, charset, key } = body else {
        return Err(bad("expected SEARCH"));
    };
    if let SearchCharset::Other(name) = &charset {
        log::info!("search charset {name} refused");
        return Err(no(
            Some(Code::BadCharset),
            "Only UTF-8 and US-ASCII are supported",
        ));
    }
    let Session {
        store, state, out, ..
    } = s;
    let ConnState::Selected(sel) = state else {
        return Err(bad("no mailbox selected"));
    };
    // Search what is there now: EXISTS (and, for UID SEARCH, which may
    // carry them, EXPUNGE; RFC 3501 §7.4.1) go out before the results, so
    // UID SEARCH never lists a UID expunged elsewhere, and new messages
    // are searched too.
    sel.refresh(store, out, uid, &HashSet::new())?;
    let bounds = Bounds {
        largest_seq: sel.msgs.len() as u32,
        largest_uid: sel.largest_uid(),
    };
    let wants_meta = needs_meta(&key);

    let mut hits = Vec::new();
    for (c, chunk) in sel.msgs.chunks(BATCH).enumerate() {
        let rows: Vec<&MessageRow> = chunk.iter().collect();
        let mut metas = if wants_meta {
            meta::load(store, &sel.mailbox, &rows)?
        } else {
            Vec::new()
        };
        for (k, row) in chunk.iter().enumerate() {
            let seq = (c * BATCH + k + 1) as u32;
            let mut msg = Msg {
                seq,
                row,
                recent: sel.recent.contains(&row.uid),
                meta: metas.get_mut(k).and_then(Option::take),
                raw: None,
                store,
                mailbox: &sel.mailbox,
            };
            if search::matches(&key, &mut msg, bounds) {
                hits.push(if uid { row.uid } else { seq });
            }
        }
    }

    let mut line = String::from("SEARCH");
    for n in hits {
        line.push(' ');
        line.push_str(&n.to_string());
    }
    out.untagged(&line);
    Ok(format!(
        "{} completed",
        if uid { "UID SEARCH" } else { "SEARCH" }
    ))
}

/// True when a key looks at anything the metadata cache holds.
fn needs_meta(key: &SearchKey) -> bool {
    match key {
        SearchKey::And(keys) => keys.iter().any(needs_meta),
        SearchKey::Not(k) => needs_meta(k),
        SearchKey::Or(a, b) => needs_meta(a) || needs_meta(b),
        SearchKey::Bcc(_)
        | SearchKey::Cc(_)
        | SearchKey::From(_)
        | SearchKey::To(_)
        | SearchKey::Subject(_)
        | SearchKey::Larger(_)
        | SearchKey::Smaller(_)
        | SearchKey::SentBefore(_)
        | SearchKey::SentOn(_)
        | SearchKey::SentSince(_) => true,
        _ => false,
    }
}

/// One message under test.
struct Msg<'a> {
    seq: u32,
    row: &'a MessageRow,
    recent: bool,
    meta: Option<Meta>,
    raw: Option<Option<Vec<u8>>>,
    store: &'a mut Store,
    mailbox: &'a str,
}

impl Candidate for Msg<'_> {
    fn seq(&self) -> u32 {
        self.seq
    }

    fn uid(&self) -> u32 {
        self.row.uid
    }

    fn flags(&self) -> &[String] {
        &self.row.flags
    }

    fn recent(&self) -> bool {
        self.recent
    }

    fn internal_date(&self) -> NaiveDate {
        let t = Local
            .timestamp_opt(self.row.internaldate, 0)
            .single()
            .unwrap_or_default();
        t.date_naive()
    }

    fn meta(&mut self) -> &Meta {
        if self.meta.is_none() {
            let loaded = meta::load(self.store, self.mailbox, &[self.row]);
            self.meta = Some(
                loaded
                    .ok()
                    .and_then(|mut v| v.pop().flatten())
                    .unwrap_or_default(),
            );
        }
        self.meta.get_or_insert_with(Meta::default)
    }

    fn raw(&mut self) -> Option<&[u8]> {
        if self.raw.is_none() {
            self.raw = Some(meta::raw(self.store, self.mailbox, self.row).ok());
        }
        self.raw.as_ref().and_then(|r| r.as_deref())
    }
}
