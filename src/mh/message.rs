//! Message files: listing a folder, identity on disk, adding (temp file +
//! link), removing (unlink or rmmproc), opening with an identity check.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{DirEntryExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use super::MhError;
use super::profile::Profile;

/// An MH message number: the file name `^[1-9][0-9]*$`. Not an IMAP
/// sequence number.
pub type MsgNum = u32;

/// The highest message number asimap reads or creates: nmh computes
/// `hghmsg + 100` in an `int` and dies near `INT_MAX` (mh-compat.md §5).
pub const MAX_MSG: MsgNum = (1 << 31) - 201;

/// The prefix of the temporary files [`add`] writes (a dot-name, which nmh
/// ignores).
pub const TEMP_PREFIX: &str = ".asimap-tmp.";

/// The prefix of the short-lived file a dot lock is `link()`ed from.
pub const DOT_LOCK_TEMP_PREFIX: &str = ".lk.asimap.";

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
    pub fn same_message(&self, other: &Identity) -> bool {
        if self.dev != other.dev || self.ino != other.ino {
            return false;
        }
        match (self.btime_ns, other.btime_ns) {
            (Some(a), Some(b)) => a == b,
            _ => self.size == other.size && self.mtime_ns == other.mtime_ns,
        }
    }

    /// The identity described by file metadata (`statx` underneath: std
    /// asks for the birth time and reports it where the filesystem has one).
    pub fn from_metadata(meta: &Metadata) -> Identity {
        Identity {
            dev: meta.dev(),
            ino: meta.ino(),
            btime_ns: meta.created().ok().and_then(nanos_since_epoch),
            size: meta.len(),
            mtime_ns: meta
                .mtime()
                .saturating_mul(1_000_000_000)
                .saturating_add(meta.mtime_nsec()),
        }
    }
}

/// Nanoseconds since the epoch, negative before it; `None` on overflow.
fn nanos_since_epoch(t: SystemTime) -> Option<i64> {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).ok(),
        Err(e) => i64::try_from(e.duration().as_nanos()).ok().map(|n| -n),
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

/// The message number a directory entry name stands for, if any:
/// `^[1-9][0-9]*$` and at most [`MAX_MSG`].
pub fn parse_number(name: &str) -> Option<MsgNum> {
    let first = name.bytes().next()?;
    if !(b'1'..=b'9').contains(&first) || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse::<MsgNum>().ok().filter(|n| *n <= MAX_MSG)
}

/// Lists the messages of a folder directory: regular files (symlinks are
/// followed) named `^[1-9][0-9]*$` below 2^31 - 200, sorted by number.
/// Everything else is ignored.
pub fn scan(dir: &Path) -> Result<Vec<MsgFile>, MhError> {
    let mut out = Vec::new();
    for number in numbers(dir)? {
        // None: removed (or renamed by folder -pack) since readdir, or
        // not a regular file.
        if let Some(m) = stat_message(dir, number)? {
            out.push(m);
        }
    }
    Ok(out)
}

/// The numbered names in `dir` with the inode numbers readdir reports,
/// sorted by number, without a stat: the cheap first step of a sync (only
/// new or changed entries need [`stat_message`]). The inode of a symlink is
/// the link's own; the type is not checked (a directory named `456` is
/// listed; [`stat_message`] drops it).
pub fn list_numbers(dir: &Path) -> Result<Vec<(MsgNum, u64)>, MhError> {
    let entries = std::fs::read_dir(dir).map_err(|e| match e.kind() {
        ErrorKind::NotFound => MhError::NoFolder(dir.display().to_string()),
        _ => MhError::io(dir, e),
    })?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| MhError::io(dir, e))?;
        if let Some(n) = entry.file_name().to_str().and_then(parse_number) {
            out.push((n, entry.ino()));
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// The message file `n` of `dir` (symlinks followed); `None` when it is
/// missing or not a regular file.
pub fn stat_message(dir: &Path, n: MsgNum) -> Result<Option<MsgFile>, MhError> {
    let path = dir.join(n.to_string());
    match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => Ok(Some(MsgFile {
            number: n,
            identity: Identity::from_metadata(&m),
        })),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(MhError::io(&path, e)),
    }
}

