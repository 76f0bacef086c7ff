//! The effective sequences of a folder: its public sequence file overlaid
//! by its private sequences from the context (a private sequence shadows a
//! public one of the same name, as in nmh), and the one read-modify-write
//! through which every writer changes them.
//!
//! A changed sequence is written back where it lives: a name that is
//! private for the folder stays private; any other goes to the public
//! file, or to the context when the profile keeps no public sequences
//! (`mh-sequences:` empty), as `inc` and `mark` do.
//!
//! Lock order: the folder's public sequence file first, then the context,
//! never the other way. The context lock is held for one read or one
//! read-modify-write and never while waiting for another lock. Private
//! sequences are read before the folder's lock is taken (a sync reads
//! them after releasing it), so that waiting for nmh to finish writing a
//! truncated context holds no folder up; the private changes are then
//! written while the folder's lock is still held, so that an nmh command
//! renumbering the folder (which waits for that lock) reads them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::context::{self, Context};
use super::lock::FileLock;
use super::{MhError, MsgNum, Profile, Sequences};

/// Read-modify-write of the effective sequences of the folder in `dir`:
/// the one way every writer changes them. Under nmh's lock on the public
/// sequence file (made when missing; no lock without public sequences)
/// the sequences are read, `change` runs, and each changed sequence is
/// written back where it lives. A failure to write the context is
/// returned after the public file was written.
pub fn update_folder<R>(
    profile: &Profile,
    dir: &Path,
    wait: Duration,
    change: impl FnOnce(&mut Sequences) -> R,
) -> Result<R, MhError> {
    let private = context::read(profile, wait)?.private(dir);
    let folder = Folder { profile, dir, wait };
    match profile.sequences_path(dir) {
        Some(path) => Sequences::update(&path, profile.locking, wait, |public| {
            folder.edit(public, &private, change)
        })?,
        None => folder.edit(&mut Sequences::default(), &private, change),
    }
}

/// A folder's sequences as a sync reads them.
#[derive(Debug, Clone, Default)]
pub struct FolderSeqs {
    /// The public sequences with the private ones laid over them: where
    /// the flags come from.
    pub effective: Sequences,
    /// [`Sequences::fingerprint`] of the folder's private sequences alone.
    pub private_print: u64,
}

impl FolderSeqs {
    /// Lays `private` over `public`.
    fn of(public: Sequences, private: &Sequences) -> FolderSeqs {
        FolderSeqs {
            private_print: private.fingerprint(),
            effective: overlay(public, private),
        }
    }
}

/// Reads the effective sequences of the folder in `dir` without the
/// folder's lock (for dot locking, whose lock file would change the
/// folder's stamp); bad lines are logged and skipped.
pub fn read_folder(profile: &Profile, dir: &Path) -> Result<FolderSeqs, MhError> {
    let public = match profile.sequences_path(dir) {
        Some(path) => {
            let (seqs, warnings) = Sequences::read(&path)?;
            for w in &warnings {
                log::warn!("{}: {w}", path.display());
            }
            seqs
        }
        None => Sequences::default(),
    };
    let private = context::read(profile, context::LOCK_WAIT)?.private(dir);
    Ok(FolderSeqs::of(public, &private))
}

/// The [`FolderSeqs::private_print`] of the folder in `dir` as the context
/// is now: one read of the context, which is all a sync needs when only
/// the context changed.
pub fn private_print(profile: &Profile, dir: &Path, wait: Duration) -> Result<u64, MhError> {
    Ok(context::read(profile, wait)?.private(dir).fingerprint())
}

/// nmh's lock on a folder's sequences, held while the folder is read as
/// a whole (a sync's snapshot), so that no nmh command renames messages
/// or rewrites sequences meanwhile. Never creates the sequence file: a
/// folder without one is read unlocked, as nmh itself works on it.
#[derive(Debug)]
pub struct FolderReadLock {
    /// The public sequence file and its lock, when it exists.
    held: Option<(PathBuf, FileLock)>,
    /// The folder.
    dir: PathBuf,
    /// How long to wait for the context.
    wait: Duration,
}

