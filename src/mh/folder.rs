//! Folders: name validation, discovery (with symlink loop detection),
//! create, delete, rename.

use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::message::{DOT_LOCK_TEMP_PREFIX, TEMP_PREFIX, parse_number};
use super::profile::Profile;
use super::{MhError, context};

/// How deep [`list`] descends; deeper folders are not listed.
const MAX_DEPTH: usize = 64;

/// The most folders [`list`] returns: symlinks that are not loops can
/// still multiply the names of one tree (`a/l1` and `a/l2` both to `b`,
/// and so on down), so the walk stops here.
const MAX_FOLDERS: usize = 100_000;

/// A validated folder name relative to the mail root, `/`-separated, UTF-8:
/// no empty, `.`/`..` or dot-leading component, no all-digit component, no
/// NUL, not absolute.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FolderName(String);

impl FolderName {
    /// Validates a name.
    pub fn new(name: &str) -> Result<FolderName, MhError> {
        let bad = || MhError::BadName(name.escape_debug().to_string());
        if name.is_empty() || name.contains('\0') || name.starts_with('/') {
            return Err(bad());
        }
        if !name.split('/').all(component_ok) {
            return Err(bad());
        }
        Ok(FolderName(name.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The directory under `root`.
    pub fn path(&self, root: &Path) -> PathBuf {
        root.join(&self.0)
    }

    /// The parent folder's name, if this is a subfolder.
    pub fn parent(&self) -> Option<FolderName> {
        self.0
            .rsplit_once('/')
            .map(|(p, _)| FolderName(p.to_string()))
    }

    /// The name of subfolder `leaf` (itself validated).
    pub fn child(&self, leaf: &str) -> Result<FolderName, MhError> {
        FolderName::new(&format!("{}/{leaf}", self.0))
    }
}

impl std::fmt::Display for FolderName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// True when one `/`-separated component is acceptable: not empty, not
/// starting with `.` (covers `.` and `..`), not all digits (MH would read
/// it as a message).
fn component_ok(c: &str) -> bool {
    !c.is_empty() && !c.starts_with('.') && !c.bytes().all(|b| b.is_ascii_digit())
}

/// A folder found by [`list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderEntry {
    /// Its name.
    pub name: FolderName,
    /// True when it has subfolders.
    pub has_children: bool,
}

/// Every folder under the root, skipping dot-names and all-digit names,
/// following symlinks with (dev, ino) loop detection. Sorted by name (byte
/// order of the whole name, as `flist` does; a parent precedes its
/// subfolders), after the profile's `Flist-Order` ranks when set.
///
/// A symlink that leads back to one of its own ancestors is not listed at
/// all: it would make the same messages appear under endless names.
pub fn list(profile: &Profile) -> Result<Vec<FolderEntry>, MhError> {
    let root = &profile.path;
    let meta = std::fs::metadata(root).map_err(|e| MhError::io(root, e))?;
    let mut walk = Walk {
        out: Vec::new(),
        ancestors: vec![(meta.dev(), meta.ino())],
    };
    walk.dir(root, None)?;
    let mut out = walk.out;
    // Byte order of the whole name, as flist sorts (a parent comes before
    // its children); Flist-Order ranks go first.
    out.sort_by_cached_key(|e| {
        (
            priority(&profile.flist_order, e.name.as_str()),
            e.name.clone(),
        )
    });
    Ok(out)
}

/// A directory's (st_dev, st_ino).
type DevIno = (u64, u64);

/// The state of a [`list`] walk.
struct Walk {
    out: Vec<FolderEntry>,
    /// (dev, ino) of the directories from the root to the current one.
    ancestors: Vec<DevIno>,
}

impl Walk {
    /// Lists the subfolders of `dir` (named `parent` or the root) and
    /// below; returns whether there was any.
    fn dir(&mut self, dir: &Path, parent: Option<&FolderName>) -> Result<bool, MhError> {
        let mut found = false;
        for (leaf, dev_ino) in subdirs(dir)? {
            let name = match parent {
                Some(p) => p.child(&leaf),
                None => FolderName::new(&leaf),
            };
            let Ok(name) = name else { continue };
            if self.out.len() >= MAX_FOLDERS {
                log::warn!("more than {MAX_FOLDERS} folders, listing stops at {name}");
                break;
            }
            if self.ancestors.contains(&dev_ino) {
                log::debug!("folder {name} loops back to an ancestor, skipped");
                continue;
            }
            found = true;
            let index = self.out.len();
            self.out.push(FolderEntry {
                name: name.clone(),
                has_children: false,
            });
            if self.ancestors.len() < MAX_DEPTH {
                self.ancestors.push(dev_ino);
                let children = self.dir(&dir.join(&leaf), Some(&name));
                self.ancestors.pop();
                self.out[index].has_children = children?;
            }
        }
        Ok(found)
    }
}

/// The directories (symlinks followed) in `dir` whose names could be
/// folders, sorted by name, with their (dev, ino).
fn subdirs(dir: &Path) -> Result<Vec<(String, DevIno)>, MhError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        // A subfolder removed or made unreadable during the walk.
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) if e.kind() == ErrorKind::PermissionDenied => return Ok(Vec::new()),
        Err(e) => return Err(MhError::io(dir, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| MhError::io(dir, e))?;
        let Ok(leaf) = entry.file_name().into_string() else {
            continue;
        };
        if !component_ok(&leaf) {
            continue;
        }
        // A regular file cannot be a folder; skip the stat for it.
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let Ok(meta) = std::fs::metadata(entry.path()) else {
            continue;
        };
        if meta.is_dir() {
            out.push((leaf, (meta.dev(), meta.ino())));
        }
    }
    out.sort();
    Ok(out)
}

