//! Syncing a folder (DESIGN.md, "Syncing a folder"): two stats when nothing
//! changed; otherwise a snapshot of the directory and the sequences taken
//! under nmh's lock, then one IMMEDIATE transaction that diffs it against
//! the stored rows by message identity.
//!
//! Matching: a file keeps the UID of the row with the same number and the
//! same identity; the files left over take, in number order, the UID of a
//! left-over row with the same identity (a renumbering by `folder -pack`,
//! `sortm` or a refile within the folder). This way two numbers sharing one
//! inode (`refile -link` into the same folder) are two messages, and the
//! one that already had a UID keeps it.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior, params, params_from_iter};

use crate::mh::lock::LockMethod;
use crate::mh::sequences::FolderSeqs;
use crate::mh::{FolderName, Identity, MsgFile, MsgNum, Profile, message, sequences};

use super::fault::Res;
use super::flags::FlagIndex;
use super::folders::{self, FolderRow};
use super::guard::Fresh;
use super::stamp::{self, Print, SeqFiles, SeqStamp, Stamp, StoredSeq};
use super::{FolderSummary, StateError, Store};

/// How long to wait for nmh's lock on the sequence file, by default: well
/// below nmh's own 60 s, so that a client hears `NO [INUSE]` first.
pub(super) const LOCK_WAIT: Duration = Duration::from_secs(10);

/// Snapshots taken before giving up on a quiet moment and applying anyway.
const ATTEMPTS: usize = 4;

/// How old a temporary file of a dead writer must be before a full scan
/// removes it (by default): a writer on another host sharing the folder
/// over NFS is not in our `/proc`, and a large APPEND there may take a
/// while.
pub(super) const TEMP_MIN_AGE: Duration = Duration::from_secs(120);

/// A message row as the diff needs it.
#[derive(Debug, Clone)]
pub(super) struct Stored {
    /// UID
    pub uid: u32,
    /// Its number at the last sync.
    pub number: MsgNum,
    /// Its identity at the last sync.
    pub identity: Identity,
    /// Its flags as stored (space-separated, sorted).
    pub flags: String,
}

/// What a folder looked like under the lock.
struct Snapshot {
    /// The message files, or `None` when the directory did not change.
    files: Option<Vec<MsgFile>>,
    /// The sequences, with the print of the private ones.
    seqs: FolderSeqs,
}

/// The stamps taken before a snapshot.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Stamps {
    dir: Option<Stamp>,
    seq: SeqStamp,
}

/// How stored rows and files pair up.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Plan {
    /// (stored index, file index) of the same message.
    pub matched: Vec<(usize, usize)>,
    /// File indexes of new messages, by number.
    pub added: Vec<usize>,
    /// Stored indexes of vanished messages.
    pub gone: Vec<usize>,
}

impl Store {
    /// [`Store::sync`] of an IMAP name.
    pub(super) fn sync_mailbox(&mut self, mailbox: &str) -> Res<FolderSummary> {
        let name = self.selectable_folder(mailbox)?;
        self.sync_folder(&name)
    }

    /// Brings the rows of folder `name` in step with the directory.
    ///
    /// The snapshot is taken outside any SQLite transaction and applied
    /// only if no other connection changed the folder's rows meanwhile
    /// (its generation); after [`ATTEMPTS`] - 1 such races the snapshot
    /// is taken inside the write transaction, which no commit can pass.
    pub(super) fn sync_folder(&mut self, name: &FolderName) -> Res<FolderSummary> {
        let dir = name.path(&self.profile.path);
        let seq_path = SeqFiles::of(&self.profile, &dir);
        for _ in 1..ATTEMPTS {
            let row = self.folder_row(name)?;
            let stamps = Stamps::of(&dir, &seq_path)?;
            let Some(full) = needs_reading(&row, &stamps) else {
                return Ok(folders::summary(&row));
            };
            if !full && self.context_change_elsewhere(&row, &stamps, &dir)? {
                return Ok(folders::summary(&row));
            }
            let optimistic = self.profile.locking == LockMethod::Dot;
            let snap = match optimistic {
                true => snapshot_unlocked(&self.profile, &dir, full)?,
                false => snapshot(&self.profile, self.lock_wait, &dir, full)?,
            };
            self.scans += u64::from(full);
            self.sequence_reads += 1;
            self.clean_temps(&dir, full);
            if optimistic && Stamps::of(&dir, &seq_path)? != stamps {
                continue;
            }
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some(now) = folders::find(&tx, name.as_str())? else {
                continue;
            };
            if now.generation != row.generation {
                continue;
            }
            let summary = apply(&tx, &self.profile, &now, snap, stamps)?;
            tx.commit()?;
            return Ok(summary);
        }
        self.sync_serialised(name, &dir, &seq_path)
    }

