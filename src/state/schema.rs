//! The state file: where it lives, how it is opened, and the schema with
//! its migrations (guarded by `PRAGMA user_version`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use crate::mh::Profile;

use super::StateError;
use super::fault::{Fault, Res, io};

/// The state file's name in the mail root (a dot-name: nmh ignores it).
pub(super) const DEFAULT_NAME: &str = ".asimap.sqlite";

/// How long a connection waits for another one's write transaction.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Schema migrations; entry `i` takes the file from version `i` to `i + 1`.
/// Released entries are never edited, only appended to.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6];

/// Version 1: folders, messages, expunged UIDs, subscriptions.
///
/// `folders.generation` grows with every transaction that changes a
/// folder's message rows, so a sync can tell that its snapshot of the
/// directory may be older than what another session already committed.
/// The stamps are NULL when the next sync must read the folder.
const V1: &str = "
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('last_uidvalidity', 0);

CREATE TABLE folders (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    uidvalidity INTEGER NOT NULL,
    uidnext INTEGER NOT NULL DEFAULT 1,
    highestmodseq INTEGER NOT NULL DEFAULT 1,
    generation INTEGER NOT NULL DEFAULT 0,
    dir_stamp TEXT,
    seq_stamp TEXT
);

CREATE TABLE messages (
    folder INTEGER NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    uid INTEGER NOT NULL,
    number INTEGER NOT NULL,
    dev INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    btime_ns INTEGER,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    flags TEXT NOT NULL DEFAULT '',
    modseq INTEGER NOT NULL,
    internaldate INTEGER NOT NULL,
    recent_claimed INTEGER NOT NULL DEFAULT 0,
    cache BLOB,
    UNIQUE (folder, uid)
);
CREATE INDEX messages_by_number ON messages (folder, number);

CREATE TABLE expunged (
    folder INTEGER NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    uid INTEGER NOT NULL,
    modseq INTEGER NOT NULL,
    PRIMARY KEY (folder, uid)
) WITHOUT ROWID;
CREATE INDEX expunged_by_modseq ON expunged (folder, modseq);

CREATE TABLE subscriptions (
    name TEXT PRIMARY KEY
) WITHOUT ROWID;

CREATE TABLE noselect (
    name TEXT PRIMARY KEY
) WITHOUT ROWID;
";

/// Version 2: the counters of a folder, kept in its row by every
/// transaction that changes its messages, so that STATUS and the sync of
/// an unchanged folder read one row. Existing folders are recounted by
/// their next sync.
const V2: &str = "
ALTER TABLE folders ADD COLUMN exists_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE folders ADD COLUMN unseen_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE folders ADD COLUMN recent_count INTEGER NOT NULL DEFAULT 0;
UPDATE folders SET dir_stamp = NULL;
";

/// Version 3: the metadata cache in a table of its own. Inline blobs of
/// a kilobyte or two shared the pages of the message rows, so listing the
/// rows of a folder read every blob too.
const V3: &str = "
CREATE TABLE cache (
    folder INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    blob BLOB NOT NULL,
    PRIMARY KEY (folder, uid),
    FOREIGN KEY (folder, uid) REFERENCES messages (folder, uid) ON DELETE CASCADE
);
INSERT INTO cache (folder, uid, blob)
    SELECT folder, uid, cache FROM messages WHERE cache IS NOT NULL;
ALTER TABLE messages DROP COLUMN cache;
";

/// Version 4: the inodes of messages APPENDed moments ago, until when. A
/// sync that finds such a file rewritten takes it for inc's overwrite
/// (mh-compat.md §4), not for `anno`: the UID goes, and the content now
/// there gets a new one (the appending session adds its message again).
const V4: &str = "
CREATE TABLE fresh (
    dev INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    until_ns INTEGER NOT NULL,
    PRIMARY KEY (dev, ino)
) WITHOUT ROWID;
";

/// Version 5: messages just added to a folder (APPEND, COPY, MOVE) and
/// watched for inc's overwrite, with the name of their kept copy, so that
/// any session, or the next one, can repair an overwrite (`guard`).
const V5: &str = "
CREATE TABLE guards (
    id INTEGER PRIMARY KEY,
    folder TEXT NOT NULL,
    uid INTEGER NOT NULL,
    dev INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    btime_ns INTEGER,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    keep TEXT NOT NULL,
    flags TEXT NOT NULL,
    since_ns INTEGER NOT NULL
);
";

/// Version 6: a fresh file's size and mtime as written, so that a sync
/// tells our content from what inc wrote over it since (NULL in rows of
/// version 5: taken as ours, as then).
const V6: &str = "
ALTER TABLE fresh ADD COLUMN size INTEGER;
ALTER TABLE fresh ADD COLUMN mtime_ns INTEGER;
";

/// `.asimap.sqlite` in the mail root, creating the root if it is missing.
pub(super) fn default_path(profile: &Profile) -> Result<PathBuf, StateError> {
    let root = &profile.path;
    if !root.is_dir() {
        std::fs::create_dir_all(root).map_err(|e| io(root, e).into_state(root))?;
    }
    Ok(root.join(DEFAULT_NAME))
}

/// The largest the `-wal` file is left after a checkpoint (SQLite's
/// `journal_size_limit`); the automatic checkpoint every 1000 pages keeps
/// it from growing further while no reader holds an old snapshot.
const WAL_SIZE_LIMIT: i64 = 4 * 1024 * 1024;

/// `statfs` magic numbers of network filesystems, where SQLite's WAL
/// (shared memory between processes of one host) must not be used: NFS,
/// SMB, CIFS, SMB2.
const NETWORK_FS: &[i64] = &[0x6969, 0x517B, 0xFF53_4D42, 0xFE53_4D42];