impl FolderReadLock {
    /// Takes the lock of the folder in `dir` when its sequence file
    /// exists.
    pub fn acquire(profile: &Profile, dir: &Path, wait: Duration) -> Result<Self, MhError> {
        let held = match profile.sequences_path(dir) {
            Some(path) => {
                FileLock::acquire_existing(&path, profile.locking, wait)?.map(|lock| (path, lock))
            }
            None => None,
        };
        Ok(FolderReadLock {
            held,
            dir: dir.to_path_buf(),
            wait,
        })
    }

    /// True when a lock is held (nmh cannot rename messages meanwhile).
    pub fn is_held(&self) -> bool {
        self.held.is_some()
    }

    /// Reads the public sequences through the held lock (closing another
    /// descriptor of the file could drop a classic POSIX lock), releases
    /// it, then overlays the private sequences from the context.
    pub fn read(self, profile: &Profile) -> Result<FolderSeqs, MhError> {
        let public = match self.held {
            Some((path, mut lock)) => Sequences::read_locked(&mut lock, &path)?.0,
            None => Sequences::default(),
        };
        let private = context::read(profile, self.wait)?.private(&self.dir);
        Ok(FolderSeqs::of(public, &private))
    }
}

/// The public sequences with the private ones laid over them.
fn overlay(mut public: Sequences, private: &Sequences) -> Sequences {
    for (name, members) in &private.entries {
        public.set(name, members.clone());
    }
    public
}

/// One folder's sequences being changed.
struct Folder<'a> {
    profile: &'a Profile,
    dir: &'a Path,
    wait: Duration,
}

impl Folder<'_> {
    /// Runs `change` on the effective sequences and writes back what it
    /// changed: into `public` (which the caller writes) and into the
    /// context.
    fn edit<R>(
        &self,
        public: &mut Sequences,
        private: &Sequences,
        change: impl FnOnce(&mut Sequences) -> R,
    ) -> Result<R, MhError> {
        let before = overlay(public.clone(), private);
        let mut after = before.clone();
        let result = change(&mut after);
        let changes = self.split(public, private, &before, &after);
        if !changes.is_empty() {
            self.write_private(&changes)?;
        }
        Ok(result)
    }

    /// Puts each changed public sequence into `public` and returns the
    /// changes of private ones. A private sequence's public namesake is
    /// dropped when the private one changes, as nmh drops it on save
    /// (otherwise it would show again once the private one is emptied).
    fn split(
        &self,
        public: &mut Sequences,
        private: &Sequences,
        before: &Sequences,
        after: &Sequences,
    ) -> Vec<PrivateChange> {
        let empty = BTreeSet::new();
        let mut changes = Vec::new();
        let names = before.entries.iter().chain(&after.entries);
        let mut seen = BTreeSet::new();
        for (name, _) in names {
            if !seen.insert(name.as_str()) {
                continue;
            }
            let was = before.get(name).unwrap_or(&empty);
            let now = after.get(name).unwrap_or(&empty);
            if was == now {
                continue;
            }
            let stays_private = private.get(name).is_some();
            if stays_private || self.profile.sequences_file.is_none() {
                public.remove_sequence(name);
                changes.push(PrivateChange {
                    name: name.clone(),
                    added: now.difference(was).copied().collect(),
                    removed: was.difference(now).copied().collect(),
                });
            } else {
                public.set(name, now.clone());
            }
        }
        changes
    }

    /// Applies the private changes to the context as it is now (so that
    /// an nmh change made since our read is kept).
    fn write_private(&self, changes: &[PrivateChange]) -> Result<(), MhError> {
        let written = context::update(self.profile, self.wait, |ctx| self.apply(ctx, changes))?;
        if !written {
            log::warn!(
                "{}: the folder's path cannot be named in the context; private sequences not saved",
                self.dir.display()
            );
        }
        Ok(())
    }

    /// The changes applied to one reading of the context; false when the
    /// folder's path cannot be written there.
    fn apply(&self, ctx: &mut Context, changes: &[PrivateChange]) -> bool {
        let current = ctx.private(self.dir);
        for c in changes {
            let mut members = current.get(&c.name).cloned().unwrap_or_default();
            members.extend(&c.added);
            members.retain(|n| !c.removed.contains(n));
            if !ctx.set_private(self.dir, &c.name, &members) {
                return false;
            }
        }
        true
    }
}

