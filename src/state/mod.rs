//! The per-user SQLite file and the store facade the session uses: UIDs,
//! MODSEQs, flags mirrored from `.mh_sequences`, subscriptions, the message
//! metadata cache, and every change to the MH folders.
//!
//! The MH folders are the truth; this layer remembers what MH has no place
//! for and keeps it in step (DESIGN.md, "Syncing a folder").
//!
//! Submodules: `schema` (the file, pragmas, migrations), `folders` (folder
//! rows, UIDVALIDITY, counters), `sync` (stamps, snapshot, identity diff),
//! `flags` (sequences to flags, STORE), `messages` (rows, `\Recent`, the
//! cache, EXPUNGE), `add` (APPEND, COPY), `mailboxes` (LIST, CREATE,
//! DELETE, RENAME, subscriptions), `names` (IMAP and MH names), `stamp`,
//! `fault` (internal errors).

mod add;
mod fault;
mod flags;
mod folders;
mod guard;
mod keep;
mod mailboxes;
mod messages;
mod moving;
mod names;
mod schema;
mod stamp;
mod sync;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use rusqlite::Connection;

use crate::mh::{Identity, MhError, MsgNum, Profile};

use fault::Res;

/// Errors of the state layer.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The mailbox does not exist.
    #[error("no such mailbox")]
    NoMailbox,
    /// The mailbox exists already.
    #[error("mailbox exists")]
    MailboxExists,
    /// The name is not acceptable as a folder.
    #[error("invalid mailbox name: {0}")]
    BadName(String),
    /// INBOX cannot be deleted; a folder with subfolders stays as \Noselect.
    #[error("{0}")]
    Refused(String),
    /// A message vanished or changed while being used.
    #[error("message expunged")]
    Expunged,
    /// A lock on the folder could not be taken in time.
    #[error("folder is locked by another process")]
    InUse,
    /// An MH-level failure.
    #[error(transparent)]
    Mh(MhError),
    /// An SQLite failure.
    #[error("state file {path}: {source}")]
    Sqlite {
        /// The state file.
        path: PathBuf,
        /// The error.
        source: rusqlite::Error,
    },
}

/// How STORE changes flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOp {
    /// Replace the flags (keeping `cur` and other MH-only sequences).
    Replace,
    /// Add the flags.
    Add,
    /// Remove the flags.
    Remove,
}

/// A mailbox as LIST shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxInfo {
    /// The IMAP name (UTF-8; `INBOX` for the profile's inbox).
    pub name: String,
    /// True when it has subfolders.
    pub has_children: bool,
    /// False for a name that exists only as a parent (\Noselect).
    pub selectable: bool,
}

/// A folder's counters after a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderSummary {
    /// UIDVALIDITY
    pub uidvalidity: u32,
    /// UIDNEXT
    pub uidnext: u32,
    /// HIGHESTMODSEQ: grows with every change (new message, expunge, flags).
    pub highestmodseq: u64,
    /// Number of messages.
    pub exists: u32,
    /// Number of messages without `\Seen`.
    pub unseen: u32,
    /// Number of messages not yet claimed as \Recent by any session.
    pub recent: u32,
}

/// One message as the state file knows it after a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    /// Its UID.
    pub uid: u32,
    /// Its MH number now.
    pub number: MsgNum,
    /// Its identity on disk.
    pub identity: Identity,
    /// Flags in wire form (`\Seen`, `$Junk`), sorted; never `\Recent`.
    pub flags: Vec<String>,
    /// MODSEQ of its last change.
    pub modseq: u64,
    /// INTERNALDATE (the file's mtime) in seconds since the epoch.
    pub internaldate: i64,
}

/// The per-user store: the SQLite file plus the MH tree it describes.
///
/// One `Store` per session process. Every call runs its own short SQLite
/// transactions; nothing is held open between calls, so several processes
/// (sessions) can share the file.
pub struct Store {
    profile: Profile,
    conn: Connection,
    path: PathBuf,
    scans: u64,
    sequence_reads: u64,
    lock_wait: Duration,
    temp_min_age: Duration,
    guards_checked: Option<std::time::Instant>,
}

