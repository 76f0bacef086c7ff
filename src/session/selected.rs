//! The selected mailbox as this session sees it: its own sequence-number
//! view, its \Recent set, and the diff against the store that turns other
//! sessions' and nmh's changes into untagged EXPUNGE, EXISTS and FETCH.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

use crate::proto::{SeqNum, SequenceSet};
use crate::session::output::Output;
use crate::session::reply::{CmdError, bad};
use crate::state::{FolderSummary, MessageRow, StateError, Store};

/// The system flags every mailbox offers.
pub const SYSTEM_FLAGS: &str = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

/// The selected mailbox.
pub struct Selected {
    /// Its IMAP name.
    pub mailbox: String,
    /// True after EXAMINE.
    pub read_only: bool,
    /// UIDVALIDITY at selection.
    pub uidvalidity: u32,
    /// Messages by sequence number (index + 1), ascending UID.
    pub msgs: Vec<MessageRow>,
    /// UIDs this session sees as \Recent.
    pub recent: HashSet<u32>,
    /// UIDs removed by others and not yet announced with EXPUNGE.
    pub gone: HashSet<u32>,
    /// Keywords announced in the last FLAGS response.
    pub keywords: BTreeSet<String>,
    /// FETCHes refused with EXPUNGEISSUED since the last EXPUNGE responses.
    pub expunge_strikes: u32,
    /// Set when the folder's UIDVALIDITY changed under this session (the
    /// mailbox was deleted and created again): the view is meaningless,
    /// `* BYE` went out, and the session must end after this command.
    pub invalidated: bool,
    summary: FolderSummary,
}

impl Selected {
    /// Opens `mailbox` for this session: syncs it, loads its messages and
    /// claims \Recent for those no session has seen.
    pub fn open(store: &mut Store, mailbox: &str, read_only: bool) -> Result<Selected, StateError> {
        let summary = store.sync(mailbox)?;
        let msgs = store.messages(mailbox)?;
        let uids: Vec<u32> = msgs.iter().map(|m| m.uid).collect();
        let recent = if read_only {
            HashSet::new()
        } else {
            store.claim_recent(mailbox, &uids)?.into_iter().collect()
        };
        let keywords = keywords_of(&msgs);
        Ok(Selected {
            mailbox: mailbox.to_string(),
            read_only,
            uidvalidity: summary.uidvalidity,
            msgs,
            recent,
            gone: HashSet::new(),
            keywords,
            expunge_strikes: 0,
            invalidated: false,
            summary,
        })
    }

    /// UIDNEXT as of the last sync.
    pub fn uidnext(&self) -> u32 {
        self.summary.uidnext
    }

    /// The `* FLAGS` and `* OK [PERMANENTFLAGS ...]` responses.
    pub fn flags_responses(&self, out: &mut Output) {
        let mut kw = String::new();
        for k in &self.keywords {
            kw.push(' ');
            kw.push_str(k);
        }
        out.untagged(&format!("FLAGS ({SYSTEM_FLAGS}{kw})"));
        let perm = if self.read_only {
            "()".to_string()
        } else {
            format!("({SYSTEM_FLAGS}{kw} \\*)")
        };
        out.untagged(&format!("OK [PERMANENTFLAGS {perm}] Flags permitted"));
    }

    /// The largest UID in the view (0 when empty).
    pub fn largest_uid(&self) -> u32 {
        self.msgs.last().map_or(0, |m| m.uid)
    }

    /// Resolves a sequence set to indices into `msgs`, ascending. For
    /// message numbers, a number beyond the mailbox is a `BAD` (RFC 9051
    /// §6.4.4 leaves UIDs free to name nothing), except that a range with
    /// `*` in an empty mailbox names nothing.
    pub fn resolve(&self, set: &SequenceSet, uid: bool) -> Result<Vec<usize>, CmdError> {
        let mut found = Vec::new();
        if uid {
            let largest = self.largest_uid();
            for &(a, b) in &set.0 {
                let (lo, hi) = ordered(a, b, largest);
                let start = self.msgs.partition_point(|m| m.uid < lo);
                let end = self.msgs.partition_point(|m| m.uid <= hi);
                found.extend(start..end);
            }
        } else {
            let count = self.msgs.len() as u32;
            for &(a, b) in &set.0 {
                if count == 0 && (a == SeqNum::Largest || b == SeqNum::Largest) {
                    // `1:*` in a mailbox another session just emptied names
                    // nothing; the client could not have known better.
                    continue;
                }
                let (lo, hi) = ordered(a, b, count);
                if lo == 0 || hi > count {
                    return Err(bad("invalid message sequence number"));
                }
                found.extend(lo as usize - 1..hi as usize);
            }
        }
        found.sort_unstable();
        found.dedup();
        Ok(found)
    }

    /// Appends the `FLAGS (...)` item for message `i`.
    pub fn write_flags(&self, i: usize, s: &mut String) {
        let m = &self.msgs[i];
        s.push_str("FLAGS (");
        let mut first = true;
        for f in &m.flags {
            if !first {
                s.push(' ');
            }
            s.push_str(f);
            first = false;
        }
        if self.recent.contains(&m.uid) {
            if !first {
                s.push(' ');
            }
            s.push_str("\\Recent");
        }
        s.push(')');
    }

    /// Sends `* n FETCH (UID u FLAGS (...))` for message `i`.
    pub fn send_flags(&self, i: usize, out: &mut Output) {
        let mut s = String::new();
        let _ = write!(s, "{} FETCH (UID {} ", i + 1, self.msgs[i].uid);
        self.write_flags(i, &mut s);
        s.push(')');
        out.untagged(&s);
    }

