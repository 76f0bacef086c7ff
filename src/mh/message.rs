//! Message files: listing a folder, identity on disk, adding (temp file +
//! link), removing (unlink or rmmproc), opening with an identity check.

use std::fs::File;
use std::path::Path;
use std::time::SystemTime;

use super::MhError;
use super::profile::Profile;

/// An MH message number: the file name `^[1-9][0-9]*$`. Not an IMAP
/// sequence number.
pub type MsgNum = u32;

/// A message file's identity on disk (DESIGN.md): device, inode and birth
/// time; where there is no birth time, size and nanosecond mtime stand in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Identity {
    /// `st_dev`
    pub dev: u64,
    /// `st_ino`
    pub ino: u64,
    /// Birth time in nanoseconds since the epoch, when the filesystem has it.
    pub btime_ns: Option<i64>,
    /// Size in bytes (part of the identity only without a birth time).
    pub size: u64,
    /// mtime in nanoseconds since the epoch (part of the identity only
    /// without a birth time).
    pub mtime_ns: i64,
}

impl Identity {
    /// True when both name the same message: same dev and inode, and the
    /// same birth time, or without one the same size and mtime.
    pub fn same_message(&self, _other: &Identity) -> bool {
        todo!("mh helper")
    }
}

/// One message file found in a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgFile {
    /// Its number.
    pub number: MsgNum,
    /// Its identity.
    pub identity: Identity,
}

/// Lists the messages of a folder directory: regular files (symlinks are
/// followed) named `^[1-9][0-9]*$` below 2^31 - 200, sorted by number.
/// Everything else is ignored.
pub fn scan(_dir: &Path) -> Result<Vec<MsgFile>, MhError> {
    todo!("mh helper")
}

/// The identity of an open file.
pub fn identity_of(_file: &File) -> Result<Identity, MhError> {
    todo!("mh helper")
}

/// Opens message `n` and checks it is still `expected`; fails with
/// [`MhError::MessageGone`] when it vanished or another file took the
/// number.
pub fn open_checked(_dir: &Path, _n: MsgNum, _expected: &Identity) -> Result<File, MhError> {
    todo!("mh helper")
}

/// Adds a message: writes `bytes` (already LF line ends) to a temporary
/// dot-file in `dir` with mode `Msg-Protect`, sets its mtime to `mtime`,
/// fsyncs it, `link()`s it to the next free number (retrying upwards on
/// EEXIST), removes the temporary name and fsyncs the directory.
pub fn add(_dir: &Path, _profile: &Profile, _bytes: &[u8], _mtime: SystemTime) -> Result<MsgFile, MhError> {
    todo!("mh helper")
}

/// Copies message file `src` into `dir` as [`add`] does, keeping its mtime.
/// Within one filesystem the copy is a new file (a COPY must not share the
/// source's inode, so flags stay independent); the bytes are unchanged.
pub fn copy(_src: &Path, _dir: &Path, _profile: &Profile) -> Result<MsgFile, MhError> {
    todo!("mh helper")
}

/// Removes messages as rmm would: runs the profile's `rmmproc` with the
/// folder as cwd and the numbers as arguments when one is set, else unlinks
/// them. Missing files are not an error.
pub fn remove(_dir: &Path, _profile: &Profile, _numbers: &[MsgNum]) -> Result<(), MhError> {
    todo!("mh helper")
}

/// Removes temporary dot-files this server left behind (crash safety),
/// older than `min_age` seconds.
pub fn clean_temporaries(_dir: &Path, _min_age_secs: u64) -> Result<usize, MhError> {
    todo!("mh helper")
}
