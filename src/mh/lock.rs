//! nmh-compatible locks on `.mh_sequences` (mh-compat.md §3): fcntl, lockf,
//! flock and dot-file, taken non-blocking and retried with a growing sleep.

use std::path::Path;
use std::time::Duration;

use super::MhError;

/// The profile's `datalocking` method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockMethod {
    /// POSIX fcntl write lock over the whole file (nmh's default).
    #[default]
    Fcntl,
    /// `lockf` (an fcntl lock from the current offset; interoperates).
    Lockf,
    /// BSD `flock`.
    Flock,
    /// A `FILE.lock` dot-file made by link().
    Dot,
}

/// A held lock on one file; released on drop.
#[derive(Debug)]
pub struct FileLock {
    _private: (),
}

impl FileLock {
    /// Locks `path` for writing with `method`, creating the file if missing
    /// (without truncating it). Retries with a growing sleep until `timeout`,
    /// then fails with [`MhError::LockBusy`].
    pub fn acquire(_path: &Path, _method: LockMethod, _timeout: Duration) -> Result<FileLock, MhError> {
        todo!("mh helper")
    }

    /// The locked file, open read-write (for the fcntl, lockf and flock
    /// methods; for dot locking, the file opened after the lock was made).
    pub fn file(&mut self) -> &mut std::fs::File {
        todo!("mh helper")
    }
}
