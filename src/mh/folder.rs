//! Folders: name validation, discovery (with symlink loop detection),
//! create, delete, rename.

use std::path::{Path, PathBuf};

use super::MhError;
use super::profile::Profile;

/// A validated folder name relative to the mail root, `/`-separated, UTF-8:
/// no empty, `.`/`..` or dot-leading component, no all-digit component, no
/// NUL, not absolute.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FolderName(String);

impl FolderName {
    /// Validates a name.
    pub fn new(_name: &str) -> Result<FolderName, MhError> {
        todo!("mh helper")
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The directory under `root`.
    pub fn path(&self, root: &Path) -> PathBuf {
        root.join(&self.0)
    }
}

/// A folder found by [`list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderEntry {
    /// Its name.
    pub name: FolderName,
    /// True when it has subfolders.
    pub has_children: bool,
}

/// Every folder under the root, depth first, skipping dot-names and
/// all-digit names, following symlinks with (dev, ino) loop detection.
/// Sorted by name, or by the profile's `Flist-Order` patterns when set.
pub fn list(_profile: &Profile) -> Result<Vec<FolderEntry>, MhError> {
    todo!("mh helper")
}

/// Creates a folder and any missing parents with `Folder-Protect`.
pub fn create(_profile: &Profile, _name: &FolderName) -> Result<(), MhError> {
    todo!("mh helper")
}

/// Deletes a folder as `rmf` does: its messages, backups and sequence file;
/// the directory itself only when nothing else (subfolders) remains.
/// Returns true when the directory was removed.
pub fn delete(_profile: &Profile, _name: &FolderName) -> Result<bool, MhError> {
    todo!("mh helper")
}

/// Renames a folder (with its subfolders); fails if the target exists.
/// Creates missing parents of the target.
pub fn rename(_profile: &Profile, _from: &FolderName, _to: &FolderName) -> Result<(), MhError> {
    todo!("mh helper")
}

/// True when the folder directory exists.
pub fn exists(profile: &Profile, name: &FolderName) -> bool {
    name.path(&profile.path).is_dir()
}