    /// Brings the view up to date and sends what changed, where the
    /// protocol allows: EXPUNGE only when `allow_expunge` (RFC 3501 §7.4.1),
    /// then EXISTS and RECENT, then FETCH FLAGS for flag changes except
    /// for the UIDs in `quiet`. Returns the indices whose flags changed.
    pub fn refresh(
        &mut self,
        store: &mut Store,
        out: &mut Output,
        allow_expunge: bool,
        quiet: &HashSet<u32>,
    ) -> Result<Vec<usize>, StateError> {
        if self.invalidated {
            return Ok(Vec::new());
        }
        let summary = match store.sync(&self.mailbox) {
            Err(StateError::NoMailbox) => {
                self.invalidate(out, "Mailbox was deleted or renamed");
                return Ok(Vec::new());
            }
            r => r?,
        };
        if summary.uidvalidity != self.uidvalidity {
            self.invalidate(out, "Mailbox was recreated (UIDVALIDITY changed)");
            return Ok(Vec::new());
        }
        let mut changed_uids = Vec::new();
        let mut added = Vec::new();
        let fresh = summary != self.summary;
        if fresh {
            let rows = store.messages(&self.mailbox)?;
            (changed_uids, added) = self.merge(rows);
            self.summary = summary;
        }
        let expunging = allow_expunge && !self.gone.is_empty();
        if allow_expunge {
            self.send_expunges(out);
        }
        self.add_new(store, out, added)?;
        // The keywords in use only change through a merge or an expunge:
        // skip the walk over every message when neither happened.
        if fresh || expunging {
            let keywords = keywords_of(&self.msgs);
            if keywords != self.keywords {
                self.keywords = keywords;
                self.flags_responses(out);
            }
        }
        let mut changed = Vec::new();
        for uid in changed_uids {
            if let Some(i) = self.index_of(uid) {
                if !quiet.contains(&uid) {
                    self.send_flags(i, out);
                }
                changed.push(i);
            }
        }
        Ok(changed)
    }

    /// The folder is gone, or its UIDVALIDITY changed so that new UIDs
    /// may repeat old ones: neither EXPUNGE nor EXISTS can tell the client
    /// the truth (its cache would pair old bodies with new UIDs). Ends the
    /// session with `* BYE` instead, and the client resynchronises from
    /// scratch (RFC 3501 §2.3.1.1).
    fn invalidate(&mut self, out: &mut Output, why: &str) {
        log::warn!("{}: {why}; ending the session", self.mailbox);
        out.untagged(&format!("BYE {why}; select it again"));
        self.invalidated = true;
    }

    /// Merges fresh rows into the view: marks vanished UIDs as gone,
    /// updates flags, and returns (UIDs whose flags changed, new rows).
    fn merge(&mut self, rows: Vec<MessageRow>) -> (Vec<u32>, Vec<MessageRow>) {
        let largest = self.largest_uid();
        let mut fresh: HashMap<u32, MessageRow> = HashMap::with_capacity(rows.len());
        let mut added = Vec::new();
        for row in rows {
            if row.uid > largest {
                added.push(row);
            } else {
                fresh.insert(row.uid, row);
            }
        }
        let mut changed = Vec::new();
        for m in &mut self.msgs {
            match fresh.remove(&m.uid) {
                None => {
                    self.gone.insert(m.uid);
                }
                Some(row) => {
                    if row.flags != m.flags {
                        changed.push(m.uid);
                    }
                    *m = row;
                }
            }
        }
        (changed, added)
    }

    /// Sends EXPUNGE for every gone message, highest number first so that
    /// each number is right when the client applies it.
    fn send_expunges(&mut self, out: &mut Output) {
        if self.gone.is_empty() {
            return;
        }
        for i in (0..self.msgs.len()).rev() {
            let uid = self.msgs[i].uid;
            if self.gone.contains(&uid) {
                out.untagged(&format!("{} EXPUNGE", i + 1));
                self.msgs.remove(i);
                self.recent.remove(&uid);
            }
        }
        self.gone.clear();
        self.expunge_strikes = 0;
    }

    /// Appends new messages and announces them with EXISTS and RECENT.
    fn add_new(
        &mut self,
        store: &mut Store,
        out: &mut Output,
        added: Vec<MessageRow>,
    ) -> Result<(), StateError> {
        if added.is_empty() {
            return Ok(());
        }
        let uids: Vec<u32> = added.iter().map(|m| m.uid).collect();
        if !self.read_only {
            self.recent
                .extend(store.claim_recent(&self.mailbox, &uids)?);
        }
        self.msgs.extend(added);
        out.untagged(&format!("{} EXISTS", self.msgs.len()));
        out.untagged(&format!("{} RECENT", self.recent.len()));
        Ok(())
    }

    /// The index of a UID in the view.
    pub fn index_of(&self, uid: u32) -> Option<usize> {
        self.msgs.binary_search_by_key(&uid, |m| m.uid).ok()
    }
}

/// A range's ends as (low, high), with `*` standing for `largest`.
fn ordered(a: SeqNum, b: SeqNum, largest: u32) -> (u32, u32) {
    let value = |s: SeqNum| match s {
        SeqNum::Value(v) => v,
        SeqNum::Largest => largest,
    };
    let (a, b) = (value(a), value(b));
    if a <= b { (a, b) } else { (b, a) }
}

/// The keywords (non-system flags) in use.
fn keywords_of(msgs: &[MessageRow]) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    for m in msgs {
        for f in &m.flags {
            if !f.starts_with('\\') && !set.contains(f) {
                set.insert(f.clone());
            }
        }
    }
    set
}
