//! Message rows: listing, `\Recent` claims, the metadata cache, opening a
//! message file, and EXPUNGE.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params, params_from_iter};

use crate::mh::{FolderName, Identity, MhError, MsgNum, Sequences, message, sequences};

use super::fault::Res;
use super::flags::{split, still_there};
use super::folders::{self, FolderRow};
use super::sync::{BATCH, Stored, expunge_row, identity_at, load_some, placeholders};
use super::{MessageRow, StateError, Store};

/// Stores a blob for a message that still has a row.
const STORE_BLOB: &str = "INSERT OR REPLACE INTO cache (folder, uid, blob)
    SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM messages WHERE folder = ?1 AND uid = ?2)";

/// How often EXPUNGE resyncs when the folder changes under it.
const ATTEMPTS: usize = 3;

impl Store {
    /// The folder row of a mailbox, syncing first when it has none yet.
    fn known_folder(&mut self, mailbox: &str) -> Res<FolderRow> {
        let name = self.selectable_folder(mailbox)?;
        if let Some(row) = folders::find(&self.conn, name.as_str())? {
            return Ok(row);
        }
        self.sync_folder(&name)?;
        self.folder_row(&name)
    }

    /// [`Store::messages`]: one query.
    pub(super) fn message_rows(&mut self, mailbox: &str) -> Res<Vec<MessageRow>> {
        let folder = self.known_folder(mailbox)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT uid, number, dev, ino, btime_ns, size, mtime_ns, flags, modseq,
                    internaldate
             FROM messages WHERE folder = ?1 ORDER BY uid",
        )?;
        let rows = stmt.query_map([folder.id], |r| {
            Ok(MessageRow {
                uid: r.get(0)?,
                number: r.get(1)?,
                identity: identity_at(r, 2)?,
                flags: split(&r.get::<_, String>(7)?),
                modseq: r.get::<_, i64>(8)? as u64,
                internaldate: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// [`Store::claim_recent`]: one transaction.
    pub(super) fn claim(&mut self, mailbox: &str, uids: &[u32]) -> Res<Vec<u32>> {
        let folder = self.known_folder(mailbox)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut claimed = Vec::new();
        for chunk in uids.chunks(BATCH) {
            let sql = format!(
                "UPDATE messages SET recent_claimed = 1
                 WHERE folder = ?1 AND recent_claimed = 0 AND uid IN ({})
                 RETURNING uid",
                placeholders(chunk.len())
            );
            let mut stmt = tx.prepare_cached(&sql)?;
            let ids = std::iter::once(folder.id).chain(chunk.iter().map(|u| i64::from(*u)));
            let got = stmt.query_map(params_from_iter(ids), |r| r.get::<_, u32>(0))?;
            for uid in got {
                claimed.push(uid?);
            }
        }
        if !claimed.is_empty() {
            folders::recount(&tx, folder.id)?;
        }
        tx.commit()?;
        claimed.sort_unstable();
        Ok(claimed)
    }

    /// [`Store::cached`]: one query per [`BATCH`] UIDs.
    pub(super) fn cache_blobs(&mut self, mailbox: &str, uids: &[u32]) -> Res<Vec<Option<Vec<u8>>>> {
        let folder = self.known_folder(mailbox)?;
        let mut found: HashMap<u32, Vec<u8>> = HashMap::new();
        for chunk in uids.chunks(BATCH) {
            fetch_blobs(&self.conn, folder.id, chunk, &mut found)?;
        }
        Ok(uids.iter().map(|u| found.get(u).cloned()).collect())
    }

    /// [`Store::set_cached`]: one transaction.
    pub(super) fn store_blobs(&mut self, mailbox: &str, blobs: &[(u32, Vec<u8>)]) -> Res<()> {
        let folder = self.known_folder(mailbox)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare_cached(STORE_BLOB)?;
            for (uid, blob) in blobs {
                stmt.execute(params![folder.id, uid, blob])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// [`Store::open_message`]. When the number no longer names the
    /// message (renumbered by `folder -pack` or `sortm` since the caller
    /// read its rows), the UID is looked up again: in the rows as they are
    /// (another call may have synced already), else after one sync.
    pub(super) fn open_row(&mut self, mailbox: &str, row: &MessageRow) -> Res<File> {
        let name = self.folder_of(mailbox)?;
        let dir = name.path(&self.profile.path);
        match open_exact(&dir, row.number, &row.identity) {
            Err(MhError::MessageGone(_)) => {}
            other => return Ok(other?),
        }
        let folder = self.folder_row(&name)?;
        if let Some(file) = reopen(&self.conn, &dir, folder.id, row)? {
            return Ok(file);
        }
        self.sync_folder(&name)?;
        reopen(&self.conn, &dir, folder.id, row)?.ok_or(StateError::Expunged.into())
    }

    /// [`Store::expunge`].
    pub(super) fn expunge_uids(&mut self, mailbox: &str, uids: &[u32]) -> Res<Vec<u32>> {
        let name = self.selectable_folder(mailbox)?;
        for _ in 0..ATTEMPTS {
            self.sync_folder(&name)?;
            let row = self.folder_row(&name)?;
            let rows = load_some(&self.conn, row.id, uids)?;
            if rows.is_empty() {
                return Ok(Vec::new());
            }
            if self.remove_files(&name, &rows)? {
                return self.record_expunged(&name, &rows);
            }
        }
        Err(StateError::InUse.into())
    }

    /// Removes the files of `rows` and their numbers from every sequence,
    /// under nmh's lock; false (nothing done) when a row no longer names
    /// its file. An `rmmproc` runs after the lock is released, as `rmm`
    /// runs it (one that calls nmh on the folder would wait for us).
    fn remove_files(&self, name: &FolderName, rows: &[Stored]) -> Res<bool> {
        let dir = name.path(&self.profile.path);
        let numbers: Vec<_> = rows.iter().map(|s| s.number).collect();
        let profile = &self.profile;
        let unlink_now = profile.rmmproc.is_none();
        let remove = |seqs: &mut Sequences| -> Result<bool, MhError> {
            if !still_there(&dir, rows)? {
                return Ok(false);
            }
            numbers.iter().for_each(|n| seqs.remove_everywhere(*n));
            if unlink_now {
                message::remove(&dir, profile, &numbers)?;
            }
            Ok(true)
        };
        let done = sequences::update_folder(profile, &dir, self.lock_wait, remove)??;
        if done && !unlink_now {
            // rmmproc takes numbers: a `folder -pack` in the moment between
            // the release of the lock and rmmproc's start would hand it
            // other messages' numbers. nmh's rmm has the very same gap, and
            // holding the lock across rmmproc would hang one that runs nmh
            // on this folder (README, "Limits").
            message::remove(&dir, profile, &numbers)?;
        }
        Ok(done)
    }

    /// Deletes the rows of removed messages, recording them as expunged
    /// with a new MODSEQ; returns their UIDs.
    pub(super) fn record_expunged(&mut self, name: &FolderName, rows: &[Stored]) -> Res<Vec<u32>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(folder) = folders::find(&tx, name.as_str())? {
            let modseq = folder.highestmodseq + 1;
            for s in rows {
                expunge_row(&tx, folder.id, s.uid, modseq)?;
            }
            super::flags::bump(&tx, &folder, modseq)?;
            folders::recount(&tx, folder.id)?;
        }
        tx.commit()?;
        Ok(rows.iter().map(|s| s.uid).collect())
    }
}

/// Opens `row`'s message under the number the stored rows give it now;
/// `None` when they know no other number for it.
fn reopen(conn: &Connection, dir: &Path, folder: i64, row: &MessageRow) -> Res<Option<File>> {
    let Some(now) = stored_by_uid(conn, folder, row.uid)? else {
        return Err(StateError::Expunged.into());
    };
    let same = now.number == row.number && now.identity == row.identity;
    if same || !now.identity.same_message(&row.identity) {
        return Ok(None);
    }
    match open_exact(dir, now.number, &now.identity) {
        Ok(file) => Ok(Some(file)),
        Err(MhError::MessageGone(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Opens message `n` when it is `expected` with the same size and mtime
/// too: content rewritten since the row was read (inc's overwrite, or
/// `anno`) must not be served under the row's UID before a sync decided
/// what it is.
fn open_exact(dir: &Path, n: MsgNum, expected: &Identity) -> Result<File, MhError> {
    let file = message::open_checked(dir, n, expected)?;
    match message::identity_of(&file)? == *expected {
        true => Ok(file),
        false => Err(MhError::MessageGone(n)),
    }
}

/// The stored row of one UID.
fn stored_by_uid(conn: &Connection, folder: i64, uid: u32) -> Res<Option<Stored>> {
    let mut stmt = conn.prepare_cached(
        "SELECT number, dev, ino, btime_ns, size, mtime_ns, flags
         FROM messages WHERE folder = ?1 AND uid = ?2",
    )?;
    let row = stmt.query_row(params![folder, uid], |r| {
        Ok(Stored {
            uid,
            number: r.get(0)?,
            identity: Identity {
                dev: r.get::<_, i64>(1)? as u64,
                ino: r.get::<_, i64>(2)? as u64,
                btime_ns: r.get(3)?,
                size: r.get::<_, i64>(4)? as u64,
                mtime_ns: r.get(5)?,
            },
            flags: r.get(6)?,
        })
    });
    Ok(row.optional()?)
}

/// Collects the cached blobs of `uids` into `found`.
fn fetch_blobs(
    conn: &Connection,
    folder: i64,
    uids: &[u32],
    found: &mut HashMap<u32, Vec<u8>>,
) -> Res<()> {
    let sql = format!(
        "SELECT uid, blob FROM cache WHERE folder = ?1 AND uid IN ({})",
        placeholders(uids.len())
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let ids = std::iter::once(folder).chain(uids.iter().map(|u| i64::from(*u)));
    let rows = stmt.query_map(params_from_iter(ids), |r| {
        Ok((r.get::<_, u32>(0)?, r.get::<_, Vec<u8>>(1)?))
    })?;
    for row in rows {
        let (uid, blob) = row?;
        found.insert(uid, blob);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_from_two() {
        assert_eq!(placeholders(3), "?2, ?3, ?4");
    }
}