/// How one private sequence changed.
struct PrivateChange {
    name: String,
    added: BTreeSet<MsgNum>,
    removed: BTreeSet<MsgNum>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mail root with folder `inbox` holding `public` as its sequence
    /// file (none when empty) and `context` (`DIR` standing for the
    /// folder's path) as the context.
    fn setup(public: &str, context: &str) -> (tempfile::TempDir, Profile, PathBuf) {
        let root = tempfile::tempdir().unwrap();
        let profile = Profile::defaults(root.path().to_path_buf());
        let dir = root.path().join("inbox");
        std::fs::create_dir(&dir).unwrap();
        if !public.is_empty() {
            std::fs::write(dir.join(".mh_sequences"), public).unwrap();
        }
        let context = context.replace("DIR", &dir.display().to_string());
        std::fs::write(profile.context_path(), context).unwrap();
        (root, profile, dir)
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_default()
    }

    const WAIT: Duration = Duration::from_secs(5);

    #[test]
    fn a_change_goes_where_the_sequence_lives() {
        let (_root, profile, dir) = setup("unseen: 1-3\n", "A: b\natr-flagged-DIR: 2\n");
        let seen = update_folder(&profile, &dir, WAIT, |s| {
            let before = s.clone();
            s.add("flagged", 3);
            s.add("replied", 1);
            s.remove("unseen", 1);
            before
        })
        .unwrap();
        assert_eq!(seen.get("flagged"), Some(&BTreeSet::from([2])));
        assert_eq!(
            read(&dir.join(".mh_sequences")),
            "unseen: 2-3\nreplied: 1\n"
        );
        let expected = format!("A: b\natr-flagged-{}: 2-3\n", dir.display());
        assert_eq!(read(&profile.context_path()), expected);
        let all = read_folder(&profile, &dir).unwrap().effective;
        assert_eq!(all.get("flagged"), Some(&BTreeSet::from([2, 3])));
    }

    #[test]
    fn without_public_sequences_everything_is_private() {
        let (_root, mut profile, dir) = setup("", "Current-Folder: inbox\n");
        profile.sequences_file = None;
        update_folder(&profile, &dir, WAIT, |s| s.add("unseen", 4)).unwrap();
        assert!(!dir.join(".mh_sequences").exists());
        let expected = format!("Current-Folder: inbox\natr-unseen-{}: 4\n", dir.display());
        assert_eq!(read(&profile.context_path()), expected);
    }

    #[test]
    fn emptying_a_private_sequence_drops_its_public_namesake() {
        let (_root, profile, dir) = setup("flagged: 1\n", "atr-flagged-DIR: 3\n");
        let lock = FolderReadLock::acquire(&profile, &dir, WAIT).unwrap();
        assert!(lock.is_held());
        let seqs = lock.read(&profile).unwrap().effective;
        assert_eq!(seqs.get("flagged"), Some(&BTreeSet::from([3])), "shadowed");
        update_folder(&profile, &dir, WAIT, |s| s.remove("flagged", 3)).unwrap();
        assert_eq!(read(&profile.context_path()), "");
        assert!(!dir.join(".mh_sequences").exists(), "nothing public left");
        assert!(read_folder(&profile, &dir).unwrap().effective.is_empty());
    }

    #[test]
    fn the_private_print_follows_the_folders_own_fields_only() {
        let (_root, profile, dir) = setup("unseen: 1\n", "Current-Folder: a\natr-x-DIR: 1\n");
        let ctx = profile.context_path();
        let first = private_print(&profile, &dir, WAIT).unwrap();
        assert_eq!(read_folder(&profile, &dir).unwrap().private_print, first);
        let other = format!("atr-x-{}/sub: 2\n", dir.display());
        let mut text = read(&ctx).replace("Current-Folder: a", "Current-Folder: b");
        text.push_str(&other);
        std::fs::write(&ctx, &text).unwrap();
        assert_eq!(private_print(&profile, &dir, WAIT).unwrap(), first);
        update_folder(&profile, &dir, WAIT, |s| s.add("x", 2)).unwrap();
        assert_ne!(private_print(&profile, &dir, WAIT).unwrap(), first);
    }

    #[test]
    fn an_unchanged_folder_writes_nothing() {
        let (_root, profile, dir) = setup("unseen: 1\n", "atr-x-DIR: 1\n 2\n");
        let before = read(&profile.context_path());
        update_folder(&profile, &dir, WAIT, |s| s.add("x", 2)).unwrap();
        assert_eq!(read(&profile.context_path()), before, "continuation kept");
    }
}
