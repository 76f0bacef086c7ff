//! The per-user SQLite file and the store facade the session uses: UIDs,
//! MODSEQs, flags mirrored from `.mh_sequences`, subscriptions, the message
//! metadata cache, and every change to the MH folders.
//!
//! The MH folders are the truth; this layer remembers what MH has no place
//! for and keeps it in step (DESIGN.md, "Syncing a folder").

use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};

use crate::mh::{Identity, MhError, MsgNum, Profile};

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
pub struct Store {
    profile: Profile,
}

impl Store {
    /// Opens (creating and migrating) the state file: `state` when given,
    /// else `.asimap.sqlite` in the mail root.
    pub fn open(profile: Profile, _state: Option<&Path>) -> Result<Store, StateError> {
        let _ = &profile;
        todo!("state helper")
    }

    /// The MH profile in use.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Every mailbox, INBOX first.
    pub fn list(&mut self) -> Result<Vec<MailboxInfo>, StateError> {
        todo!("state helper")
    }

    /// CREATE (RFC 3501 §6.3.3). A trailing `/` is dropped.
    pub fn create(&mut self, _mailbox: &str) -> Result<(), StateError> {
        todo!("state helper")
    }

    /// DELETE (RFC 3501 §6.3.4). INBOX is refused.
    pub fn delete(&mut self, _mailbox: &str) -> Result<(), StateError> {
        todo!("state helper")
    }

    /// RENAME (RFC 3501 §6.3.5): subfolders and UID state move along,
    /// UIDVALIDITY is kept. Renaming INBOX moves its messages into a new
    /// folder and leaves INBOX empty.
    pub fn rename(&mut self, _from: &str, _to: &str) -> Result<(), StateError> {
        todo!("state helper")
    }

    /// SUBSCRIBE / UNSUBSCRIBE.
    pub fn set_subscribed(&mut self, _mailbox: &str, _on: bool) -> Result<(), StateError> {
        todo!("state helper")
    }

    /// Subscribed names.
    pub fn subscriptions(&mut self) -> Result<Vec<String>, StateError> {
        todo!("state helper")
    }

    /// Brings the state file in step with the folder and returns its
    /// counters. Costs two stats when nothing changed.
    pub fn sync(&mut self, _mailbox: &str) -> Result<FolderSummary, StateError> {
        todo!("state helper")
    }

    /// Every message of the folder as of the last sync, by ascending UID.
    pub fn messages(&mut self, _mailbox: &str) -> Result<Vec<MessageRow>, StateError> {
        todo!("state helper")
    }

    /// Claims `\Recent` for those of `uids` no session has claimed yet and
    /// returns them (RFC 3501 §2.3.2: one session only sees a message as
    /// recent).
    pub fn claim_recent(&mut self, _mailbox: &str, _uids: &[u32]) -> Result<Vec<u32>, StateError> {
        todo!("state helper")
    }

    /// Changes flags of `uids` in `.mh_sequences` (under nmh's lock) and in
    /// the state file, with a new MODSEQ for each message that changed.
    pub fn store_flags(
        &mut self,
        _mailbox: &str,
        _uids: &[u32],
        _op: FlagOp,
        _flags: &[String],
    ) -> Result<(), StateError> {
        todo!("state helper")
    }

    /// Removes `uids` from the folder (unlink or rmmproc) and from every
    /// sequence; returns the UIDs that were removed.
    pub fn expunge(&mut self, _mailbox: &str, _uids: &[u32]) -> Result<Vec<u32>, StateError> {
        todo!("state helper")
    }

    /// APPEND: stores `message` (CRLF already turned into LF) with `flags`
    /// and INTERNALDATE `date` (now when `None`); returns (UIDVALIDITY, UID).
    pub fn append(
        &mut self,
        _mailbox: &str,
        _message: &[u8],
        _flags: &[String],
        _date: Option<DateTime<FixedOffset>>,
    ) -> Result<(u32, u32), StateError> {
        todo!("state helper")
    }

    /// COPY: copies `uids` from `from` to `to` keeping flags and
    /// INTERNALDATE; returns the destination's UIDVALIDITY and the
    /// (source UID, new UID) pairs.
    pub fn copy(
        &mut self,
        _from: &str,
        _uids: &[u32],
        _to: &str,
    ) -> Result<(u32, Vec<(u32, u32)>), StateError> {
        todo!("state helper")
    }

    /// Opens a message's file after checking it is still the same message.
    pub fn open_message(&mut self, _mailbox: &str, _row: &MessageRow) -> Result<File, StateError> {
        todo!("state helper")
    }

    /// Cached metadata blobs (opaque to this layer) for `uids`, in order.
    pub fn cached(&mut self, _mailbox: &str, _uids: &[u32]) -> Result<Vec<Option<Vec<u8>>>, StateError> {
        todo!("state helper")
    }

    /// Stores metadata blobs in one transaction.
    pub fn set_cached(&mut self, _mailbox: &str, _blobs: &[(u32, Vec<u8>)]) -> Result<(), StateError> {
        todo!("state helper")
    }

    /// SQLite's `PRAGMA data_version`: changes when another connection
    /// commits.
    pub fn data_version(&mut self) -> Result<u64, StateError> {
        todo!("state helper")
    }

    /// The folder directory of a mailbox (for inotify watches).
    pub fn folder_dir(&self, _mailbox: &str) -> Result<PathBuf, StateError> {
        todo!("state helper")
    }
}