/// A folder's rank under `Flist-Order` (lower first): the index of the
/// longest matching pattern; after every pattern when none matches.
fn priority(patterns: &[String], name: &str) -> usize {
    let mut best: Option<(usize, usize)> = None;
    for (i, p) in patterns.iter().enumerate() {
        if glob_match(p.as_bytes(), name.as_bytes()) && best.is_none_or(|(len, _)| p.len() > len) {
            best = Some((p.len(), i));
        }
    }
    best.map_or(patterns.len(), |(_, i)| i)
}

/// `*`-only glob matching (iterative, with one backtrack point).
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|b| *b == b'*')
}

/// Creates a folder and any missing parents with `Folder-Protect`.
pub fn create(profile: &Profile, name: &FolderName) -> Result<(), MhError> {
    let path = name.path(&profile.path);
    if let Some(parent) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(profile.folder_protect)
            .create(parent)
            .map_err(|e| MhError::io(parent, e))?;
    }
    match std::fs::DirBuilder::new()
        .mode(profile.folder_protect)
        .create(&path)
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            Err(MhError::FolderExists(name.to_string()))
        }
        Err(e) => Err(MhError::io(&path, e)),
    }
}

/// Deletes a folder as `rmf` does: its private sequences in the context,
/// its messages, backups and sequence file; the directory itself only when
/// nothing else (subfolders) remains. Returns true when the directory was
/// removed. A symlinked folder loses only its link.
///
/// The private sequences go first, so that a busy context leaves the
/// folder whole; a folder made again later under the name must not find
/// them (nmh would show its messages in them).
pub fn delete(profile: &Profile, name: &FolderName) -> Result<bool, MhError> {
    let path = name.path(&profile.path);
    if !path.is_dir() {
        return Err(MhError::NoFolder(name.to_string()));
    }
    context::update(profile, context::LOCK_WAIT, |c| c.remove_folder(&path))?;
    if path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        return remove_link(&path, name);
    }
    let entries = std::fs::read_dir(&path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => MhError::NoFolder(name.to_string()),
        _ => MhError::io(&path, e),
    })?;
    for entry in entries {
        let entry = entry.map_err(|e| MhError::io(&path, e))?;
        let leaf = entry.file_name();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir || !rmf_removes(&leaf.to_string_lossy(), profile) {
            continue;
        }
        match std::fs::remove_file(entry.path()) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(MhError::io(entry.path(), e)),
        }
    }
    match std::fs::remove_dir(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::DirectoryNotEmpty => Ok(false),
        Err(e) => Err(MhError::io(&path, e)),
    }
}