/// The numbers named in `dir`, sorted, without looking at file types.
fn numbers(dir: &Path) -> Result<Vec<MsgNum>, MhError> {
    Ok(list_numbers(dir)?.into_iter().map(|(n, _)| n).collect())
}

/// The identity of an open file.
pub fn identity_of(file: &File) -> Result<Identity, MhError> {
    let meta = file.metadata().map_err(|e| MhError::io("<open file>", e))?;
    Ok(Identity::from_metadata(&meta))
}

/// Opens message `n` and checks it is still `expected`; fails with
/// [`MhError::MessageGone`] when it vanished or another file took the
/// number.
pub fn open_checked(dir: &Path, n: MsgNum, expected: &Identity) -> Result<File, MhError> {
    let path = dir.join(n.to_string());
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(MhError::MessageGone(n)),
        Err(e) => return Err(MhError::io(&path, e)),
    };
    let meta = file.metadata().map_err(|e| MhError::io(&path, e))?;
    if !meta.is_file() || !Identity::from_metadata(&meta).same_message(expected) {
        return Err(MhError::MessageGone(n));
    }
    Ok(file)
}

/// Adds a message: writes `bytes` (already LF line ends) to a temporary
/// dot-file in `dir` with mode `Msg-Protect`, sets its mtime to `mtime`,
/// fsyncs it, `link()`s it to the next free number (retrying upwards on
/// EEXIST), removes the temporary name and fsyncs the directory.
///
/// `inc` writes straight into `hghmsg + 1` without `O_EXCL` and may
/// overwrite a message added in the window after its readdir
/// (mh-compat.md §4); guarding against that is the caller's business.
pub fn add(
    dir: &Path,
    profile: &Profile,
    bytes: &[u8],
    mtime: SystemTime,
) -> Result<MsgFile, MhError> {
    let temp = temp_path(dir);
    let result = write_and_link(dir, &temp, profile.msg_protect, bytes, mtime);
    remove_temp(&temp);
    let msg = result?;
    sync_dir(dir)?;
    Ok(msg)
}

/// A message written to its temporary file and made durable, not yet
/// linked to a number: its identity is known before any other process
/// can see it. The temporary is removed on drop.
pub struct Pending {
    temp: PathBuf,
    identity: Identity,
}

impl Pending {
    /// Writes `bytes` as [`add`] does, up to the link.
    pub fn write(
        dir: &Path,
        profile: &Profile,
        bytes: &[u8],
        mtime: SystemTime,
    ) -> Result<Pending, MhError> {
        let temp = temp_path(dir);
        // Built before writing, so that a failed write removes the file.
        let pending = Pending {
            temp,
            identity: Identity {
                dev: 0,
                ino: 0,
                btime_ns: None,
                size: 0,
                mtime_ns: 0,
            },
        };
        let mut pending = pending;
        pending.identity = write_temp(dir, &pending.temp, profile.msg_protect, bytes, mtime)?;
        Ok(pending)
    }

    /// The identity the message will have under its number.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Links the message to the next free number and makes the name
    /// durable.
    pub fn link(&self, dir: &Path) -> Result<MsgFile, MhError> {
        let number = link_next_free(dir, &self.temp)?;
        sync_dir(dir)?;
        Ok(MsgFile {
            number,
            identity: self.identity,
        })
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        remove_temp(&self.temp);
    }
}

/// Writes the temporary and links it to a free number.
fn write_and_link(
    dir: &Path,
    temp: &Path,
    mode: u32,
    bytes: &[u8],
    mtime: SystemTime,
) -> Result<MsgFile, MhError> {
    let identity = write_temp(dir, temp, mode, bytes, mtime)?;
    let number = link_next_free(dir, temp)?;
    Ok(MsgFile { number, identity })
}

