//! Test harness shared by the end-to-end (`e2e_*`) and nmh interop
//! (`nmh_*`) tests: temporary MH trees, real nmh commands, and the real
//! asimap-stdio binary driven over pipes. No mocks.

#![allow(dead_code, unused_imports)]

pub mod client;
pub mod mh;
pub mod resp;

use std::collections::BTreeMap;

pub use client::{Client, ENGINE, Transcript, quote};
pub use mh::{MhTree, Sequences, mbox, parse_sequences, set, simple_message};
pub use resp::{Fetch, Reply, Resp, Value};

/// What a fresh session sees of one folder: UIDVALIDITY and, by
/// Message-ID, each message's sequence number, UID and flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The folder's UIDVALIDITY.
    pub uidvalidity: u64,
    /// Message-ID (without brackets) to its view.
    pub messages: BTreeMap<String, MsgView>,
}

/// One message as a session sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgView {
    /// Its sequence number in this session.
    pub seq: u32,
    /// Its UID.
    pub uid: u32,
    /// Its flags, sorted.
    pub flags: Vec<String>,
}

impl Snapshot {
    /// UIDs by Message-ID.
    pub fn uids(&self) -> BTreeMap<String, u32> {
        self.messages
            .iter()
            .map(|(k, v)| (k.clone(), v.uid))
            .collect()
    }

    /// The view of the message with Message-ID `id` (panics when absent).
    #[track_caller]
    pub fn msg(&self, id: &str) -> &MsgView {
        self.messages
            .get(id)
            .unwrap_or_else(|| panic!("no message {id} in {self:#?}"))
    }
}

/// Opens `folder` read-only (EXAMINE, so nothing changes) in a new
/// scripted session and records what it shows.
#[track_caller]
pub fn snapshot(tree: &MhTree, folder: &str) -> Snapshot {
    let script = format!(
        "s1 EXAMINE {}\r\n\
         s2 FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])\r\n\
         s3 LOGOUT\r\n",
        quote(folder)
    );
    let t = tree.run_script(script);
    let select = t.reply("s1");
    select.ok();
    let uidvalidity = select.ok_code_number("UIDVALIDITY");
    let fetch = t.reply("s2");
    let exists = select.numbered("EXISTS");
    if exists.last().copied().unwrap_or(0) > 0 {
        fetch.ok();
    }
    let mut messages = BTreeMap::new();
    for (seq, f) in fetch.fetches() {
        let header = f.get("BODY[HEADER.FIELDS (MESSAGE-ID)]").text();
        let id = message_id(&header);
        let view = MsgView {
            seq,
            uid: f.uid(),
            flags: f.flags(),
        };
        assert!(
            messages.insert(id.clone(), view).is_none(),
            "Message-ID {id} twice"
        );
    }
    Snapshot {
        uidvalidity,
        messages,
    }
}

/// The Message-ID in a header block, without angle brackets.
pub fn message_id(header: &str) -> String {
    let line = header
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
        .unwrap_or_else(|| panic!("no Message-ID in {header:?}"));
    let value = line.split_once(':').map(|(_, v)| v.trim()).unwrap_or("");
    value
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

/// Message-IDs `m1@test` .. `m{n}@test` as written by [`MhTree::fill`].
pub fn ids(range: std::ops::RangeInclusive<u32>) -> Vec<String> {
    range.map(|i| format!("m{i}@test")).collect()
}
