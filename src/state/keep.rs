//! Kept copies of messages just added to a folder, for the guard against
//! inc's overwrite (`guard`, mh-compat.md §4). inc truncates and rewrites
//! the very inode we linked, so the message's bytes must live on in
//! another inode until the danger has passed: a file in the keep
//! directory beside the state file (`<state file>-keep`, a dot-name in the
//! mail root by default, which nmh never looks at).
//!
//! Kept copies are never fsynced: they only matter if inc strikes within
//! seconds, and a crash in that window loses no more than nmh's own race.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use nix::fcntl::{AT_FDCWD, AtFlags};
use nix::unistd::linkat;

use crate::mh::{Identity, MhError};

/// A kept file without a guard naming it is removed once its inode has
/// not changed for this long (a session that died between writing it and
/// recording the guard).
const ORPHAN_AGE: Duration = Duration::from_secs(3600);

/// Tells kept files of one process apart.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The keep directory of the state file `state`.
pub(super) fn dir_of(state: &Path) -> PathBuf {
    let mut name = state.file_name().unwrap_or_default().to_os_string();
    name.push("-keep");
    state.with_file_name(name)
}

/// A fresh file name in the keep directory.
fn new_name() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}-{}-{n}", std::process::id(), super::stamp::now_ns())
}

/// Creates the keep directory (owner only) if it is missing.
fn ensure_dir(dir: &Path) -> Result<(), MhError> {
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(MhError::io(dir, e)),
    }
}

/// Keeps `bytes` in a new file; returns its name.
pub(super) fn write(dir: &Path, bytes: &[u8]) -> Result<String, MhError> {
    ensure_dir(dir)?;
    let name = new_name();
    let path = dir.join(&name);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| MhError::io(&path, e))?;
    if let Err(e) = file.write_all(bytes) {
        let _ = std::fs::remove_file(&path);
        return Err(MhError::io(&path, e));
    }
    Ok(name)
}

/// Keeps the message open as `file` (which a COPY reads and does not
/// change): a second hard link to its inode where the keep directory is
/// on the same filesystem (through `/proc/self/fd`, so that it is exactly
/// the inode we opened, whatever nmh renamed meanwhile), else a copy of
/// its bytes. The file's offset is back at the start afterwards.
pub(super) fn link_or_copy(dir: &Path, file: &mut File) -> Result<String, MhError> {
    ensure_dir(dir)?;
    let name = new_name();
    let target = dir.join(&name);
    let fd_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    if linkat(
        AT_FDCWD,
        fd_path.as_str(),
        AT_FDCWD,
        &target,
        AtFlags::AT_SYMLINK_FOLLOW,
    )
    .is_ok()
    {
        return Ok(name);
    }
    copy_from(dir, file)
}

/// Keeps a byte copy of the message open as `file` (a MOVE links that
/// very inode into the destination, where inc could overwrite it). The
/// file's offset is back at the start afterwards.
pub(super) fn copy_from(dir: &Path, file: &mut File) -> Result<String, MhError> {
    ensure_dir(dir)?;
    let name = new_name();
    let path = dir.join(&name);
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| MhError::io(&path, e))?;
    let copied = file
        .seek(SeekFrom::Start(0))
        .and_then(|_| std::io::copy(file, &mut out))
        .and_then(|_| file.seek(SeekFrom::Start(0)));
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&path);
        return Err(MhError::io(&path, e));
    }
    Ok(name)
}

/// The name of the witness of kept copy `keep`: a second hard link to the
/// very inode the message was added as. When the message is gone from
/// its folder, the witness tells whether inc wrote over it first (its
/// content changed: the message was lost to inc, and is added again) or
/// it was removed as it was (by EXPUNGE, `rmm` or `refile`).
fn witness_name(keep: &str) -> String {
    format!("{keep}.w")
}

/// Links the message file at `path` as the witness of `keep` if it is
/// still the inode `id`; false when it cannot (another filesystem, say),
/// and the guard then does without.
pub(super) fn add_witness(dir: &Path, keep: &str, path: &Path, id: &Identity) -> bool {
    let target = dir.join(witness_name(keep));
    if std::fs::hard_link(path, &target).is_err() {
        return false;
    }
    match witness(dir, keep) {
        Some(w) if w.same_message(id) => true,
        _ => {
            // Renamed meanwhile: another file was linked.
            remove_file(&target);
            false
        }
    }
}

/// The witness of `keep` as it is now; `None` when there is none.
pub(super) fn witness(dir: &Path, keep: &str) -> Option<Identity> {
    let meta = std::fs::metadata(dir.join(witness_name(keep))).ok()?;
    Some(Identity::from_metadata(&meta))
}

/// Removes the witness of `keep` (a repaired message gets a new one).
pub(super) fn remove_witness(dir: &Path, keep: &str) {
    remove_file(&dir.join(witness_name(keep)));
}

/// The bytes of a kept file.
pub(super) fn read(dir: &Path, name: &str) -> Result<Vec<u8>, MhError> {
    let path = dir.join(name);
    std::fs::read(&path).map_err(|e| MhError::io(&path, e))
}

/// Removes a kept file and its witness; already gone is fine.
pub(super) fn remove(dir: &Path, name: &str) {
    remove_file(&dir.join(name));
    remove_witness(dir, name);
}

/// Removes one file; already gone is fine.
fn remove_file(path: &Path) {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            log::warn!("{}: {e}", path.display());
        }
        _ => {}
    }
}

/// Removes kept files that no guard names (`in_use`) and whose inode has
/// not changed for [`ORPHAN_AGE`]; returns how many went.
pub(super) fn remove_orphans(dir: &Path, in_use: &[String]) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let now = super::stamp::now_ns();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let kept = name.strip_suffix(".w").unwrap_or(&name);
        if in_use.iter().any(|n| n == kept) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        // ctime: a hard link of an old message has an old mtime but a
        // ctime from the moment it was linked.
        let changed = meta.ctime() * 1_000_000_000 + meta.ctime_nsec();
        if now - changed >= ORPHAN_AGE.as_nanos() as i64 {
            remove_file(&dir.join(&name));
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn kept_copies_survive_an_overwrite_of_the_original() {
        let root = tempfile::tempdir().unwrap();
        let keep = dir_of(&root.path().join(".asimap.sqlite"));
        assert!(keep.ends_with(".asimap.sqlite-keep"));
        let msg = root.path().join("1");
        std::fs::write(&msg, b"ours\n").unwrap();

        let mut opened = File::open(&msg).unwrap();
        let linked = link_or_copy(&keep, &mut opened).unwrap();
        let copied = copy_from(&keep, &mut opened).unwrap();
        let mut rest = String::new();
        opened.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "ours\n", "offset back at the start");
        let written = write(&keep, b"bytes\n").unwrap();

        // A hard link shares the inode: a COPY keeps its *source* so.
        let src_ino = std::fs::metadata(&msg).unwrap().ino();
        let link_ino = std::fs::metadata(keep.join(&linked)).unwrap().ino();
        assert_eq!(src_ino, link_ino);
        // inc's O_TRUNC rewrite of the moved inode leaves the copy alone.
        std::fs::write(&msg, b"inc's\n").unwrap();
        assert_eq!(read(&keep, &copied).unwrap(), b"ours\n");
        assert_eq!(read(&keep, &written).unwrap(), b"bytes\n");

        assert_eq!(remove_orphans(&keep, &[]), 0, "young files stay");
        remove(&keep, &written);
        remove(&keep, &written);
        assert!(read(&keep, &written).is_err());
    }
}
