//! The guard against inc's clobber race (mh-compat.md §4): `inc` picks
//! `hghmsg + 1` from a readdir and later opens it with `O_TRUNC`, without
//! `O_EXCL` and without a lock, so it can overwrite a message that APPEND,
//! COPY or MOVE linked to that number in between.
//!
//! Every message added to a folder is therefore guarded for [`GRACE`]: a
//! copy of its bytes is kept (`keep`) and a row in the `guards` table
//! names its UID, its identity as written and the kept copy. Any session
//! looks at the guarded files now and then (and at opening and closing
//! the store); when one's size or mtime changed, inc wrote over it: the
//! message is added again from the kept copy under a new number (keeping
//! its UID where no client can have seen the other content under it), and
//! the content inc left there becomes a message of its own with a new
//! UID. Because the guards live in the state file, a session that ends
//! within the grace period leaves the watch to the next one.

use std::time::{Duration, Instant, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::mh::{FolderName, Identity, MhError, MsgFile, MsgNum, Sequences, message, sequences};

use super::Store;
use super::fault::Res;
use super::flags::{self, FlagIndex};
use super::folders;
use super::keep;
use super::sync::{identity_at, insert_row};

/// How long an added file is watched. inc writes its messages within
/// moments of its readdir on an idle machine; on a loaded one (the soak
/// test) seconds pass between the two.
pub(super) const GRACE: Duration = Duration::from_secs(10);

/// A guard whose file cannot be found (renumbered while no session ran,
/// say) is given up after this long.
const GIVE_UP: Duration = Duration::from_secs(24 * 3600);

/// The guards are looked at no more often than this, except when the
/// store opens and closes: a burst of APPENDs must not stat every
/// guarded file once per APPEND.
const CHECK_EVERY: Duration = Duration::from_millis(200);

/// A guarded message, as the `guards` table holds it.
#[derive(Debug, Clone)]
pub(super) struct Guard {
    /// Its row id.
    id: i64,
    /// Its folder (MH name).
    folder: String,
    /// The UID it was given.
    uid: u32,
    /// Its identity as written (size and mtime of our bytes).
    written: Identity,
    /// The kept copy's name in the keep directory.
    keep: String,
    /// Its flags (space-separated wire form), for a copy made again.
    flags: String,
    /// When the watch started (ns since the epoch).
    since_ns: i64,
}

/// What a look at a guarded message found.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Unchanged: keep watching.
    Watch,
    /// Unchanged after the grace period, or removed: stop watching.
    Done,
    /// Overwritten: the content now there has this identity.
    Clobbered(Identity),
}

/// Where a guarded message stands.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Found {
    /// Its inode is there, now with this identity.
    Inode(Identity),
    /// Its inode is not at the number the rows give (renumbered since the
    /// last sync).
    Elsewhere,
    /// Removed, or its UID names another file now.
    Gone,
}

/// Judges a guarded message `age` after it was added.
pub(super) fn judge(written: &Identity, found: Found, age: Duration) -> Verdict {
    match found {
        Found::Gone => Verdict::Done,
        Found::Inode(now) if rewritten(&now, written) => Verdict::Clobbered(now),
        Found::Inode(_) if age >= GRACE => Verdict::Done,
        _ if age >= GIVE_UP => Verdict::Done,
        _ => Verdict::Watch,
    }
}

/// True when the inode now holds other content than we `written` there.
fn rewritten(now: &Identity, written: &Identity) -> bool {
    now.size != written.size || now.mtime_ns != written.mtime_ns
}

/// True when `a` and `b` are the same inode (whatever its content).
fn same_inode(a: &Identity, b: &Identity) -> bool {
    a.dev == b.dev && a.ino == b.ino && a.btime_ns == b.btime_ns
}