/// Writes `bytes` to a new temporary file with `mode` and `mtime`, and
/// fsyncs it; returns its identity.
fn write_temp(
    dir: &Path,
    temp: &Path,
    mode: u32,
    bytes: &[u8],
    mtime: SystemTime,
) -> Result<Identity, MhError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(temp)
        .map_err(|e| match e.kind() {
            ErrorKind::NotFound => MhError::NoFolder(dir.display().to_string()),
            _ => MhError::io(dir, e),
        })?;
    let io = |e| MhError::io(temp, e);
    file.write_all(bytes).map_err(io)?;
    file.set_modified(mtime).map_err(io)?;
    file.sync_all().map_err(io)?;
    identity_of(&file)
}

/// Links `temp` to the number after the highest one in `dir`, stepping
/// upwards while the name is taken.
fn link_next_free(dir: &Path, temp: &Path) -> Result<MsgNum, MhError> {
    let highest = numbers(dir)?.into_iter().max().unwrap_or(0);
    link_from(dir, temp, highest)
}

/// A fresh temporary name in `dir`: `.asimap-tmp.<pid>.<unique>`.
fn temp_path(dir: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    dir.join(format!(
        "{TEMP_PREFIX}{}.{nanos:x}.{count:x}",
        std::process::id()
    ))
}

/// fsyncs a directory so that new names in it are durable.
fn sync_dir(dir: &Path) -> Result<(), MhError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| MhError::io(dir, e))
}

/// Copies message file `src` into `dir` as [`add`] does, keeping its mtime.
/// Within one filesystem the copy is a new file (a COPY must not share the
/// source's inode, so flags stay independent); the bytes are unchanged.
pub fn copy(src: &Path, dir: &Path, profile: &Profile) -> Result<MsgFile, MhError> {
    let bytes = std::fs::read(src).map_err(|e| MhError::io(src, e))?;
    let meta = std::fs::metadata(src).map_err(|e| MhError::io(src, e))?;
    let mtime = meta.modified().map_err(|e| MhError::io(src, e))?;
    add(dir, profile, &bytes, mtime)
}