impl Store {
    /// Opens (creating and migrating) the state file: `state` when given,
    /// else `.asimap.sqlite` in the mail root (created if missing).
    ///
    /// Call it as the user only: the `-wal` and `-shm` files take the
    /// owner of whoever opens the file first.
    pub fn open(profile: Profile, state: Option<&Path>) -> Result<Store, StateError> {
        let path = match state {
            Some(p) => p.to_path_buf(),
            None => schema::default_path(&profile)?,
        };
        let conn = schema::open(&path).map_err(|e| e.into_state(&path))?;
        let mut store = Store {
            profile,
            conn,
            path,
            scans: 0,
            sequence_reads: 0,
            lock_wait: sync::LOCK_WAIT,
            temp_min_age: sync::TEMP_MIN_AGE,
            guards_checked: None,
        };
        // Finish the watch of sessions that ended within the grace time.
        store.check_guards(true);
        store.clean_kept();
        Ok(store)
    }

    /// The MH profile in use.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The state file's path.
    pub fn state_path(&self) -> &Path {
        &self.path
    }

    /// How many times this store has read a folder directory (for tests
    /// and logs: an unchanged folder must not be read).
    pub fn scans(&self) -> u64 {
        self.scans
    }

    /// How many times this store has read a folder's sequences in a sync
    /// (for tests: a change elsewhere in the context must not cause one).
    pub fn sequence_reads(&self) -> u64 {
        self.sequence_reads
    }

    /// How long to wait for nmh's lock on a sequence file before failing
    /// with [`StateError::InUse`] (10 s unless set).
    pub fn set_lock_wait(&mut self, wait: Duration) {
        self.lock_wait = wait;
    }

    /// How old a temporary file left by a dead writer must be before a
    /// full folder scan removes it (two minutes unless set).
    pub fn set_temp_min_age(&mut self, age: Duration) {
        self.temp_min_age = age;
    }

    /// Every mailbox, INBOX first.
    pub fn list(&mut self) -> Result<Vec<MailboxInfo>, StateError> {
        let r = self.list_mailboxes();
        self.finish(r)
    }

    /// CREATE (RFC 3501 §6.3.3). A trailing `/` is dropped.
    pub fn create(&mut self, mailbox: &str) -> Result<(), StateError> {
        let r = self.create_mailbox(mailbox);
        self.finish(r)
    }

    /// DELETE (RFC 3501 §6.3.4). INBOX is refused. A folder with
    /// subfolders loses its messages and stays as a `\Noselect` name.
    pub fn delete(&mut self, mailbox: &str) -> Result<(), StateError> {
        let r = self.delete_mailbox(mailbox);
        self.finish(r)
    }