impl Store {
    /// Looks at every guarded message (at most every [`CHECK_EVERY`]
    /// unless `force`); repairs the overwritten ones and ends the watch of
    /// the others once it has run its time. A repair that fails (say, nmh
    /// holds the lock) is tried again next time.
    pub(super) fn check_guards(&mut self, force: bool) {
        if !force
            && self
                .guards_checked
                .is_some_and(|t| t.elapsed() < CHECK_EVERY)
        {
            return;
        }
        self.guards_checked = Some(Instant::now());
        let guards = match load_guards(&self.conn) {
            Ok(g) => g,
            Err(e) => return log::warn!("reading guarded messages: {e:?}"),
        };
        let now = super::stamp::now_ns();
        for g in guards {
            let age = Duration::from_nanos(u64::try_from(now - g.since_ns).unwrap_or(0));
            let verdict = match self.find_guarded(&g) {
                Ok(Found::Gone) if age < GIVE_UP => self.judge_gone(&g),
                Ok(found) => judge(&g.written, found, age),
                Err(e) => {
                    log::warn!("{}: looking at UID {}: {e:?}", g.folder, g.uid);
                    continue;
                }
            };
            match verdict {
                Verdict::Watch => {}
                Verdict::Done => self.release(&g),
                Verdict::Clobbered(_) => self.repair_guarded(g),
            }
        }
    }

    /// Removes orphaned kept copies (a session died before recording
    /// their guards).
    pub(super) fn clean_kept(&mut self) {
        let names = match kept_names(&self.conn) {
            Ok(n) => n,
            Err(e) => return log::warn!("reading guarded messages: {e:?}"),
        };
        let removed = keep::remove_orphans(&keep::dir_of(&self.path), &names);
        if removed > 0 {
            log::info!("removed {removed} orphaned kept messages");
        }
    }

    /// Where guarded message `g` stands: the rows tell its number (and a
    /// rewrite a sync already recorded), a stat tells its size and mtime.
    fn find_guarded(&self, g: &Guard) -> Res<Found> {
        let Some(folder) = folders::find(&self.conn, &g.folder)? else {
            return Ok(Found::Gone);
        };
        let Ok(name) = FolderName::new(&g.folder) else {
            return Ok(Found::Gone);
        };
        let dir = name.path(&self.profile.path);
        match uid_row(&self.conn, folder.id, g.uid)? {
            Some((number, id)) if same_inode(&id, &g.written) => {
                if rewritten(&id, &g.written) {
                    return Ok(Found::Inode(id));
                }
                Ok(match message::stat_message(&dir, number)? {
                    Some(f) if same_inode(&f.identity, &g.written) => Found::Inode(f.identity),
                    _ => Found::Elsewhere,
                })
            }
            Some(_) => Ok(Found::Gone),
            // A sync that saw the rewrite gave the new content a UID of
            // its own and let ours go; or holds it back while inc is still
            // writing it, so look in the directory too.
            None => match inode_row(&self.conn, folder.id, &g.written)? {
                Some(id) => Ok(Found::Inode(id)),
                None => on_disk(&dir, &g.written),
            },
        }
    }

    /// A guarded message gone from its folder: removed as it was, or
    /// first written over by inc (then the content found by whoever
    /// removed it was inc's, and ours must come back). The witness, a
    /// hard link to the inode, tells which; without one the message is
    /// taken as removed.
    fn judge_gone(&self, g: &Guard) -> Verdict {
        let folder_there =
            FolderName::new(&g.folder).is_ok_and(|name| name.path(&self.profile.path).is_dir());
        if !folder_there {
            return Verdict::Done;
        }
        let witness = keep::witness(&keep::dir_of(&self.path), &g.keep);
        match witness {
            Some(w) if same_inode(&w, &g.written) && rewritten(&w, &g.written) => {
                Verdict::Clobbered(w)
            }
            _ => Verdict::Done,
        }
    }

    /// Ends the watch of `g`, unless another session took it meanwhile.
    fn release(&mut self, g: &Guard) {
        match claim(&self.conn, g) {
            Ok(true) => keep::remove(&keep::dir_of(&self.path), &g.keep),
            Ok(false) => {}
            Err(e) => log::warn!("{}: ending the watch of UID {}: {e:?}", g.folder, g.uid),
        }
    }