/// Copies already opened (and identity-checked) messages into `dir` in one
/// batch, keeping their bytes and mtimes. Every copy is written to a
/// temporary dot-file, all of them are made durable with one `syncfs`
/// instead of one fsync each, then they are linked to consecutive free
/// numbers (stepping over names taken meanwhile) and the directory is
/// fsynced once. On failure no copy is left behind.
pub fn copy_batch(
    sources: Vec<File>,
    dir: &Path,
    profile: &Profile,
) -> Result<Vec<MsgFile>, MhError> {
    let mut temps = Vec::with_capacity(sources.len());
    let mut result = Ok(Vec::new());
    for src in sources {
        match write_temp_copy(src, dir, profile.msg_protect) {
            Ok(temp) => temps.push(temp),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    if result.is_ok() {
        result = sync_filesystem(dir).and_then(|()| link_all(dir, &temps));
    }
    for (temp, _) in &temps {
        remove_temp(temp);
    }
    let files = result?;
    if let Err(e) = sync_dir(dir) {
        unlink_numbers(dir, files.iter().map(|f| f.number));
        return Err(e);
    }
    Ok(files)
}

/// Writes one copy to a temporary file (not yet fsynced).
fn write_temp_copy(mut src: File, dir: &Path, mode: u32) -> Result<(PathBuf, Identity), MhError> {
    let mut bytes = Vec::new();
    src.read_to_end(&mut bytes)
        .map_err(|e| MhError::io(dir, e))?;
    let mtime = src
        .metadata()
        .and_then(|m| m.modified())
        .map_err(|e| MhError::io(dir, e))?;
    let temp = temp_path(dir);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&temp)
        .map_err(|e| match e.kind() {
            ErrorKind::NotFound => MhError::NoFolder(dir.display().to_string()),
            _ => MhError::io(dir, e),
        })?;
    let written = file
        .write_all(&bytes)
        .and_then(|()| file.set_modified(mtime));
    if let Err(e) = written {
        remove_temp(&temp);
        return Err(MhError::io(&temp, e));
    }
    let identity = identity_of(&file)?;
    Ok((temp, identity))
}

/// Flushes the filesystem holding `dir` (one call for a whole batch).
fn sync_filesystem(dir: &Path) -> Result<(), MhError> {
    let d = File::open(dir).map_err(|e| MhError::io(dir, e))?;
    nix::unistd::syncfs(&d).map_err(|e| MhError::io(dir, std::io::Error::from(e)))
}

/// Links every temporary to the next free numbers, reading the directory
/// once. On failure the links made so far are removed.
fn link_all(dir: &Path, temps: &[(PathBuf, Identity)]) -> Result<Vec<MsgFile>, MhError> {
    let mut n = numbers(dir)?.into_iter().max().unwrap_or(0);
    let mut files = Vec::with_capacity(temps.len());
    for (temp, identity) in temps {
        match link_from(dir, temp, n) {
            Ok(number) => {
                n = number;
                files.push(MsgFile {
                    number,
                    identity: *identity,
                });
            }
            Err(e) => {
                unlink_numbers(dir, files.iter().map(|f| f.number));
                return Err(e);
            }
        }
    }
    Ok(files)
}

/// Links `temp` to the first free number above `after`.
fn link_from(dir: &Path, temp: &Path, after: MsgNum) -> Result<MsgNum, MhError> {
    let mut n = after;
    loop {
        n = n
            .checked_add(1)
            .filter(|n| *n <= MAX_MSG)
            .ok_or_else(|| MhError::io(dir, std::io::Error::other("no message number left")))?;
        let target = dir.join(n.to_string());
        match std::fs::hard_link(temp, &target) {
            Ok(()) => return Ok(n),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(MhError::io(&target, e)),
        }
    }
}

/// Removes a temporary file, logging a failure.
fn remove_temp(temp: &Path) {
    match std::fs::remove_file(temp) {
        Err(e) if e.kind() != ErrorKind::NotFound => {
            log::warn!("{}: cannot remove temporary: {e}", temp.display());
        }
        _ => {}
    }
}

/// Unlinks numbered files this batch created.
fn unlink_numbers(dir: &Path, numbers: impl Iterator<Item = MsgNum>) {
    for n in numbers {
        let _ = std::fs::remove_file(dir.join(n.to_string()));
    }
}

/// Moves message `n` of `src_dir`, already opened and checked as `file`,
/// into `dst_dir` at the first free number above `after`, as `refile`
/// does: a hard link and an unlink of the old name (a copy through a
/// temporary file when the folders are on different filesystems). The
/// caller holds the source folder's sequence lock and fsyncs both
/// directories when its batch is done ([`sync_dirs`]). Fails with
/// [`MhError::MessageGone`] when the name no longer holds `file`.
pub fn move_into(
    src_dir: &Path,
    n: MsgNum,
    file: File,
    dst_dir: &Path,
    after: MsgNum,
) -> Result<MsgFile, MhError> {
    let src = src_dir.join(n.to_string());
    let identity = identity_of(&file)?;
    let number = match link_from(dst_dir, &src, after) {
        Ok(number) => number,
        Err(MhError::Io { source, .. }) if source.raw_os_error() == Some(libc::EXDEV) => {
            let mode = file.metadata().map_or(0o600, |m| m.mode() & 0o777);
            let (temp, _) = write_temp_copy(file, dst_dir, mode)?;
            let linked = link_from(dst_dir, &temp, after);
            remove_temp(&temp);
            let number = linked?;
            let copy = MsgFile {
                number,
                identity: stat_identity(dst_dir, number)?,
            };
            remove_source(&src)?;
            return Ok(copy);
        }
        Err(e) => return Err(e),
    };
    let linked = stat_identity(dst_dir, number)?;
    if !linked.same_message(&identity) {
        // Another file took the name between the check and the link.
        unlink_numbers(dst_dir, std::iter::once(number));
        return Err(MhError::MessageGone(n));
    }
    remove_source(&src)?;
    Ok(MsgFile { number, identity })
}

/// The identity of message `n` of `dir`.
fn stat_identity(dir: &Path, n: MsgNum) -> Result<Identity, MhError> {
    let path = dir.join(n.to_string());
    let meta = std::fs::metadata(&path).map_err(|e| MhError::io(&path, e))?;
    Ok(Identity::from_metadata(&meta))
}

/// Unlinks a moved message's old name; already gone is fine.
fn remove_source(path: &Path) -> Result<(), MhError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(MhError::io(path, e)),
    }
}

