//! Flags and MH sequences: computing a message's IMAP flags from the
//! sequences (public and private alike), and STORE, which edits them
//! under nmh's lock and then the rows.
//!
//! `\Seen` is "in none of the Unseen-Sequence names": adding it removes the
//! number from each of them, removing it adds the number to the first one.
//! Other flags are the sequences [`keyword`] maps them to; `cur`, the
//! unseen sequences and any sequence that is no flag are left alone, also
//! by a replacing STORE.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use rusqlite::{TransactionBehavior, params};

use crate::mh::{FolderName, MhError, MsgNum, Profile, Sequences, keyword, message, sequences};

use super::fault::{Fault, Res};
use super::folders::{self, FolderRow};
use super::sync::{Stored, load_some};
use super::{FlagOp, StateError, Store};

/// The wire form of the seen flag.
pub(super) const SEEN: &str = "\\Seen";

/// How often STORE resyncs when the folder changes under it.
const ATTEMPTS: usize = 3;

/// The flags of every message as the sequences say.
pub(super) struct FlagIndex {
    unseen: HashSet<MsgNum>,
    flags: HashMap<MsgNum, Vec<String>>,
}

impl FlagIndex {
    /// Indexes the sequences once (a flag lookup per sequence, not per
    /// member).
    pub(super) fn new(profile: &Profile, seqs: &Sequences) -> FlagIndex {
        let mut unseen = HashSet::new();
        let mut flags: HashMap<MsgNum, Vec<String>> = HashMap::new();
        for (name, members) in &seqs.entries {
            if profile.unseen.iter().any(|u| u == name) {
                unseen.extend(members.iter().copied());
            } else if let Some(flag) = keyword::flag_for_sequence(name, profile) {
                for n in members {
                    flags.entry(*n).or_default().push(flag.clone());
                }
            }
        }
        FlagIndex { unseen, flags }
    }

    /// The stored form of message `n`'s flags: sorted, space-separated.
    pub(super) fn text(&self, n: MsgNum) -> String {
        let mut set: BTreeSet<&str> = BTreeSet::new();
        if let Some(list) = self.flags.get(&n) {
            set.extend(list.iter().map(String::as_str));
        }
        if !self.unseen.contains(&n) {
            set.insert(SEEN);
        }
        set.into_iter().collect::<Vec<_>>().join(" ")
    }
}