    /// Repairs overwritten message `g` unless another session is at it,
    /// and watches the copy it makes (a still running inc may overwrite
    /// that one too).
    fn repair_guarded(&mut self, g: Guard) {
        match claim(&self.conn, &g) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => return log::warn!("{}: claiming UID {}: {e:?}", g.folder, g.uid),
        }
        match self.repair(&g) {
            Ok((file, uid)) => {
                let again = Guard {
                    uid,
                    written: file.identity,
                    since_ns: super::stamp::now_ns(),
                    ..g
                };
                if let Err(e) = put_guard(&self.conn, &again) {
                    log::warn!("{}: watching UID {uid} again: {e:?}", again.folder);
                }
            }
            Err(e) => {
                log::warn!("{}: re-adding overwritten message: {e:?}", g.folder);
                if let Err(e) = put_guard(&self.conn, &g) {
                    log::warn!("{}: UID {} left unwatched: {e:?}", g.folder, g.uid);
                }
            }
        }
    }

    /// Adds `g`'s message again from its kept copy and gives the content
    /// found in its old inode a UID of its own, in one transaction under
    /// nmh's lock (so that no sync sees the new file before its row
    /// exists). Returns the new file and the UID it has.
    fn repair(&mut self, g: &Guard) -> Res<(MsgFile, u32)> {
        log::warn!(
            "{}: UID {} was overwritten by another program (inc?); adding it again",
            g.folder,
            g.uid
        );
        let name = FolderName::new(&g.folder)?;
        let dir = name.path(&self.profile.path);
        let bytes = keep::read(&keep::dir_of(&self.path), &g.keep)?;
        let mtime =
            UNIX_EPOCH + Duration::from_nanos(u64::try_from(g.written.mtime_ns).unwrap_or(0));
        let flag_list = flags::split(&g.flags);
        let Store {
            profile,
            conn,
            lock_wait,
            path,
            ..
        } = self;
        let pending = message::Pending::write(&dir, profile, &bytes, mtime)?;
        mark_fresh(conn, [pending.identity()])?;
        // Linked under nmh's lock with its sequences; the rows are written
        // after it is released (a sync holds SQLite while locking).
        let link = |seqs: &mut Sequences| -> Result<_, MhError> {
            // inc's message has the number, and with it our flags.
            if let Some(n) = number_on_disk(&dir, &g.written)? {
                unflag(seqs, profile, n, &flag_list);
            }
            let file = pending.link(&dir)?;
            super::add::flag_new(seqs, profile, file.number, &flag_list);
            Ok((file, FlagIndex::new(profile, seqs)))
        };
        let (file, index) = sequences::update_folder(profile, &dir, *lock_wait, link)??;
        let keep_dir = keep::dir_of(path);
        keep::remove_witness(&keep_dir, &g.keep);
        let new_path = dir.join(file.number.to_string());
        keep::add_witness(&keep_dir, &g.keep, &new_path, &file.identity);
        let uid = record_repair(conn, g, &file, &index)?;
        Ok((file, uid))
    }
}