/// The highest message number in `dir` (0 when empty).
pub fn highest(dir: &Path) -> Result<MsgNum, MhError> {
    Ok(numbers(dir)?.into_iter().max().unwrap_or(0))
}

/// fsyncs directories so that new and removed names in them are durable.
pub fn sync_dirs(dirs: &[&Path]) -> Result<(), MhError> {
    dirs.iter().try_for_each(|d| sync_dir(d))
}

/// Removes messages as rmm would: runs the profile's `rmmproc` with the
/// folder as cwd and the numbers as arguments when one is set, else unlinks
/// them. Missing files are not an error.
///
/// nmh's `rmm` runs `rmmproc` without holding the folder's sequence lock
/// (measured: no lock in `/proc/locks` while it runs). Callers should do
/// the same when an rmmproc is set: one that runs nmh commands on the
/// folder would otherwise wait for our lock while we wait for it.
pub fn remove(dir: &Path, profile: &Profile, numbers: &[MsgNum]) -> Result<(), MhError> {
    if numbers.is_empty() {
        return Ok(());
    }
    if let Some(proc_line) = &profile.rmmproc {
        return run_rmmproc(dir, proc_line, numbers);
    }
    for n in numbers {
        let path = dir.join(n.to_string());
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(MhError::io(&path, e)),
        }
    }
    Ok(())
}

/// How many numbers go to one run of `rmmproc` (argv stays small).
const RMMPROC_BATCH: usize = 1000;

/// Runs `rmmproc` (split on white space, as nmh does) with the numbers,
/// in batches.
fn run_rmmproc(dir: &Path, proc_line: &str, numbers: &[MsgNum]) -> Result<(), MhError> {
    let mut words = proc_line.split_whitespace();
    let Some(program) = words.next() else {
        return Err(MhError::Rmmproc("empty rmmproc".to_string()));
    };
    let fixed: Vec<&str> = words.collect();
    for batch in numbers.chunks(RMMPROC_BATCH) {
        let status = Command::new(program)
            .args(&fixed)
            .args(batch.iter().map(|n| n.to_string()))
            .current_dir(dir)
            .stdin(std::process::Stdio::null())
            .status()
            .map_err(|e| MhError::Rmmproc(format!("{program}: {e}")))?;
        if !status.success() {
            return Err(MhError::Rmmproc(format!("{program}: {status}")));
        }
    }
    Ok(())
}

/// Removes temporary dot-files this server left behind (crash safety),
/// older than `min_age` seconds.
///
/// A temporary whose writer is still running (its pid is in the name) is
/// kept unless it is older than a day, which covers pid reuse.
pub fn clean_temporaries(dir: &Path, min_age_secs: u64) -> Result<usize, MhError> {
    let entries = std::fs::read_dir(dir).map_err(|e| MhError::io(dir, e))?;
    let min_age = Duration::from_secs(min_age_secs);
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(|e| MhError::io(dir, e))?;
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(temp_rest) else {
            continue;
        };
        let Some(age) = age_of(&entry.path()) else {
            continue;
        };
        let writer_alive = writer_pid(rest).is_some_and(process_alive);
        let abandoned = !writer_alive || age > Duration::from_secs(86_400);
        if age >= min_age && abandoned && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

/// How long ago a file's inode last changed. The ctime, not the mtime:
/// [`add`] sets the mtime to the message's date, which may be old.
fn age_of(path: &Path) -> Option<Duration> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()?;
    let ctime = u64::try_from(meta.ctime()).ok()?;
    Some(Duration::from_secs(now.as_secs().saturating_sub(ctime)))
}

/// What follows the prefix of one of our temporary names: a message
/// being added, or the link source of a dot lock (`lock.rs`).
fn temp_rest(name: &str) -> Option<&str> {
    name.strip_prefix(TEMP_PREFIX)
        .or_else(|| name.strip_prefix(DOT_LOCK_TEMP_PREFIX))
}

/// The pid part of a temporary name (after the prefix).
fn writer_pid(rest: &str) -> Option<u32> {
    rest.split('.').next()?.parse().ok()
}

/// True when a process with this pid exists (on this host).
fn process_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}