/// The flags of a stored text.
pub(super) fn split(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

/// True when `flags` holds `\Seen` (flags are case-insensitive).
pub(super) fn has_seen(flags: &[String]) -> bool {
    flags.iter().any(|f| f.eq_ignore_ascii_case(SEEN))
}

/// Changes the sequences of message `n` as a STORE of `flags` with `op`.
pub(super) fn apply(
    seqs: &mut Sequences,
    profile: &Profile,
    n: MsgNum,
    op: FlagOp,
    flags: &[String],
) {
    let wanted: Vec<String> = flags
        .iter()
        .filter_map(|f| keyword::sequence_for_flag(f, profile))
        .collect();
    let seen = has_seen(flags);
    match op {
        FlagOp::Add => wanted.iter().for_each(|s| seqs.add(s, n)),
        FlagOp::Remove => wanted.iter().for_each(|s| seqs.remove(s, n)),
        FlagOp::Replace => {
            let drop: Vec<String> = seqs
                .entries
                .iter()
                .map(|(name, _)| name)
                .filter(|name| keyword::flag_for_sequence(name, profile).is_some())
                .filter(|name| !wanted.contains(name))
                .cloned()
                .collect();
            drop.iter().for_each(|s| seqs.remove(s, n));
            wanted.iter().for_each(|s| seqs.add(s, n));
        }
    }
    match (op, seen) {
        (FlagOp::Add | FlagOp::Replace, true) => mark_seen(seqs, profile, n),
        (FlagOp::Remove, true) | (FlagOp::Replace, false) => mark_unseen(seqs, profile, n),
        (FlagOp::Add | FlagOp::Remove, false) => {}
    }
}

/// Removes `n` from every unseen sequence.
pub(super) fn mark_seen(seqs: &mut Sequences, profile: &Profile, n: MsgNum) {
    for u in &profile.unseen {
        seqs.remove(u, n);
    }
}

/// Puts `n` into the first unseen sequence unless one holds it already.
/// Without an Unseen-Sequence every message is `\Seen`.
pub(super) fn mark_unseen(seqs: &mut Sequences, profile: &Profile, n: MsgNum) {
    let held = profile
        .unseen
        .iter()
        .any(|u| seqs.get(u).is_some_and(|m| m.contains(&n)));
    if let (false, Some(first)) = (held, profile.unseen.first()) {
        seqs.add(first, n);
    }
}

/// Checks under the lock that every row still names its file; `false`
/// when the folder changed since the sync (pack, rmm, inc).
pub(super) fn still_there(dir: &Path, rows: &[Stored]) -> Result<bool, MhError> {
    for s in rows {
        match message::open_checked(dir, s.number, &s.identity) {
            Ok(_) => {}
            Err(MhError::MessageGone(_)) => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

impl Store {
    /// [`Store::store_flags`]. The numbers are checked against the rows'
    /// identities under the lock; when the folder changed since the sync
    /// (a pack), it syncs again and retries.
    ///
    /// The new stamp of the sequence file is not recorded: it would be a
    /// stamp of this very moment, which a sync never trusts (see
    /// `stamp`), and taking it after the lock is released could
    /// hide an nmh change made in between. The next sync re-reads only the
    /// sequence file (the directory is unchanged) and finds nothing to do.
    pub(super) fn change_flags(
        &mut self,
        mailbox: &str,
        uids: &[u32],
        op: FlagOp,
        flags: &[String],
    ) -> Res<()> {
        let name = self.selectable_folder(mailbox)?;
        let dir = name.path(&self.profile.path);
        for _ in 0..ATTEMPTS {
            self.sync_folder(&name)?;
            let row = self.folder_row(&name)?;
            let rows = load_some(&self.conn, row.id, uids)?;
            if rows.is_empty() {
                return Ok(());
            }
            let profile = &self.profile;
            let outcome = sequences::update_folder(profile, &dir, self.lock_wait, |seqs| {
                if !still_there(&dir, &rows)? {
                    return Ok(None);
                }
                for s in &rows {
                    apply(seqs, profile, s.number, op, flags);
                }
                Ok::<_, MhError>(Some(FlagIndex::new(profile, seqs)))
            })??;
            if let Some(index) = outcome {
                return self.record_flags(&name, &rows, &index);
            }
        }
        Err(StateError::InUse.into())
    }

    /// Writes the flags the sequences now give `rows`, with a new MODSEQ
    /// for each that changed.
    pub(super) fn record_flags(
        &mut self,
        name: &FolderName,
        rows: &[Stored],
        index: &FlagIndex,
    ) -> Res<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(folder) = folders::find(&tx, name.as_str())? else {
            return Ok(());
        };
        let modseq = folder.highestmodseq + 1;
        let mut changed = 0;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE messages SET flags = ?3, modseq = ?4
                 WHERE folder = ?1 AND uid = ?2 AND number = ?5 AND flags <> ?3",
            )?;
            for s in rows {
                let text = index.text(s.number);
                changed +=
                    stmt.execute(params![folder.id, s.uid, text, modseq as i64, s.number])?;
            }
        }
        if changed > 0 {
            bump(&tx, &folder, modseq)?;
            folders::recount(&tx, folder.id)?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// Raises HIGHESTMODSEQ to `modseq` and marks the rows as changed.
pub(super) fn bump(conn: &rusqlite::Connection, folder: &FolderRow, modseq: u64) -> Res<()> {
    conn.execute(
        "UPDATE folders SET highestmodseq = max(highestmodseq, ?2),
             generation = generation + 1
         WHERE id = ?1",
        params![folder.id, modseq as i64],
    )
    .map_err(Fault::from)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn profile() -> Profile {
        Profile::defaults(PathBuf::from("/nonexistent"))
    }

    fn seqs(text: &str) -> Sequences {
        Sequences::parse(text.as_bytes()).0
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn index_maps_unseen_and_keywords() {
        let p = profile();
        let s = seqs("cur: 2\nunseen: 1 3\nflagged: 1-2\nreplied: 3\n");
        let i = FlagIndex::new(&p, &s);
        assert_eq!(i.text(1), "\\Flagged");
        assert_eq!(i.text(2), "\\Flagged \\Seen");
        assert_eq!(i.text(3), "\\Answered");
        assert_eq!(i.text(4), "\\Seen");
    }

    #[test]
    fn add_and_remove_seen() {
        let p = profile();
        let mut s = seqs("unseen: 1-3\n");
        apply(
            &mut s,
            &p,
            2,
            FlagOp::Add,
            &strings(&["\\seen", "\\Flagged"]),
        );
        assert_eq!(
            String::from_utf8(s.to_text()).unwrap(),
            "unseen: 1 3\nflagged: 2\n"
        );
        apply(
            &mut s,
            &p,
            2,
            FlagOp::Remove,
            &strings(&["\\Seen", "\\Flagged"]),
        );
        let text = String::from_utf8(s.to_text()).unwrap();
        assert!(text.starts_with("unseen: 1-3\n"), "{text}");
        assert!(!text.contains("flagged: 2"), "{text}");
    }

    #[test]
    fn replace_keeps_cur_unseen_and_non_flags() {
        let p = profile();
        let mut s = seqs("cur: 2\nunseen: 2\nflagged: 2\nreplied: 2\nmine-x: 2\n");
        apply(
            &mut s,
            &p,
            2,
            FlagOp::Replace,
            &strings(&["\\Answered", "$Junk"]),
        );
        let i = FlagIndex::new(&p, &s);
        assert_eq!(i.text(2), "$Junk \\Answered");
        assert!(s.get("cur").is_some_and(|m| m.contains(&2)));
        assert!(s.get("mine-x").is_some_and(|m| m.contains(&2)));
        assert!(!s.get("flagged").is_some_and(|m| m.contains(&2)));
        apply(&mut s, &p, 2, FlagOp::Replace, &strings(&["\\Seen"]));
        assert_eq!(FlagIndex::new(&p, &s).text(2), "\\Seen");
    }

    #[test]
    fn recent_is_ignored() {
        let p = profile();
        let mut s = seqs("unseen: 1\n");
        apply(&mut s, &p, 1, FlagOp::Add, &strings(&["\\Recent"]));
        assert_eq!(String::from_utf8(s.to_text()).unwrap(), "unseen: 1\n");
    }
}