/// The guarded messages.
fn load_guards(conn: &Connection) -> Res<Vec<Guard>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, folder, uid, dev, ino, btime_ns, size, mtime_ns, keep, flags, since_ns
         FROM guards ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Guard {
            id: r.get(0)?,
            folder: r.get(1)?,
            uid: r.get(2)?,
            written: identity_at(r, 3)?,
            keep: r.get(8)?,
            flags: r.get(9)?,
            since_ns: r.get(10)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The names of the kept copies guards refer to.
fn kept_names(conn: &Connection) -> Res<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT keep FROM guards")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Starts watching message `uid` of `folder`, just added as `file` with
/// kept copy `keep` (inside the transaction that gives it its UID).
pub(super) fn record(
    conn: &Connection,
    folder: &FolderName,
    uid: u32,
    file: &MsgFile,
    keep: &str,
    flags: &[String],
    since_ns: i64,
) -> Res<()> {
    let g = Guard {
        id: 0,
        folder: folder.as_str().to_string(),
        uid,
        written: file.identity,
        keep: keep.to_string(),
        flags: flags.join(" "),
        since_ns,
    };
    put_guard(conn, &g)
}

/// Looks for inode `written` among the messages of `dir`.
fn on_disk(dir: &std::path::Path, written: &Identity) -> Res<Found> {
    match find_on_disk(dir, written) {
        Ok(Some(f)) => Ok(Found::Inode(f.identity)),
        Ok(None) | Err(MhError::NoFolder(_)) => Ok(Found::Gone),
        Err(e) => Err(e.into()),
    }
}

/// The number of inode `written` in `dir`, if it is there.
fn number_on_disk(dir: &std::path::Path, written: &Identity) -> Result<Option<MsgNum>, MhError> {
    Ok(find_on_disk(dir, written)?.map(|f| f.number))
}

/// The message file of inode `written` in `dir`, with its identity from
/// the very stat that recognised the inode (a second stat could meet
/// another file, renamed there by `folder -pack` meanwhile). readdir tells
/// inode numbers without a stat.
fn find_on_disk(dir: &std::path::Path, written: &Identity) -> Result<Option<MsgFile>, MhError> {
    let numbers = message::list_numbers(dir)?;
    for (number, _) in numbers.iter().filter(|(_, ino)| *ino == written.ino) {
        if let Some(f) = message::stat_message(dir, *number)?
            && same_inode(&f.identity, written)
        {
            return Ok(Some(f));
        }
    }
    Ok(None)
}

/// Takes number `n` out of the sequences of `flags` (the reverse of
/// `flag_new`, but for the unseen sequences: inc puts its new message
/// there itself).
fn unflag(seqs: &mut Sequences, profile: &crate::mh::Profile, n: MsgNum, flags: &[String]) {
    for seq in flags
        .iter()
        .filter_map(|f| crate::mh::keyword::sequence_for_flag(f, profile))
    {
        seqs.remove(&seq, n);
    }
}

/// Records one guard (a new row id).
fn put_guard(conn: &Connection, g: &Guard) -> Res<()> {
    let id = &g.written;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO guards (folder, uid, dev, ino, btime_ns, size, mtime_ns, keep, flags,
                             since_ns)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    stmt.execute(params![
        g.folder,
        g.uid,
        id.dev as i64,
        id.ino as i64,
        id.btime_ns,
        id.size as i64,
        id.mtime_ns,
        g.keep,
        g.flags,
        g.since_ns,
    ])?;
    Ok(())
}

/// Takes guard `g` out of the table; false when another session did so
/// first (it then repairs or releases it). The row is named by what it
/// holds, not by its id alone: SQLite gives a new row the id of one just
/// deleted, so a session working from an older list would otherwise
/// claim a newer guard (another message's, or the copy a repair just
/// made) and lose its watch or repair a message twice.
fn claim(conn: &Connection, g: &Guard) -> Res<bool> {
    let mut stmt = conn.prepare_cached(
        "DELETE FROM guards WHERE id = ?1 AND uid = ?2 AND ino = ?3 AND since_ns = ?4
             AND keep = ?5",
    )?;
    let n = stmt.execute(params![
        g.id,
        g.uid,
        g.written.ino as i64,
        g.since_ns,
        g.keep
    ])?;
    Ok(n == 1)
}

/// The number and identity the rows give `uid`.
fn uid_row(conn: &Connection, folder: i64, uid: u32) -> Res<Option<(MsgNum, Identity)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT number, dev, ino, btime_ns, size, mtime_ns FROM messages
         WHERE folder = ?1 AND uid = ?2",
    )?;
    let row = stmt
        .query_row(params![folder, uid], |r| {
            Ok((r.get(0)?, identity_at(r, 1)?))
        })
        .optional()?;
    Ok(row)
}

/// The identity of a row of `folder` holding inode `id` (a rewrite of it
/// that a sync recorded under a new UID).
fn inode_row(conn: &Connection, folder: i64, id: &Identity) -> Res<Option<Identity>> {
    let mut stmt = conn.prepare_cached(
        "SELECT dev, ino, btime_ns, size, mtime_ns FROM messages
         WHERE folder = ?1 AND ino = ?2 AND dev = ?3",
    )?;
    let rows = stmt.query_map(params![folder, id.ino as i64, id.dev as i64], |r| {
        identity_at(r, 0)
    })?;
    for row in rows {
        let row = row?;
        if same_inode(&row, id) {
            return Ok(Some(row));
        }
    }
    Ok(None)
}

