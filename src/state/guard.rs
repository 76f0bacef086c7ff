//! The guard against inc's clobber race (mh-compat.md §4): `inc` picks
//! `hghmsg + 1` from a readdir and later opens it with `O_TRUNC`, without
//! `O_EXCL` and without a lock, so it can overwrite a message APPEND linked
//! to that number in between. After an APPEND the store keeps the data and
//! a descriptor of the new inode for a grace period; every sync looks at
//! the inode again. When its size or mtime changed, inc wrote over it: our
//! message is added again under a new number (keeping its UID), and the
//! content inc left there becomes a message of its own with a new UID.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::mh::{FolderName, Identity, MhError, MsgFile, MsgNum, Sequences, message, sequences};

use super::Store;
use super::fault::Res;
use super::flags::FlagIndex;
use super::folders;
use super::sync::insert_row;

/// How long an appended file is watched. inc writes its messages within
/// moments of its readdir on an idle machine; on a loaded one (the soak
/// test) seconds pass between the two.
pub(super) const GRACE: Duration = Duration::from_secs(10);

/// An appended message still watched for inc's overwrite.
pub(super) struct Guard {
    /// Its folder.
    pub folder: FolderName,
    /// The UID it was given.
    pub uid: u32,
    /// The new inode, kept open so that a rename (pack, sortm) or a
    /// removal does not lose track of it.
    pub file: File,
    /// Its identity as written (size and mtime of our bytes).
    pub written: Identity,
    /// The message, to add it again.
    pub bytes: Vec<u8>,
    /// Its flags, to give the new copy.
    pub flags: Vec<String>,
    /// Its INTERNALDATE.
    pub mtime: SystemTime,
    /// When it was linked.
    pub since: Instant,
}

/// What a look at a guarded inode found.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Unchanged: keep watching.
    Watch,
    /// Unchanged after the grace period, or removed: stop watching.
    Done,
    /// Overwritten: the content now there has this identity.
    Clobbered(Identity),
}

/// Judges a guarded inode from its current metadata.
pub(super) fn judge(written: &Identity, now: &Identity, nlink: u64, age: Duration) -> Verdict {
    if nlink == 0 {
        return Verdict::Done;
    }
    if now.size != written.size || now.mtime_ns != written.mtime_ns {
        return Verdict::Clobbered(*now);
    }
    if age >= GRACE {
        Verdict::Done
    } else {
        Verdict::Watch
    }
}

impl Guard {
    /// Looks at the inode again.
    fn verdict(&self) -> Verdict {
        match self.file.metadata() {
            Ok(meta) => {
                let now = Identity::from_metadata(&meta);
                judge(&self.written, &now, meta.nlink(), self.since.elapsed())
            }
            Err(e) => {
                log::warn!("appended message {}: {e}", self.uid);
                Verdict::Done
            }
        }
    }
}

impl Store {
    /// Starts watching an appended message (its file `added` in `dir`).
    pub(super) fn guard_append(&mut self, dir: &Path, added: &MsgFile, guard: GuardData<'_>) {
        let file = match message::open_checked(dir, added.number, &added.identity) {
            Ok(f) => f,
            // Gone already (expunged by another session): nothing to keep.
            Err(_) => return,
        };
        self.guards.push(Guard {
            folder: guard.folder.clone(),
            uid: guard.uid,
            file,
            written: added.identity,
            bytes: guard.bytes.to_vec(),
            flags: guard.flags.to_vec(),
            mtime: guard.mtime,
            since: Instant::now(),
        });
    }

    /// Looks at every watched message; repairs the overwritten ones. A
    /// repair that fails (say, nmh holds the lock) is tried again next
    /// time.
    pub(super) fn check_guards(&mut self) {
        let guards = std::mem::take(&mut self.guards);
        for g in guards {
            match g.verdict() {
                Verdict::Watch => self.guards.push(g),
                Verdict::Done => {}
                Verdict::Clobbered(now) => match self.repair(&g, &now) {
                    Ok((file, uid)) => self.watch_again(g, file, uid),
                    Err(e) => {
                        log::warn!("{}: re-adding overwritten message: {e:?}", g.folder);
                        self.guards.push(g);
                    }
                },
            }
        }
    }

    /// Watches the copy a repair made (a still running inc may overwrite
    /// that one too).
    fn watch_again(&mut self, g: Guard, file: MsgFile, uid: u32) {
        let dir = g.folder.path(&self.profile.path);
        if let Ok(fd) = message::open_checked(&dir, file.number, &file.identity) {
            self.guards.push(Guard {
                uid,
                file: fd,
                written: file.identity,
                since: Instant::now(),
                ..g
            });
        }
    }

