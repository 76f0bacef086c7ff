//! Folder rows: lookup, creation with a fresh UIDVALIDITY, counters.

use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::mh::{FolderName, Profile, folder};

use super::fault::{Fault, Res};
use super::{FolderSummary, StateError, Store, names};

/// A folder's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FolderRow {
    /// Row id, the key of its messages.
    pub id: i64,
    /// UIDVALIDITY
    pub uidvalidity: u32,
    /// UIDNEXT
    pub uidnext: u32,
    /// HIGHESTMODSEQ
    pub highestmodseq: u64,
    /// Grows with every transaction that changes message rows.
    pub generation: i64,
    /// Directory stamp of the last sync (None: read next time).
    pub dir_stamp: Option<String>,
    /// Sequence file stamp of the last sync.
    pub seq_stamp: Option<String>,
    /// Number of messages.
    pub exists: u32,
    /// Number of messages without `\Seen`.
    pub unseen: u32,
    /// Number of messages not claimed as `\Recent`.
    pub recent: u32,
}

const FOLDER_COLUMNS: &str = "id, uidvalidity, uidnext, highestmodseq, generation, dir_stamp,
     seq_stamp, exists_count, unseen_count, recent_count";

/// The row of folder `name`, if any.
pub(super) fn find(conn: &Connection, name: &str) -> Res<Option<FolderRow>> {
    let sql = format!("SELECT {FOLDER_COLUMNS} FROM folders WHERE name = ?1");
    let mut stmt = conn.prepare_cached(&sql)?;
    Ok(stmt.query_row([name], folder_row).optional()?)
}

/// The row with id `id` (which must exist).
pub(super) fn by_id(conn: &Connection, id: i64) -> Res<FolderRow> {
    let sql = format!("SELECT {FOLDER_COLUMNS} FROM folders WHERE id = ?1");
    let mut stmt = conn.prepare_cached(&sql)?;
    Ok(stmt.query_row([id], folder_row)?)
}

/// Maps a row of [`FOLDER_COLUMNS`].
fn folder_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FolderRow> {
    Ok(FolderRow {
        id: r.get(0)?,
        uidvalidity: r.get(1)?,
        uidnext: r.get(2)?,
        highestmodseq: r.get::<_, i64>(3)? as u64,
        generation: r.get(4)?,
        dir_stamp: r.get(5)?,
        seq_stamp: r.get(6)?,
        exists: r.get(7)?,
        unseen: r.get(8)?,
        recent: r.get(9)?,
    })
}

/// The row of folder `name`, created with a new UIDVALIDITY when missing.
/// Must run inside an IMMEDIATE transaction.
pub(super) fn find_or_insert(conn: &Connection, name: &str) -> Res<FolderRow> {
    if let Some(row) = find(conn, name)? {
        return Ok(row);
    }
    let uidvalidity = next_uidvalidity(conn)?;
    conn.execute(
        "INSERT INTO folders (name, uidvalidity) VALUES (?1, ?2)",
        params![name, uidvalidity],
    )?;
    let row = find(conn, name)?;
    row.ok_or(Fault::Sql(rusqlite::Error::QueryReturnedNoRows))
}

/// A UIDVALIDITY from the clock, strictly above every one this file ever
/// handed out (so two folders made in one second differ).
fn next_uidvalidity(conn: &Connection) -> Res<u32> {
    let last: i64 = conn.query_row(
        "SELECT value FROM meta WHERE key = 'last_uidvalidity'",
        [],
        |r| r.get(0),
    )?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let now = i64::try_from(now)
        .unwrap_or(i64::MAX)
        .min(i64::from(u32::MAX));
    let next = now.max(last + 1);
    // After 2106 (or 4 billion creations) the counter is spent: a limit
    // of 32-bit UIDVALIDITY from the clock (README, "Limits").
    let Ok(value) = u32::try_from(next) else {
        return Err(Fault::State(StateError::Refused(
            "UIDVALIDITY space exhausted".into(),
        )));
    };
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'last_uidvalidity'",
        [i64::from(value)],
    )?;
    Ok(value)
}