/// The rows after a repair: the UID moves to the new file; when a sync
/// already expunged the UID or recorded the new content under it, the new
/// file gets a new UID. The content inc left in the old inode gets no row
/// here: it may be unfinished, and the next sync takes it like any file
/// inc writes (its content is no longer what `fresh` recorded).
fn record_repair(conn: &mut Connection, g: &Guard, file: &MsgFile, index: &FlagIndex) -> Res<u32> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let folder = folders::find_or_insert(&tx, g.folder.as_str())?;
    let modseq = folder.highestmodseq + 1;
    let mut uidnext = folder.uidnext;
    if let Some(uid) = super::add::existing_uid(&tx, folder.id, file)? {
        // A sync saw the new file first and gave it a UID; the old one
        // goes with the next sync (its inode is just appended).
        return Ok(uid);
    }
    let flags = index.text(file.number);
    let ours = match number_of(&tx, folder.id, g.uid, &g.written)? {
        Some(_) => {
            move_uid(&tx, folder.id, g.uid, file, &flags, modseq)?;
            g.uid
        }
        None => {
            insert_row(&tx, folder.id, uidnext, file, &flags, modseq)?;
            uidnext = uidnext.saturating_add(1);
            uidnext - 1
        }
    };
    tx.execute(
        "UPDATE folders SET uidnext = ?2, highestmodseq = ?3, generation = generation + 1
         WHERE id = ?1",
        params![folder.id, uidnext, modseq as i64],
    )?;
    folders::recount(&tx, folder.id)?;
    tx.commit()?;
    Ok(ours)
}

/// Notes in the state file that the files `ids` were added just now
/// (with the content they have now), so that every session's sync takes a
/// rewrite of one for inc's overwrite. One transaction for all.
///
/// The note need not survive a crash (a file whose adding did not finish
/// has no row, and the next sync takes it as found), so in WAL mode it is
/// committed with `synchronous=NORMAL`: no flush of its own, still atomic
/// and visible to every session at once; the next FULL commit flushes it.
pub(super) fn mark_fresh<'a>(
    conn: &Connection,
    ids: impl IntoIterator<Item = &'a Identity>,
) -> Res<()> {
    let wal = conn
        .pragma_query_value(None, "journal_mode", |r| r.get::<_, String>(0))?
        .eq_ignore_ascii_case("wal");
    if wal {
        conn.pragma_update(None, "synchronous", "NORMAL")?;
    }
    let marked = insert_fresh(conn, ids);
    if wal {
        conn.pragma_update(None, "synchronous", "FULL")?;
    }
    marked
}

