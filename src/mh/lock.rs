//! nmh-compatible locks on `.mh_sequences` (mh-compat.md §3): fcntl, lockf,
//! flock and dot-file, taken non-blocking and retried with a growing sleep.
//!
//! fcntl and lockf both become an open-file-description (OFD) write lock
//! over the whole file: it conflicts with nmh's classic POSIX locks (measured
//! in mh-compat.md §3a), is not dropped when another descriptor of the same
//! file is closed, and is released when the [`FileLock`] is dropped. nmh's
//! lockf locks from the current offset, which is 0 right after open, so the
//! whole-file lock covers it.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, Flock, FlockArg};

use super::MhError;
use super::message::DOT_LOCK_TEMP_PREFIX;

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

/// First sleep between two attempts.
const FIRST_SLEEP: Duration = Duration::from_millis(5);
/// Longest sleep between two attempts.
const MAX_SLEEP: Duration = Duration::from_millis(200);
/// A dot lock older than this is taken to be left by a crashed process.
const DOT_STALE_AFTER: Duration = Duration::from_secs(300);

/// A held lock on one file; released on drop.
#[derive(Debug)]
pub struct FileLock {
    held: Held,
}

/// What keeps the lock alive.
#[derive(Debug)]
enum Held {
    /// An OFD lock, released when the file is closed.
    Fcntl(File),
    /// A BSD lock, released by [`Flock`]'s drop.
    Flock(Flock<File>),
    /// A dot-file, unlinked on drop.
    Dot { file: File, lock_path: PathBuf },
}

/// The result of one non-blocking attempt.
enum Attempt {
    Locked(FileLock),
    Busy,
    /// The file does not exist (only when not creating it).
    Missing,
}

impl FileLock {
    /// Locks `path` for writing with `method`, creating the file if missing
    /// (without truncating it). Retries with a growing sleep until `timeout`,
    /// then fails with [`MhError::LockBusy`].
    pub fn acquire(
        path: &Path,
        method: LockMethod,
        timeout: Duration,
    ) -> Result<FileLock, MhError> {
        match FileLock::retry(path, method, timeout, Create::Yes)? {
            Some(lock) => Ok(lock),
            // Unreachable: with Create::Yes a missing file is created.
            None => Err(MhError::io(path, std::io::ErrorKind::NotFound.into())),
        }
    }

    /// Like [`FileLock::acquire`], but never creates the file: `None` when
    /// it does not exist, as nmh goes on without a lock then. For readers,
    /// which should not add a file (and change the folder's mtime) only to
    /// look at it.
    pub fn acquire_existing(
        path: &Path,
        method: LockMethod,
        timeout: Duration,
    ) -> Result<Option<FileLock>, MhError> {
        FileLock::retry(path, method, timeout, Create::No)
    }

    /// The retry loop with a growing sleep.
    fn retry(
        path: &Path,
        method: LockMethod,
        timeout: Duration,
        create: Create,
    ) -> Result<Option<FileLock>, MhError> {
        let start = Instant::now();
        let mut sleep = FIRST_SLEEP;
        loop {
            match try_once(path, method, create)? {
                Attempt::Locked(lock) => return Ok(Some(lock)),
                Attempt::Missing => return Ok(None),
                Attempt::Busy => {}
            }
            let left = timeout.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Err(MhError::LockBusy(path.to_path_buf()));
            }
            std::thread::sleep(sleep.min(left));
            sleep = (sleep * 2).min(MAX_SLEEP);
        }
    }

    /// The locked file, open read-write (for the fcntl, lockf and flock
    /// methods; for dot locking, the file opened after the lock was made).
    pub fn file(&mut self) -> &mut File {
        match &mut self.held {
            Held::Fcntl(f) => f,
            Held::Flock(f) => f,
            Held::Dot { file, .. } => file,
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        if let Held::Dot { lock_path, .. } = &self.held {
            // Nothing useful can be done if this fails; a stale dot lock
            // is broken by age later.
            let _ = std::fs::remove_file(lock_path);
        }
    }
}

/// Whether a missing file is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Create {
    Yes,
    No,
}

/// One attempt with `method`.
fn try_once(path: &Path, method: LockMethod, create: Create) -> Result<Attempt, MhError> {
    match method {
        LockMethod::Fcntl | LockMethod::Lockf => try_fcntl(path, create),
        LockMethod::Flock => try_flock(path, create),
        LockMethod::Dot => try_dot(path, create),
    }
}