/// The journal mode for a state file on a filesystem with `statfs` magic
/// `magic`: WAL on local disks, a rollback journal on network
/// filesystems (crates.md §8, pitfall 5), which needs working fcntl locks
/// there (NFSv4, or lockd with v3).
pub(super) fn journal_mode_for(magic: i64) -> &'static str {
    if NETWORK_FS.contains(&magic) {
        "DELETE"
    } else {
        "WAL"
    }
}

/// The `statfs` magic of the filesystem holding `path` (its directory when
/// the file does not exist yet); `None` when it cannot be asked.
fn fs_magic(path: &Path) -> Option<i64> {
    let dir = match path.parent() {
        Some(p) if !path.exists() && !p.as_os_str().is_empty() => p,
        _ => path,
    };
    let stat = nix::sys::statfs::statfs(dir).ok()?;
    #[allow(clippy::unnecessary_cast)] // the field's type differs by target
    Some(stat.filesystem_type().0 as i64)
}

/// Creates the state file readable by its owner only, or takes group and
/// other access away from an existing one: it caches subjects and
/// addresses. SQLite gives its `-wal` and `-shm` files the same mode.
fn private_file(path: &Path) -> Res<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let io = |e| crate::mh::MhError::io(path, e);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    let mode = file.metadata().map_err(io)?.permissions().mode();
    if mode & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(mode & 0o700))
            .map_err(io)?;
    }
    Ok(())
}

/// Opens the file, sets the pragmas and brings the schema up to date.
///
/// Sessions starting at the same moment on a new file meet where SQLite
/// answers "busy" at once instead of waiting (the switch to WAL needs the
/// file to itself): the whole opening is tried again, with growing
/// sleeps, for up to [`BUSY_TIMEOUT`].
pub(super) fn open(path: &Path) -> Res<Connection> {
    let started = std::time::Instant::now();
    let mut sleep = Duration::from_millis(5);
    loop {
        match open_once(path) {
            Err(Fault::Sql(e)) if is_busy(&e) && started.elapsed() < BUSY_TIMEOUT => {
                std::thread::sleep(sleep);
                sleep = (sleep * 2).min(Duration::from_millis(250));
            }
            other => return other,
        }
    }
}

/// True for SQLite's "busy" and "locked".
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// One try of [`open`].
fn open_once(path: &Path) -> Res<Connection> {
    let want = fs_magic(path).map_or("WAL", journal_mode_for);
    if want != "WAL" {
        log::warn!(
            "state file {} is on a network filesystem: using a rollback journal; \
             a local file (--state) is faster and safer",
            path.display()
        );
    }
    private_file(path)?;
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let sql = format!("PRAGMA journal_mode = {want}");
    let mode: String = conn.query_row(&sql, [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case(want) {
        log::warn!(
            "state file {} in journal mode {mode}, not {want}",
            path.display()
        );
    }
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    let mut conn = conn;
    migrate(&mut conn)?;
    Ok(conn)
}

/// Applies the missing migrations in one IMMEDIATE transaction.
fn migrate(conn: &mut Connection) -> Res<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len();
    let Ok(current) = usize::try_from(version) else {
        return Err(newer(version));
    };
    if current > known {
        return Err(newer(version));
    }
    for sql in &MIGRATIONS[current..] {
        tx.execute_batch(sql)?;
    }
    if current < known {
        tx.pragma_update(None, "user_version", known as i64)?;
    }
    tx.commit()?;
    Ok(())
}

/// The error for a file written by a newer asimap.
fn newer(version: i64) -> Fault {
    let why = format!("state file schema version {version} is newer than this asimap");
    Fault::State(StateError::Refused(why))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_schema_once_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let conn = open(&path).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        drop(conn);
        let conn = open(&path).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM meta", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1, "migration ran twice");
    }

    #[test]
    fn migrates_a_version_one_file_keeping_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(V1).unwrap();
        conn.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO folders (id, name, uidvalidity, dir_stamp) VALUES (1, 'f', 7, 'x');
             INSERT INTO messages (folder, uid, number, dev, ino, size, mtime_ns, flags,
                                   modseq, internaldate, cache)
                 VALUES (1, 3, 1, 1, 1, 1, 1, '', 1, 1, x'0102');",
        )
        .unwrap();
        drop(conn);
        let conn = open(&path).unwrap();
        let blob: Vec<u8> = conn
            .query_row(
                "SELECT blob FROM cache WHERE folder = 1 AND uid = 3",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(blob, [1, 2]);
        let stamp: Option<String> = conn
            .query_row("SELECT dir_stamp FROM folders", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stamp, None, "v2 makes the next sync recount");
        conn.execute("DELETE FROM messages", []).unwrap();
        let left: i64 = conn
            .query_row("SELECT count(*) FROM cache", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0, "cache rows go with their message");
    }

    #[test]
    fn network_filesystems_get_a_rollback_journal() {
        assert_eq!(journal_mode_for(0x6969), "DELETE", "NFS");
        assert_eq!(journal_mode_for(0xFF53_4D42), "DELETE", "CIFS");
        assert_eq!(journal_mode_for(0xEF53), "WAL", "ext4");
        assert_eq!(journal_mode_for(0x0102_1994), "WAL", "tmpfs");
        let dir = tempfile::tempdir().unwrap();
        let magic = fs_magic(&dir.path().join("not-yet")).unwrap();
        assert_eq!(Some(magic), fs_magic(dir.path()));
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let conn = open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = open(&path).unwrap_err().into_state(&path);
        assert!(matches!(err, StateError::Refused(_)), "{err:?}");
    }
}
