//! The MH store: the profile, folders, message files, `.mh_sequences` and
//! nmh-compatible locking. Knows nothing of IMAP or SQLite.
//!
//! The measured nmh behaviour this follows is `design/mh-compat.md`.
//! A folder's sequences are its public sequence file overlaid by its
//! private sequences in the nmh context file (`sequences::update_folder`).

pub mod context;
mod effective;
pub mod folder;
pub mod keyword;
pub mod lock;
pub mod message;
pub mod profile;
pub mod sequences;

pub use folder::FolderName;
pub use message::{Identity, MsgFile, MsgNum};
pub use profile::Profile;
pub use sequences::Sequences;

/// Errors of the MH layer.
#[derive(Debug, thiserror::Error)]
pub enum MhError {
    /// A folder name that would escape the mail root, is all digits, starts
    /// with `.`, contains NUL, or is otherwise refused.
    #[error("invalid folder name: {0}")]
    BadName(String),
    /// The folder does not exist.
    #[error("no such folder: {0}")]
    NoFolder(String),
    /// The folder exists already.
    #[error("folder exists: {0}")]
    FolderExists(String),
    /// The message file is gone or is no longer the expected message.
    #[error("message {0} changed or vanished")]
    MessageGone(u32),
    /// nmh's lock could not be taken in time.
    #[error("lock busy: {0}")]
    LockBusy(std::path::PathBuf),
    /// The profile could not be read.
    #[error("profile {path}: {reason}")]
    Profile {
        /// The profile file.
        path: std::path::PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// rmmproc failed.
    #[error("rmmproc failed: {0}")]
    Rmmproc(String),
    /// Any other I/O failure, with the path it concerned.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl MhError {
    /// Wraps an I/O error with its path.
    pub fn io(path: impl Into<std::path::PathBuf>, source: std::io::Error) -> MhError {
        MhError::Io {
            path: path.into(),
            source,
        }
    }
}