/// Deletes a symlinked folder by removing the link only: the folder it
/// points to lives on under its own name.
fn remove_link(path: &Path, name: &FolderName) -> Result<bool, MhError> {
    if !path.is_dir() {
        return Err(MhError::NoFolder(name.to_string()));
    }
    std::fs::remove_file(path).map_err(|e| MhError::io(path, e))?;
    Ok(true)
}

/// True for the files `rmf` removes, plus this server's temporaries.
fn rmf_removes(leaf: &str, profile: &Profile) -> bool {
    parse_number(leaf).is_some()
        || leaf.starts_with(',')
        || leaf.starts_with(TEMP_PREFIX)
        || leaf.starts_with(DOT_LOCK_TEMP_PREFIX)
        || profile.sequences_file.as_deref() == Some(leaf)
}

/// Renames a folder (with its subfolders); fails if the target exists.
/// Creates missing parents of the target. The private sequences of the
/// folder and its subfolders follow it in the context; when the context
/// cannot be written the folder is renamed back.
pub fn rename(profile: &Profile, from: &FolderName, to: &FolderName) -> Result<(), MhError> {
    move_dir(profile, from, to)?;
    let (old, new) = (from.path(&profile.path), to.path(&profile.path));
    let moved = context::update(profile, context::LOCK_WAIT, |c| {
        c.rename_folder(&old, &new, true)
    });
    let Err(e) = moved else {
        return Ok(());
    };
    if let Err(back) = rename_noreplace(&new, &old) {
        log::error!("{}: cannot rename back after {e}: {back}", new.display());
    }
    Err(e)
}

/// The directory part of [`rename`].
fn move_dir(profile: &Profile, from: &FolderName, to: &FolderName) -> Result<(), MhError> {
    let old = from.path(&profile.path);
    let new = to.path(&profile.path);
    if !old.is_dir() {
        return Err(MhError::NoFolder(from.to_string()));
    }
    if to.as_str().starts_with(&format!("{}/", from.as_str())) {
        return Err(MhError::BadName(to.to_string()));
    }
    if let Some(parent) = new.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(profile.folder_protect)
            .create(parent)
            .map_err(|e| MhError::io(parent, e))?;
    }
    rename_noreplace(&old, &new).map_err(|e| match e.kind() {
        ErrorKind::AlreadyExists => MhError::FolderExists(to.to_string()),
        ErrorKind::NotFound => MhError::NoFolder(from.to_string()),
        _ => MhError::io(&old, e),
    })
}

/// rename(2) that refuses to replace an existing target (renameat2
/// `RENAME_NOREPLACE`; where the filesystem lacks it, a check just before
/// a plain rename).
fn rename_noreplace(old: &Path, new: &Path) -> std::io::Result<()> {
    use nix::fcntl::{AT_FDCWD, RenameFlags, renameat2};
    match renameat2(AT_FDCWD, old, AT_FDCWD, new, RenameFlags::RENAME_NOREPLACE) {
        Ok(()) => Ok(()),
        Err(nix::errno::Errno::EINVAL | nix::errno::Errno::ENOSYS) => {
            if std::fs::symlink_metadata(new).is_ok() {
                return Err(ErrorKind::AlreadyExists.into());
            }
            std::fs::rename(old, new)
        }
        Err(e) => Err(e.into()),
    }
}

/// True when the folder directory exists.
pub fn exists(profile: &Profile, name: &FolderName) -> bool {
    name.path(&profile.path).is_dir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["inbox", "a/b", "with space", "a.b", "x1/2y", "Über"] {
            assert!(FolderName::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", ".", "..", "a/../b", "/abs", "a//b", "a/", ".hidden", "a/.b", "123", "a/45", "a\0b",
        ] {
            assert!(FolderName::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn flist_order_priority() {
        let pats: Vec<String> = ["personal", "mh*", "*", "admin", "*junk"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(priority(&pats, "personal"), 0);
        assert_eq!(priority(&pats, "mh-users"), 1);
        assert_eq!(priority(&pats, "other"), 2);
        assert_eq!(priority(&pats, "admin"), 3);
        assert_eq!(priority(&pats, "spamjunk"), 4);
        assert!(glob_match(b"a*b*c", b"aXXbYc"));
        assert!(!glob_match(b"a*b", b"aXXbc"));
    }
}