    /// A sync whose snapshot is taken inside the write transaction.
    fn sync_serialised(
        &mut self,
        name: &FolderName,
        dir: &Path,
        seq_path: &SeqFiles,
    ) -> Res<FolderSummary> {
        let before = self.folder_row(name)?;
        let full = needs_reading(&before, &Stamps::of(dir, seq_path)?);
        self.clean_temps(dir, full == Some(true));
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row = folders::find_or_insert(&tx, name.as_str())?;
        let stamps = Stamps::of(dir, seq_path)?;
        let Some(full) = needs_reading(&row, &stamps) else {
            return Ok(folders::summary(&row));
        };
        let snap = snapshot(&self.profile, self.lock_wait, dir, full)?;
        self.scans += u64::from(full);
        self.sequence_reads += 1;
        let summary = apply(&tx, &self.profile, &row, snap, stamps)?;
        tx.commit()?;
        Ok(summary)
    }
}

impl Store {
    /// True when only the context changed, and not in this folder's private
    /// sequences (its print is as stored): the new stamps are recorded
    /// and nothing else needs reading, under no folder lock.
    fn context_change_elsewhere(
        &mut self,
        row: &FolderRow,
        stamps: &Stamps,
        dir: &Path,
    ) -> Res<bool> {
        let Some(stored_text) = row.seq_stamp.as_deref() else {
            return Ok(false);
        };
        let stored = StoredSeq::parse(stored_text);
        let now = stamp::now_ns();
        // A writer changed rows since the print was taken: read.
        let Some(print) = stored.print.filter(|p| p.generation == row.generation) else {
            return Ok(false);
        };
        if !stamps.seq.only_context_changed(&stored, now)
            || sequences::private_print(&self.profile, dir, self.lock_wait)? != print.value
        {
            return Ok(false);
        }
        let Some(text) = stamps.seq.for_store(print, now) else {
            return Ok(false);
        };
        // Only over the row as read: a sync that got in first wins.
        self.conn.execute(
            "UPDATE folders SET seq_stamp = ?2 WHERE id = ?1 AND seq_stamp = ?3",
            params![row.id, text, stored_text],
        )?;
        Ok(true)
    }

    /// After a full scan: removes temporary files that a crashed writer
    /// left (mh-compat.md §8.7 writes every new message through one).
    /// A failure is only logged: the temporaries are dot-files, which no
    /// sync ever takes for messages.
    fn clean_temps(&self, dir: &Path, full: bool) {
        if !full {
            return;
        }
        match message::clean_temporaries(dir, self.temp_min_age.as_secs()) {
            Ok(0) => {}
            Ok(n) => log::info!("{}: removed {n} stale temporary files", dir.display()),
            Err(e) => log::warn!("{}: cleaning temporaries: {e}", dir.display()),
        }
    }
}

impl Stamps {
    /// Stats the folder directory and its sequence files.
    fn of(dir: &Path, seq_path: &SeqFiles) -> Res<Stamps> {
        let dir = Stamp::of(dir)?;
        if dir.is_none() {
            return Err(StateError::NoMailbox.into());
        }
        let seq = seq_path.stamp()?;
        Ok(Stamps { dir, seq })
    }
}

/// `None` when the stored stamps say nothing changed; else whether the
/// directory must be read (`true`) or only the sequences (`false`).
fn needs_reading(row: &FolderRow, stamps: &Stamps) -> Option<bool> {
    let dir_same = row.dir_stamp == Some(stamp::text(stamps.dir));
    let seq_same = row
        .seq_stamp
        .as_deref()
        .is_some_and(|stored| StoredSeq::parse(stored).stamps == stamps.seq.text());
    (!dir_same || !seq_same).then_some(!dir_same)
}