/// The counters of a folder as its row keeps them.
pub(super) fn summary(row: &FolderRow) -> FolderSummary {
    FolderSummary {
        uidvalidity: row.uidvalidity,
        uidnext: row.uidnext,
        highestmodseq: row.highestmodseq,
        exists: row.exists,
        unseen: row.unseen,
        recent: row.recent,
    }
}

/// Recounts a folder's messages into its row; every transaction that
/// changes message rows calls this before committing.
pub(super) fn recount(conn: &Connection, folder: i64) -> Res<()> {
    let mut stmt = conn.prepare_cached(
        "UPDATE folders SET (exists_count, unseen_count, recent_count) =
             (SELECT count(*),
                     coalesce(sum(instr(' ' || flags || ' ', ' \\Seen ') = 0), 0),
                     coalesce(sum(recent_claimed = 0), 0)
              FROM messages WHERE folder = ?1)
         WHERE id = ?1",
    )?;
    stmt.execute([folder])?;
    Ok(())
}

/// True when `name` exists only as a `\Noselect` parent.
pub(super) fn is_noselect(conn: &Connection, name: &str) -> Res<bool> {
    let mut stmt = conn.prepare_cached("SELECT 1 FROM noselect WHERE name = ?1")?;
    Ok(stmt.exists([name])?)
}

impl Store {
    /// The folder of `mailbox` after checking it can be selected; INBOX is
    /// created on first use.
    pub(super) fn selectable_folder(&self, mailbox: &str) -> Res<FolderName> {
        let name = self.folder_of(mailbox)?;
        if !folder::exists(&self.profile, &name) {
            if !names::is_inbox(mailbox) {
                return Err(StateError::NoMailbox.into());
            }
            create_inbox(&self.profile, &name)?;
        }
        if is_noselect(&self.conn, name.as_str())? {
            return Err(StateError::NoMailbox.into());
        }
        Ok(name)
    }

    /// The folder row, created when missing (in its own transaction).
    pub(super) fn folder_row(&mut self, name: &FolderName) -> Res<FolderRow> {
        if let Some(row) = find(&self.conn, name.as_str())? {
            return Ok(row);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row = find_or_insert(&tx, name.as_str())?;
        tx.commit()?;
        Ok(row)
    }
}

/// Creates the inbox folder; one made concurrently by someone else is fine.
fn create_inbox(profile: &Profile, name: &FolderName) -> Res<()> {
    match folder::create(profile, name) {
        Ok(()) => Ok(()),
        Err(crate::mh::MhError::FolderExists(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = super::super::schema::open(&dir.path().join("s")).unwrap();
        (dir, conn)
    }

    #[test]
    fn uidvalidity_is_from_the_clock_and_strictly_ascending() {
        let (_d, conn) = conn();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as u32;
        let a = find_or_insert(&conn, "a").unwrap();
        let b = find_or_insert(&conn, "b").unwrap();
        assert!(a.uidvalidity >= now);
        assert!(b.uidvalidity > a.uidvalidity);
        assert_eq!(find_or_insert(&conn, "a").unwrap(), a);
        conn.execute("DELETE FROM folders WHERE name = 'a'", [])
            .unwrap();
        let again = find_or_insert(&conn, "a").unwrap();
        assert!(
            again.uidvalidity > b.uidvalidity,
            "recreated name got an old UIDVALIDITY"
        );
        assert_eq!((again.uidnext, again.highestmodseq), (1, 1));
    }

    #[test]
    fn summary_of_an_empty_folder() {
        let (_d, conn) = conn();
        let row = find_or_insert(&conn, "x").unwrap();
        recount(&conn, row.id).unwrap();
        let s = summary(&find(&conn, "x").unwrap().unwrap());
        assert_eq!((s.exists, s.unseen, s.recent), (0, 0, 0));
        assert_eq!(s.uidvalidity, row.uidvalidity);
    }
}