/// The inserts of [`mark_fresh`].
fn insert_fresh<'a>(conn: &Connection, ids: impl IntoIterator<Item = &'a Identity>) -> Res<()> {
    let until = super::stamp::now_ns().saturating_add(2 * GRACE.as_nanos() as i64);
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT OR REPLACE INTO fresh (dev, ino, until_ns, size, mtime_ns)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for id in ids {
            stmt.execute(params![
                id.dev as i64,
                id.ino as i64,
                until,
                id.size as i64,
                id.mtime_ns
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// A file this store added moments ago or still guards, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Fresh {
    /// Device of its inode.
    pub dev: u64,
    /// Its inode.
    pub ino: u64,
    /// Size and mtime as written; `None` in marks made before they were
    /// recorded.
    pub content: Option<(u64, i64)>,
}

impl Fresh {
    /// True when `id` is this inode, whatever its content now.
    pub(super) fn is_inode_of(&self, id: &Identity) -> bool {
        self.dev == id.dev && self.ino == id.ino
    }

    /// True when `id` is this inode still holding what we wrote.
    pub(super) fn holds_ours(&self, id: &Identity) -> bool {
        self.is_inode_of(id)
            && self
                .content
                .is_none_or(|(size, mtime)| size == id.size && mtime == id.mtime_ns)
    }
}

/// The files added moments ago or still guarded; forgets older ones.
pub(super) fn fresh_files(conn: &Connection, now_ns: i64) -> Res<Vec<Fresh>> {
    let mut forget = conn.prepare_cached("DELETE FROM fresh WHERE until_ns < ?1")?;
    forget.execute([now_ns])?;
    let mut stmt = conn.prepare_cached(
        "SELECT dev, ino, size, mtime_ns FROM fresh
         UNION SELECT dev, ino, size, mtime_ns FROM guards",
    )?;
    let rows = stmt.query_map([], |r| {
        let size: Option<i64> = r.get(2)?;
        let mtime: Option<i64> = r.get(3)?;
        Ok(Fresh {
            dev: r.get::<_, i64>(0)? as u64,
            ino: r.get::<_, i64>(1)? as u64,
            content: size.zip(mtime).map(|(s, m)| (s as u64, m)),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The MH number the rows give `uid` while the row still describes our
/// bytes (`written`); `None` when it is gone, or when a sync already
/// recorded the overwriting content under it, which then keeps the UID
/// (a UID never changes content once shown).
fn number_of(conn: &Connection, folder: i64, uid: u32, written: &Identity) -> Res<Option<MsgNum>> {
    let mut stmt = conn.prepare_cached(
        "SELECT number, size, mtime_ns FROM messages WHERE folder = ?1 AND uid = ?2",
    )?;
    let row = stmt
        .query_row(params![folder, uid], |r| {
            Ok((r.get(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        })
        .optional()?;
    let ours = |&(_, size, mtime): &(MsgNum, i64, i64)| {
        size as u64 == written.size && mtime == written.mtime_ns
    };
    Ok(row.filter(ours).map(|(n, _, _)| n))
}

/// Points `uid`'s row at `file`, forgetting its cached metadata.
fn move_uid(
    conn: &Connection,
    folder: i64,
    uid: u32,
    file: &MsgFile,
    flags: &str,
    modseq: u64,
) -> Res<()> {
    let id = &file.identity;
    conn.execute(
        "UPDATE messages SET number = ?3, dev = ?4, ino = ?5, btime_ns = ?6, size = ?7,
             mtime_ns = ?8, internaldate = ?9, flags = ?10, modseq = ?11
         WHERE folder = ?1 AND uid = ?2",
        params![
            folder,
            uid,
            file.number,
            id.dev as i64,
            id.ino as i64,
            id.btime_ns,
            id.size as i64,
            id.mtime_ns,
            super::sync::internaldate(id),
            flags,
            modseq as i64,
        ],
    )?;
    conn.execute(
        "DELETE FROM cache WHERE folder = ?1 AND uid = ?2",
        params![folder, uid],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(size: u64, mtime_ns: i64) -> Identity {
        Identity {
            dev: 1,
            ino: 2,
            btime_ns: Some(3),
            size,
            mtime_ns,
        }
    }

    #[test]
    fn judges_overwrite_removal_and_grace() {
        let w = id(10, 5);
        let young = Duration::from_millis(10);
        let at = |found, age| judge(&w, found, age);
        assert_eq!(at(Found::Inode(id(10, 5)), young), Verdict::Watch);
        assert_eq!(at(Found::Inode(id(10, 5)), GRACE), Verdict::Done);
        assert_eq!(at(Found::Gone, young), Verdict::Done);
        assert_eq!(
            at(Found::Inode(id(221, 9)), GRACE * 10),
            Verdict::Clobbered(id(221, 9)),
            "an overwrite found late is still repaired"
        );
        assert_eq!(
            at(Found::Inode(id(10, 9)), young),
            Verdict::Clobbered(id(10, 9))
        );
        assert_eq!(at(Found::Elsewhere, GRACE), Verdict::Watch, "renumbered");
        assert_eq!(at(Found::Elsewhere, GIVE_UP), Verdict::Done);
    }

    #[test]
    fn a_stale_guard_cannot_claim_the_row_that_took_its_id() {
        let dir = tempfile::tempdir().unwrap();
        let conn = super::super::schema::open(&dir.path().join("state")).unwrap();
        let guard = |uid: u32, keep: &str, since_ns: i64| Guard {
            id: 0,
            folder: "inbox".into(),
            uid,
            written: id(10, 5),
            keep: keep.into(),
            flags: String::new(),
            since_ns,
        };
        put_guard(&conn, &guard(7, "k1", 100)).unwrap();
        let first = load_guards(&conn).unwrap().remove(0);
        assert!(claim(&conn, &first).unwrap());
        // The next row takes the id just freed; the old list still names it.
        put_guard(&conn, &guard(8, "k2", 200)).unwrap();
        let second = load_guards(&conn).unwrap().remove(0);
        assert_eq!(second.id, first.id, "SQLite reused the id");
        assert!(!claim(&conn, &first).unwrap(), "claimed another guard");
        assert!(claim(&conn, &second).unwrap());
    }

    #[test]
    fn same_inode_ignores_content() {
        let mut other = id(99, 99);
        assert!(same_inode(&id(10, 5), &other));
        other.btime_ns = Some(4);
        assert!(!same_inode(&id(10, 5), &other), "inode reused");
    }
}