/// Reads the directory (when `full`) and the sequences under nmh's lock,
/// which is taken only when the sequence file exists.
fn snapshot(profile: &Profile, wait: Duration, dir: &Path, full: bool) -> Res<Snapshot> {
    let lock = sequences::FolderReadLock::acquire(profile, dir, wait)?;
    let files = match (full, lock.is_held()) {
        (false, _) => None,
        (true, true) => Some(message::scan(dir)?),
        // Without the lock nmh renames freely (sortm, folder -pack run
        // unlocked when there is no sequence file).
        (true, false) => Some(stable_scan(dir)?),
    };
    let seqs = lock.read(profile)?;
    Ok(Snapshot { files, seqs })
}

/// Reads a folder nobody locks against us until two reads in a row agree.
/// A directory read that runs while nmh renames (sortm, folder -pack) can
/// miss a message or see it twice, and the folder's mtime need not move
/// between renames in one clock tick; two equal reads are the evidence
/// that no rename was under way.
fn stable_scan(dir: &Path) -> Res<Vec<MsgFile>> {
    let mut last = message::scan(dir)?;
    for _ in 0..STABLE_SCANS {
        let again = message::scan(dir)?;
        if again == last {
            return Ok(again);
        }
        last = again;
    }
    log::warn!("{}: folder kept changing while being read", dir.display());
    Ok(last)
}

/// How many extra reads [`stable_scan`] tries before taking the last one.
const STABLE_SCANS: usize = 8;

/// The same without the lock, for dot locking: a dot lock is a file in the
/// folder, so taking it would change the very stamp the next sync compares
/// (pitfall 35). The caller re-stats afterwards and retries when anything
/// moved; the last attempt locks.
fn snapshot_unlocked(profile: &Profile, dir: &Path, full: bool) -> Res<Snapshot> {
    let files = if full { Some(stable_scan(dir)?) } else { None };
    let seqs = sequences::read_folder(profile, dir)?;
    Ok(Snapshot { files, seqs })
}

/// Applies a snapshot to the rows of `row`'s folder inside `tx`.
fn apply(
    tx: &Transaction<'_>,
    profile: &Profile,
    row: &FolderRow,
    snap: Snapshot,
    stamps: Stamps,
) -> Res<FolderSummary> {
    let stored = load_stored(tx, row.id)?;
    let files = snap.files.unwrap_or_else(|| stored_files(&stored));
    let index = FlagIndex::new(profile, &snap.seqs.effective);
    let mut plan = plan(&stored, &files);
    let now = stamp::now_ns();
    let fresh = super::guard::fresh_files(tx, now)?;
    let rewritten = split_overwritten(&mut plan, &stored, &files, &fresh);
    // The content inc wrote over a file of ours is inc's, and may be
    // unfinished like any file inc writes.
    let ours: Vec<Fresh> = fresh
        .iter()
        .filter(|f| !rewritten.contains(&(f.dev, f.ino)))
        .copied()
        .collect();
    let pending = hold_back_pending(&mut plan, &files, &ours, stamps.seq.written_ns(), now);
    let modseq = row.highestmodseq + 1;
    let diff = Diff {
        tx,
        row,
        stored: &stored,
        files: &files,
        modseq,
    };
    let uidnext = diff.write(&plan, &index)?;
    let changed = uidnext != row.uidnext || diff.changes(&plan, &index);
    let dir_text = if pending {
        None
    } else {
        stamp::to_store(stamps.dir, now)
    };
    let print = Print {
        value: snap.seqs.private_print,
        generation: row.generation + i64::from(changed),
    };
    let seq_text = stamps.seq.for_store(print, now);
    tx.execute(
        "UPDATE folders SET dir_stamp = ?2, seq_stamp = ?3, uidnext = ?4,
             highestmodseq = CASE WHEN ?5 THEN ?6 ELSE highestmodseq END,
             generation = generation + ?5
         WHERE id = ?1",
        params![row.id, dir_text, seq_text, uidnext, changed, modseq as i64],
    )?;
    folders::recount(tx, row.id)?;
    Ok(folders::summary(&folders::by_id(tx, row.id)?))
}

