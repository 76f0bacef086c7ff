//! The MH profile (`$MH` or `~/.mh_profile`): the keys asimap honours.

use std::path::{Path, PathBuf};

use super::MhError;
use super::lock::LockMethod;

/// The settings asimap takes from the MH profile.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The mail root (`Path`, relative to `$HOME`; default `~/Mail`).
    pub path: PathBuf,
    /// The `Inbox` folder name (default `inbox`).
    pub inbox: String,
    /// `mh-sequences`: the public sequence file's name; `None` when the
    /// profile sets it empty (no public sequences).
    pub sequences_file: Option<String>,
    /// `Unseen-Sequence` names; `unseen` when the key is absent.
    pub unseen: Vec<String>,
    /// `Sequence-Negation` prefix, if any.
    pub negation: Option<String>,
    /// `datalocking`
    pub locking: LockMethod,
    /// `Msg-Protect` (default 0o600).
    pub msg_protect: u32,
    /// `Folder-Protect` (default 0o700).
    pub folder_protect: u32,
    /// `rmmproc`, if set.
    pub rmmproc: Option<String>,
    /// `Flist-Order` patterns, in order.
    pub flist_order: Vec<String>,
}

impl Profile {
    /// Loads the profile: `$MH` (relative to the current directory), else
    /// `home/.mh_profile`. A missing profile gives the defaults with
    /// `path = home/Mail`. `mail_dir` (from `--mail-dir`) overrides `Path`.
    pub fn load(_home: &Path, _mh_env: Option<&Path>, _mail_dir: Option<&Path>) -> Result<Profile, MhError> {
        todo!("mh helper")
    }

    /// The defaults for a mail root, as if no profile existed.
    pub fn defaults(_path: PathBuf) -> Profile {
        todo!("mh helper")
    }
}