    /// Adds `g`'s message again and gives the content found in its old
    /// inode a UID of its own, in one transaction under nmh's lock (so
    /// that no sync sees the new file before its row exists). Returns the
    /// new file and the UID it has.
    fn repair(&mut self, g: &Guard, clobbered: &Identity) -> Res<(MsgFile, u32)> {
        log::warn!(
            "{}: UID {} was overwritten by another program (inc?); adding it again",
            g.folder,
            g.uid
        );
        let dir = g.folder.path(&self.profile.path);
        let Store {
            profile,
            conn,
            lock_wait,
            ..
        } = self;
        let pending = message::Pending::write(&dir, profile, &g.bytes, g.mtime)?;
        mark_fresh(conn, pending.identity())?;
        // Linked under nmh's lock with its sequences; the rows are written
        // after it is released (a sync holds SQLite while locking).
        let link = |seqs: &mut Sequences| -> Result<_, MhError> {
            let file = pending.link(&dir)?;
            super::add::flag_new(seqs, profile, file.number, &g.flags);
            Ok((file, FlagIndex::new(profile, seqs)))
        };
        let (file, index) = sequences::update_folder(profile, &dir, *lock_wait, link)??;
        let uid = record_repair(conn, g, &file, clobbered, &index)?;
        Ok((file, uid))
    }
}

/// What [`Store::guard_append`] keeps besides the file.
pub(super) struct GuardData<'a> {
    /// The folder.
    pub folder: &'a FolderName,
    /// The UID the message got.
    pub uid: u32,
    /// The message.
    pub bytes: &'a [u8],
    /// Its flags.
    pub flags: &'a [String],
    /// Its INTERNALDATE.
    pub mtime: SystemTime,
}

/// The rows after a repair: the UID moves to the new file, and the
/// overwritten inode gets a new UID; when a sync already expunged the UID
/// or recorded the new content under it, the new file gets a new UID.
fn record_repair(
    conn: &mut Connection,
    g: &Guard,
    file: &MsgFile,
    clobbered: &Identity,
    index: &FlagIndex,
) -> Res<u32> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let folder = folders::find_or_insert(&tx, g.folder.as_str())?;
    let modseq = folder.highestmodseq + 1;
    let mut uidnext = folder.uidnext;
    if let Some(uid) = super::add::existing_uid(&tx, folder.id, file)? {
        // A sync saw the new file first and gave it a UID; the old one
        // goes with the next sync (its inode is just appended).
        return Ok(uid);
    }
    let ours = match number_of(&tx, folder.id, g.uid, &g.written)? {
        Some(old) => {
            move_uid(
                &tx,
                folder.id,
                g.uid,
                file,
                &index.text(file.number),
                modseq,
            )?;
            let left = MsgFile {
                number: old,
                identity: *clobbered,
            };
            insert_row(&tx, folder.id, uidnext, &left, &index.text(old), modseq)?;
            g.uid
        }
        None => {
            insert_row(
                &tx,
                folder.id,
                uidnext,
                file,
                &index.text(file.number),
                modseq,
            )?;
            uidnext
        }
    };
    uidnext = uidnext.saturating_add(1);
    tx.execute(
        "UPDATE folders SET uidnext = ?2, highestmodseq = ?3, generation = generation + 1
         WHERE id = ?1",
        params![folder.id, uidnext, modseq as i64],
    )?;
    folders::recount(&tx, folder.id)?;
    tx.commit()?;
    Ok(ours)
}

/// Notes in the state file that the file `id` was appended just now, so
/// that every session's sync takes a rewrite of it for inc's overwrite.
pub(super) fn mark_fresh(conn: &Connection, id: &Identity) -> Res<()> {
    let until = super::stamp::now_ns().saturating_add(2 * GRACE.as_nanos() as i64);
    let mut stmt = conn
        .prepare_cached("INSERT OR REPLACE INTO fresh (dev, ino, until_ns) VALUES (?1, ?2, ?3)")?;
    stmt.execute(params![id.dev as i64, id.ino as i64, until])?;
    Ok(())
}

/// The (dev, inode) pairs appended moments ago; forgets older ones.
pub(super) fn fresh_inodes(conn: &Connection, now_ns: i64) -> Res<Vec<(u64, u64)>> {
    let mut forget = conn.prepare_cached("DELETE FROM fresh WHERE until_ns < ?1")?;
    forget.execute([now_ns])?;
    let mut stmt = conn.prepare_cached("SELECT dev, ino FROM fresh")?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
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
        assert_eq!(judge(&w, &id(10, 5), 1, young), Verdict::Watch);
        assert_eq!(judge(&w, &id(10, 5), 1, GRACE), Verdict::Done);
        assert_eq!(judge(&w, &id(10, 5), 0, young), Verdict::Done);
        assert_eq!(
            judge(&w, &id(221, 9), 1, GRACE * 10),
            Verdict::Clobbered(id(221, 9))
        );
        assert_eq!(
            judge(&w, &id(10, 9), 1, young),
            Verdict::Clobbered(id(10, 9))
        );
    }
}