/// The stored rows of a folder by UID.
pub(super) fn load_stored(conn: &Connection, folder: i64) -> Res<Vec<Stored>> {
    let mut stmt = conn.prepare_cached(
        "SELECT uid, number, dev, ino, btime_ns, size, mtime_ns, flags
         FROM messages WHERE folder = ?1 ORDER BY uid",
    )?;
    let rows = stmt.query_map([folder], stored_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Maps `uid, number, dev, ino, btime_ns, size, mtime_ns, flags`.
fn stored_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
    Ok(Stored {
        uid: r.get(0)?,
        number: r.get(1)?,
        identity: identity_at(r, 2)?,
        flags: r.get(7)?,
    })
}

/// Maps the identity columns `dev, ino, btime_ns, size, mtime_ns`, the
/// first at index `at`.
pub(super) fn identity_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Identity> {
    Ok(Identity {
        dev: r.get::<_, i64>(at)? as u64,
        ino: r.get::<_, i64>(at + 1)? as u64,
        btime_ns: r.get(at + 2)?,
        size: r.get::<_, i64>(at + 3)? as u64,
        mtime_ns: r.get(at + 4)?,
    })
}

/// UIDs per statement in batched lookups (well under SQLite's limit on
/// bound parameters).
pub(super) const BATCH: usize = 500;

/// The stored rows of `uids` that exist, by UID, one query per [`BATCH`].
pub(super) fn load_some(conn: &Connection, folder: i64, uids: &[u32]) -> Res<Vec<Stored>> {
    let mut wanted = uids.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let mut out = Vec::with_capacity(wanted.len());
    for chunk in wanted.chunks(BATCH) {
        let sql = format!(
            "SELECT uid, number, dev, ino, btime_ns, size, mtime_ns, flags
             FROM messages WHERE folder = ?1 AND uid IN ({}) ORDER BY uid",
            placeholders(chunk.len())
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let ids = std::iter::once(folder).chain(chunk.iter().map(|u| i64::from(*u)));
        for row in stmt.query_map(params_from_iter(ids), stored_row)? {
            out.push(row?);
        }
    }
    Ok(out)
}

/// `?2, ?3, ...` for `n` parameters after the folder id.
pub(super) fn placeholders(n: usize) -> String {
    (2..n + 2)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The files as the stored rows describe them (the directory is unchanged).
fn stored_files(stored: &[Stored]) -> Vec<MsgFile> {
    let mut files: Vec<MsgFile> = stored
        .iter()
        .map(|s| MsgFile {
            number: s.number,
            identity: s.identity,
        })
        .collect();
    files.sort_by_key(|f| f.number);
    files
}

/// Pairs stored rows with files (see the module comment).
pub(super) fn plan(stored: &[Stored], files: &[MsgFile]) -> Plan {
    let mut taken = vec![false; stored.len()];
    let mut owner: Vec<Option<usize>> = vec![None; files.len()];
    let by_number: HashMap<MsgNum, usize> = stored
        .iter()
        .enumerate()
        .map(|(i, s)| (s.number, i))
        .collect();
    for (fi, f) in files.iter().enumerate() {
        if let Some(&si) = by_number.get(&f.number)
            && !taken[si]
            && stored[si].identity.same_message(&f.identity)
        {
            taken[si] = true;
            owner[fi] = Some(si);
        }
    }
    let mut by_inode: HashMap<(u64, u64), Vec<usize>> = HashMap::new();
    for (si, s) in stored.iter().enumerate().filter(|(si, _)| !taken[*si]) {
        by_inode
            .entry((s.identity.dev, s.identity.ino))
            .or_default()
            .push(si);
    }
    for (fi, f) in files.iter().enumerate() {
        if owner[fi].is_some() {
            continue;
        }
        let Some(candidates) = by_inode.get(&(f.identity.dev, f.identity.ino)) else {
            continue;
        };
        let found = candidates
            .iter()
            .copied()
            .find(|&si| !taken[si] && stored[si].identity.same_message(&f.identity));
        if let Some(si) = found {
            taken[si] = true;
            owner[fi] = Some(si);
        }
    }
    let mut plan = Plan::default();
    for (fi, o) in owner.iter().enumerate() {
        match o {
            Some(si) => plan.matched.push((*si, fi)),
            None => plan.added.push(fi),
        }
    }
    plan.gone = (0..stored.len()).filter(|si| !taken[*si]).collect();
    plan
}

/// Turns a matched pair whose content changed into a vanished row and a
/// new file when the file was added moments ago (its inode is in
/// `fresh`): that is inc's overwrite (mh-compat.md §4), and a UID never
/// changes content. Other files rewritten in place keep their UID
/// (`anno`). Returns the inodes so split.
fn split_overwritten(
    plan: &mut Plan,
    stored: &[Stored],
    files: &[MsgFile],
    fresh: &[Fresh],
) -> Vec<(u64, u64)> {
    let mut rewritten = Vec::new();
    if fresh.is_empty() {
        return rewritten;
    }
    let young = |s: &Stored| fresh.iter().any(|f| f.is_inode_of(&s.identity));
    let mut kept = Vec::with_capacity(plan.matched.len());
    for &(si, fi) in &plan.matched {
        let (s, f) = (&stored[si], &files[fi]);
        if s.identity != f.identity && young(s) {
            plan.gone.push(si);
            plan.added.push(fi);
            rewritten.push((f.identity.dev, f.identity.ino));
        } else {
            kept.push((si, fi));
        }
    }
    plan.matched = kept;
    plan.added.sort_by_key(|&fi| files[fi].number);
    rewritten
}

/// How long a new file stays pending at most: `inc` writes a message
/// with a few `write()`s in a row, so a file untouched this long is whole.
const PENDING_NS: i64 = 2_000_000_000;

/// Leaves out new files that may still be being written (mh-compat.md §4:
/// `inc` opens the numbered file itself and fills it outside any lock).
/// A new file is taken when it has not been written to for
/// [`PENDING_NS`], or when it is not empty and the sequence file was
/// rewritten after its last write (`inc` rewrites the sequences, setting
/// `cur` and `unseen`, once all its messages are written; so does
/// `rcvstore`). Files that arrive by `link()` or rename (refile) keep
/// their old mtime, and those this store added (in `fresh`, still with
/// the size and mtime we wrote) were whole before they had a number. Returns true when a file was held back: the directory is read
/// again at the next sync, and IDLE's periodic rescan reaches it.
///
/// A program rewriting the sequences while inc is in the middle of a
/// message (a `mark` at that very moment) lets the part written so far
/// through; the file then keeps its UID and grows, as after `anno`.
fn hold_back_pending(
    plan: &mut Plan,
    files: &[MsgFile],
    fresh: &[Fresh],
    seq_mtime_ns: Option<i64>,
    now_ns: i64,
) -> bool {
    let before = plan.added.len();
    plan.added.retain(|&fi| {
        let id = &files[fi].identity;
        let quiet = now_ns - id.mtime_ns >= PENDING_NS;
        let ours = fresh.iter().any(|f| f.holds_ours(id));
        let sequenced = id.size > 0 && seq_mtime_ns.is_some_and(|s| written_after(s, id.mtime_ns));
        quiet || ours || sequenced
    });
    plan.added.len() != before
}

/// True when a file with mtime `later` was written after one with mtime
/// `earlier`. Two mtimes in the same clock tick are equal, so equality
/// counts as after, unless both are whole seconds (a coarse filesystem),
/// where a whole second may lie between the two writes.
fn written_after(later: i64, earlier: i64) -> bool {
    const SECOND: i64 = 1_000_000_000;
    let coarse = later % SECOND == 0 && earlier % SECOND == 0;
    later > earlier || (later == earlier && !coarse)
}

/// Writes a plan into one folder's rows.
struct Diff<'a> {
    tx: &'a Transaction<'a>,
    row: &'a FolderRow,
    stored: &'a [Stored],
    files: &'a [MsgFile],
    modseq: u64,
}

impl Diff<'_> {
    /// True when the plan changes anything (numbers, identities, flags,
    /// vanished rows); new rows show in UIDNEXT.
    fn changes(&self, plan: &Plan, index: &FlagIndex) -> bool {
        !plan.gone.is_empty()
            || plan.matched.iter().any(|&(si, fi)| {
                let (s, f) = (&self.stored[si], &self.files[fi]);
                s.number != f.number || s.identity != f.identity || s.flags != index.text(f.number)
            })
    }

    /// Applies the plan; returns the new UIDNEXT.
    fn write(&self, plan: &Plan, index: &FlagIndex) -> Res<u32> {
        for &(si, fi) in &plan.matched {
            self.update(&self.stored[si], &self.files[fi], index)?;
        }
        for &si in &plan.gone {
            self.expunge(self.stored[si].uid)?;
        }
        let mut uidnext = self.row.uidnext;
        for &fi in &plan.added {
            let f = &self.files[fi];
            insert_row(
                self.tx,
                self.row.id,
                uidnext,
                f,
                &index.text(f.number),
                self.modseq,
            )?;
            uidnext = uidnext.saturating_add(1);
        }
        Ok(uidnext)
    }

    /// Updates a matched row when its number, content or flags changed.
    fn update(&self, s: &Stored, f: &MsgFile, index: &FlagIndex) -> Res<()> {
        let flags = index.text(f.number);
        let rewritten = s.identity != f.identity;
        if s.number == f.number && !rewritten && s.flags == flags {
            return Ok(());
        }
        let bump = rewritten || s.flags != flags;
        let id = &f.identity;
        let mut stmt = self.tx.prepare_cached(
            "UPDATE messages SET number = ?3, size = ?4, mtime_ns = ?5, internaldate = ?6,
                 flags = ?7,
                 modseq = CASE WHEN ?8 THEN ?9 ELSE modseq END
             WHERE folder = ?1 AND uid = ?2",
        )?;
        stmt.execute(params![
            self.row.id,
            s.uid,
            f.number,
            id.size as i64,
            id.mtime_ns,
            internaldate(id),
            flags,
            bump,
            self.modseq as i64,
        ])?;
        if rewritten {
            let mut forget = self
                .tx
                .prepare_cached("DELETE FROM cache WHERE folder = ?1 AND uid = ?2")?;
            forget.execute(params![self.row.id, s.uid])?;
        }
        Ok(())
    }

    /// Deletes a row and remembers its UID as expunged.
    fn expunge(&self, uid: u32) -> Res<()> {
        expunge_row(self.tx, self.row.id, uid, self.modseq)
    }
}

/// Deletes a message row and records the UID as expunged at `modseq`.
pub(super) fn expunge_row(conn: &Connection, folder: i64, uid: u32, modseq: u64) -> Res<()> {
    let mut del = conn.prepare_cached("DELETE FROM messages WHERE folder = ?1 AND uid = ?2")?;
    del.execute(params![folder, uid])?;
    let mut ins = conn.prepare_cached(
        "INSERT OR REPLACE INTO expunged (folder, uid, modseq) VALUES (?1, ?2, ?3)",
    )?;
    ins.execute(params![folder, uid, modseq as i64])?;
    Ok(())
}

/// Inserts a new message row (not yet claimed as \Recent).
pub(super) fn insert_row(
    conn: &Connection,
    folder: i64,
    uid: u32,
    f: &MsgFile,
    flags: &str,
    modseq: u64,
) -> Res<()> {
    let id = &f.identity;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO messages (folder, uid, number, dev, ino, btime_ns, size, mtime_ns,
             flags, modseq, internaldate)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    stmt.execute(params![
        folder,
        uid,
        f.number,
        id.dev as i64,
        id.ino as i64,
        id.btime_ns,
        id.size as i64,
        id.mtime_ns,
        flags,
        modseq as i64,
        internaldate(id),
    ])?;
    Ok(())
}

/// INTERNALDATE: the file's mtime in whole seconds.
pub(super) fn internaldate(id: &Identity) -> i64 {
    id.mtime_ns.div_euclid(1_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ino: u64, btime: i64) -> Identity {
        Identity {
            dev: 1,
            ino,
            btime_ns: Some(btime),
            size: 10,
            mtime_ns: 5,
        }
    }

    fn row(uid: u32, number: MsgNum, identity: Identity) -> Stored {
        Stored {
            uid,
            number,
            identity,
            flags: String::new(),
        }
    }

    fn file(number: MsgNum, identity: Identity) -> MsgFile {
        MsgFile { number, identity }
    }

    #[test]
    fn renumbering_keeps_uids() {
        let stored = [
            row(1, 1, id(10, 1)),
            row(2, 3, id(11, 1)),
            row(3, 5, id(12, 1)),
        ];
        let files = [file(1, id(10, 1)), file(2, id(11, 1)), file(3, id(12, 1))];
        let p = plan(&stored, &files);
        assert_eq!(p.matched, vec![(0, 0), (1, 1), (2, 2)]);
        assert!(p.added.is_empty() && p.gone.is_empty());
    }

    #[test]
    fn reused_inode_with_new_birth_time_is_a_new_message() {
        let stored = [row(1, 3, id(10, 1))];
        let files = [file(3, id(10, 2))];
        let p = plan(&stored, &files);
        assert_eq!((p.added, p.gone), (vec![0], vec![0]));
    }

    #[test]
    fn linked_twice_in_one_folder_is_two_messages() {
        let stored = [row(7, 1, id(10, 1))];
        let files = [file(1, id(10, 1)), file(9, id(10, 1))];
        let p = plan(&stored, &files);
        assert_eq!((p.matched, p.added), (vec![(0, 0)], vec![1]));
        // Packed afterwards: 9 becomes 2; both keep their UIDs.
        let stored = [row(7, 1, id(10, 1)), row(8, 9, id(10, 1))];
        let files = [file(1, id(10, 1)), file(2, id(10, 1))];
        let p = plan(&stored, &files);
        assert_eq!(p.matched, vec![(0, 0), (1, 1)]);
    }

    #[test]
    fn swapped_numbers_follow_identity() {
        let stored = [row(1, 1, id(10, 1)), row(2, 2, id(11, 1))];
        let files = [file(1, id(11, 1)), file(2, id(10, 1))];
        let p = plan(&stored, &files);
        assert_eq!(p.matched, vec![(1, 0), (0, 1)]);
    }

    #[test]
    fn a_fresh_file_waits_for_the_sequences_or_the_settle_time() {
        let mut empty = id(10, 1);
        empty.size = 0;
        empty.mtime_ns = 100;
        let mut growing = id(11, 1);
        growing.mtime_ns = 150;
        let files = [file(1, empty), file(2, growing)];
        let held = |seq: Option<i64>, now: i64| {
            let mut p = plan(&[], &files);
            let any = hold_back_pending(&mut p, &files, &[], seq, now);
            assert_eq!(any, p.added.len() < 2);
            p.added
        };
        assert_eq!(held(None, 200), Vec::<usize>::new(), "no sequences yet");
        assert_eq!(held(Some(120), 200), Vec::<usize>::new(), "sequences older");
        assert_eq!(held(Some(150), 200), vec![1], "same tick counts as after");
        assert_eq!(held(Some(900), 1000), vec![1], "an empty file waits");
        assert_eq!(
            held(None, 100 + PENDING_NS),
            vec![0],
            "only the empty is quiet"
        );
        assert_eq!(held(None, 150 + PENDING_NS), vec![0, 1], "both quiet");
        let mut p = plan(&[], &files);
        let ours = |content| Fresh {
            dev: 1,
            ino: 11,
            content,
        };
        let written = Some((growing.size, growing.mtime_ns));
        assert!(hold_back_pending(
            &mut p,
            &files,
            &[ours(written)],
            None,
            200
        ));
        assert_eq!(p.added, vec![1], "a file this store added is whole");
        let mut p = plan(&[], &files);
        let before_inc = Some((growing.size + 7, 120));
        hold_back_pending(&mut p, &files, &[ours(before_inc)], None, 200);
        assert_eq!(p.added, Vec::<usize>::new(), "inc wrote over it since");
    }

    #[test]
    fn whole_second_mtimes_need_a_later_second() {
        let s = 1_000_000_000;
        assert!(written_after(5 * s + 1, 5 * s + 1));
        assert!(!written_after(5 * s, 5 * s));
        assert!(written_after(6 * s, 5 * s));
        assert!(!written_after(4 * s, 5 * s));
    }
}