/// Opens `path` read-write; when creating, without truncation. `None`
/// when it is missing and not to be created.
fn open_rw(path: &Path, create: Create) -> Result<Option<File>, MhError> {
    let opened = OpenOptions::new()
        .read(true)
        .write(true)
        .create(create == Create::Yes)
        .truncate(false)
        .mode(0o600)
        .open(path);
    match opened {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create == Create::No => Ok(None),
        Err(e) => Err(MhError::io(path, e)),
    }
}

/// True when `path` still names the open file. nmh unlinks the sequence
/// file when the last sequence goes, so a lock won on an inode that is no
/// longer linked there protects nothing and must be taken again.
fn still_linked(path: &Path, file: &File) -> Result<bool, MhError> {
    let open = file.metadata().map_err(|e| MhError::io(path, e))?;
    match std::fs::metadata(path) {
        Ok(now) => Ok(now.dev() == open.dev() && now.ino() == open.ino()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(MhError::io(path, e)),
    }
}

/// An OFD write lock over the whole file, non-blocking.
fn try_fcntl(path: &Path, create: Create) -> Result<Attempt, MhError> {
    let Some(file) = open_rw(path, create)? else {
        return Ok(Attempt::Missing);
    };
    let whole = libc::flock {
        l_type: libc::F_WRLCK as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    };
    match nix::fcntl::fcntl(&file, FcntlArg::F_OFD_SETLK(&whole)) {
        Ok(_) => {}
        Err(Errno::EAGAIN | Errno::EACCES) => return Ok(Attempt::Busy),
        Err(e) => return Err(MhError::io(path, e.into())),
    }
    if !still_linked(path, &file)? {
        return Ok(Attempt::Busy);
    }
    Ok(Attempt::Locked(FileLock {
        held: Held::Fcntl(file),
    }))
}

/// A BSD exclusive lock, non-blocking.
fn try_flock(path: &Path, create: Create) -> Result<Attempt, MhError> {
    let Some(file) = open_rw(path, create)? else {
        return Ok(Attempt::Missing);
    };
    let locked = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(l) => l,
        Err((_, Errno::EWOULDBLOCK)) => return Ok(Attempt::Busy),
        Err((_, e)) => return Err(MhError::io(path, e.into())),
    };
    if !still_linked(path, &locked)? {
        return Ok(Attempt::Busy);
    }
    Ok(Attempt::Locked(FileLock {
        held: Held::Flock(locked),
    }))
}

/// A dot lock: a unique temporary file `link()`ed to `FILE.lock`.
fn try_dot(path: &Path, create: Create) -> Result<Attempt, MhError> {
    if create == Create::No && !path.exists() {
        return Ok(Attempt::Missing);
    }
    let lock_path = dot_lock_path(path);
    let temp = unique_temp(&lock_path);
    write_temp(&temp)?;
    let linked = std::fs::hard_link(&temp, &lock_path);
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            break_if_stale(&lock_path);
            return Ok(Attempt::Busy);
        }
        Err(e) => return Err(MhError::io(&lock_path, e)),
    }
    let file = match open_rw(path, create) {
        Ok(Some(f)) => f,
        Ok(None) => {
            let _ = std::fs::remove_file(&lock_path);
            return Ok(Attempt::Missing);
        }
        Err(e) => {
            let _ = std::fs::remove_file(&lock_path);
            return Err(e);
        }
    };
    Ok(Attempt::Locked(FileLock {
        held: Held::Dot { file, lock_path },
    }))
}

/// `FILE.lock`
fn dot_lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

/// A name beside the lock that no other process or attempt uses.
fn unique_temp(lock_path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = lock_path.parent().unwrap_or(Path::new("."));
    let pid = std::process::id();
    dir.join(format!("{DOT_LOCK_TEMP_PREFIX}{pid}.{count}"))
}

/// Creates the temporary with our pid inside (as liblockfile does).
fn write_temp(temp: &Path) -> Result<(), MhError> {
    let create = || {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(temp)
    };
    let mut f = match create() {
        // Left by a crashed process that had our pid: ours to replace.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let _ = std::fs::remove_file(temp);
            create()
        }
        other => other,
    }
    .map_err(|e| MhError::io(temp, e))?;
    writeln!(f, "{}", std::process::id()).map_err(|e| MhError::io(temp, e))
}

/// Removes a dot lock whose mtime is older than [`DOT_STALE_AFTER`].
fn break_if_stale(lock_path: &Path) {
    let Ok(meta) = std::fs::metadata(lock_path) else {
        return;
    };
    let age = meta.modified().ok().and_then(|m| m.elapsed().ok());
    if age.is_some_and(|a| a > DOT_STALE_AFTER) {
        log::warn!("breaking stale dot lock {}", lock_path.display());
        let _ = std::fs::remove_file(lock_path);
    }
}