    /// RENAME (RFC 3501 §6.3.5): subfolders and UID state move along,
    /// UIDVALIDITY is kept. Renaming INBOX moves its messages into a new
    /// folder and leaves INBOX empty.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), StateError> {
        let r = self.rename_mailbox(from, to);
        self.finish(r)
    }

    /// SUBSCRIBE / UNSUBSCRIBE.
    pub fn set_subscribed(&mut self, mailbox: &str, on: bool) -> Result<(), StateError> {
        let r = self.subscribe(mailbox, on);
        self.finish(r)
    }

    /// Subscribed names, INBOX first.
    pub fn subscriptions(&mut self) -> Result<Vec<String>, StateError> {
        let r = self.subscribed_names();
        self.finish(r)
    }

    /// Brings the state file in step with the folder and returns its
    /// counters. Costs two stats when nothing changed.
    pub fn sync(&mut self, mailbox: &str) -> Result<FolderSummary, StateError> {
        self.check_guards(false);
        let r = self.sync_mailbox(mailbox);
        self.finish(r)
    }

    /// Every message of the folder as of the last sync, by ascending UID.
    pub fn messages(&mut self, mailbox: &str) -> Result<Vec<MessageRow>, StateError> {
        let r = self.message_rows(mailbox);
        self.finish(r)
    }

    /// Claims `\Recent` for those of `uids` no session has claimed yet and
    /// returns them (RFC 3501 §2.3.2: one session only sees a message as
    /// recent).
    pub fn claim_recent(&mut self, mailbox: &str, uids: &[u32]) -> Result<Vec<u32>, StateError> {
        let r = self.claim(mailbox, uids);
        self.finish(r)
    }

    /// Changes flags of `uids` in `.mh_sequences` (under nmh's lock) and in
    /// the state file, with a new MODSEQ for each message that changed.
    pub fn store_flags(
        &mut self,
        mailbox: &str,
        uids: &[u32],
        op: FlagOp,
        flags: &[String],
    ) -> Result<(), StateError> {
        let r = self.change_flags(mailbox, uids, op, flags);
        self.finish(r)
    }

    /// Removes `uids` from the folder (unlink or rmmproc) and from every
    /// sequence; returns the UIDs that were removed.
    pub fn expunge(&mut self, mailbox: &str, uids: &[u32]) -> Result<Vec<u32>, StateError> {
        let r = self.expunge_uids(mailbox, uids);
        self.finish(r)
    }

    /// APPEND: stores `message` (CRLF already turned into LF) with `flags`
    /// and INTERNALDATE `date` (now when `None`); returns (UIDVALIDITY, UID).
    pub fn append(
        &mut self,
        mailbox: &str,
        message: &[u8],
        flags: &[String],
        date: Option<DateTime<FixedOffset>>,
    ) -> Result<(u32, u32), StateError> {
        let r = self.append_message(mailbox, message, flags, date);
        self.finish(r)
    }

    /// COPY: copies `uids` from `from` to `to` keeping flags and
    /// INTERNALDATE; returns the destination's UIDVALIDITY and the
    /// (source UID, new UID) pairs.
    pub fn copy(
        &mut self,
        from: &str,
        uids: &[u32],
        to: &str,
    ) -> Result<(u32, Vec<(u32, u32)>), StateError> {
        let r = self.copy_messages(from, uids, to);
        self.finish(r)
    }

    /// MOVE: moves `uids` from `from` to `to` keeping flags and
    /// INTERNALDATE, each message linked into `to` and unlinked from `from`
    /// under the source folder's nmh lock (as `refile` does); returns the
    /// destination's UIDVALIDITY and the (source UID, new UID) pairs. The
    /// moved UIDs are expunged from `from`.
    pub fn move_messages(
        &mut self,
        from: &str,
        uids: &[u32],
        to: &str,
    ) -> Result<(u32, Vec<(u32, u32)>), StateError> {
        let r = self.move_uids(from, uids, to);
        self.finish(r)
    }

    /// Opens a message's file after checking it is still the same message.
    pub fn open_message(&mut self, mailbox: &str, row: &MessageRow) -> Result<File, StateError> {
        let r = self.open_row(mailbox, row);
        self.finish(r)
    }

    /// Cached metadata blobs (opaque to this layer) for `uids`, in order.
    pub fn cached(
        &mut self,
        mailbox: &str,
        uids: &[u32],
    ) -> Result<Vec<Option<Vec<u8>>>, StateError> {
        let r = self.cache_blobs(mailbox, uids);
        self.finish(r)
    }

    /// Stores metadata blobs in one transaction.
    pub fn set_cached(
        &mut self,
        mailbox: &str,
        blobs: &[(u32, Vec<u8>)],
    ) -> Result<(), StateError> {
        let r = self.store_blobs(mailbox, blobs);
        self.finish(r)
    }

    /// SQLite's `PRAGMA data_version`: changes when another connection
    /// commits.
    pub fn data_version(&mut self) -> Result<u64, StateError> {
        let r = self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0));
        let r = r.map(|v| v as u64).map_err(fault::Fault::from);
        self.finish(r)
    }

    /// The folder directory of a mailbox (for inotify watches).
    pub fn folder_dir(&self, mailbox: &str) -> Result<PathBuf, StateError> {
        let r = self.folder_of(mailbox).map(|f| f.path(&self.profile.path));
        self.finish(r)
    }

    /// How many added messages are still watched for inc's overwrite
    /// (mh-compat.md §4), by this session or one that ended; for tests
    /// and logs.
    pub fn watched(&mut self) -> Result<usize, StateError> {
        let r = self
            .conn
            .query_row("SELECT count(*) FROM guards", [], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
            .map_err(fault::Fault::from);
        self.finish(r)
    }

    /// Turns an internal failure into the public error, naming the state
    /// file for SQLite failures.
    fn finish<T>(&self, r: Res<T>) -> Result<T, StateError> {
        r.map_err(|e| e.into_state(&self.path))
    }
}

impl Drop for Store {
    /// A last look at the added messages still watched; the next session
    /// goes on watching those whose time has not run out.
    fn drop(&mut self) {
        self.check_guards(true);
    }
}
