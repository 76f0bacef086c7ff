//! The MH profile (`$MH` or `~/.mh_profile`): the keys asimap honours.
//!
//! The format is nmh's (mh-compat.md §1): `Key: value` lines, keys compared
//! without case, continuation lines starting with a space or a tab, `#:`
//! comment lines; the first occurrence of a key wins. Lines nmh would reject
//! (no colon, blank) are skipped here, since the profile is nmh's to police.

use std::path::{Path, PathBuf};

use super::MhError;
use super::lock::LockMethod;

/// The settings asimap takes from the MH profile.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The mail root (`Path`, relative to `$HOME`; default `~/Mail`),
    /// spelt as nmh spells it, since private sequences are named by it.
    pub path: PathBuf,
    /// The context file (`$MHCONTEXT`, else `context`; default `context`),
    /// relative to the mail root unless absolute; see
    /// [`Profile::context_path`].
    pub context: PathBuf,
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

/// The default context file, relative to the mail root.
pub const DEFAULT_CONTEXT: &str = "context";

/// The default public sequence file name (mh-compat.md §1: the man page's
/// `.mh-sequences` is a documentation bug).
pub const DEFAULT_SEQUENCES_FILE: &str = ".mh_sequences";

impl Profile {
    /// Loads the profile: `$MH` (relative to the current directory), else
    /// `home/.mh_profile`. A missing profile gives the defaults with
    /// `path = home/Mail`. `mail_dir` (from `--mail-dir`) overrides `Path`.
    pub fn load(
        home: &Path,
        mh_env: Option<&Path>,
        mail_dir: Option<&Path>,
    ) -> Result<Profile, MhError> {
        let file = match mh_env {
            Some(p) => p.to_path_buf(),
            None => home.join(".mh_profile"),
        };
        let text = match std::fs::read(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if mh_env.is_some() {
                    log::warn!("{}: no such profile, using defaults", file.display());
                }
                Vec::new()
            }
            Err(e) => {
                return Err(MhError::Profile {
                    path: file,
                    reason: e.to_string(),
                });
            }
        };
        let mut profile = Profile::from_text(&String::from_utf8_lossy(&text), home);
        if let Some(dir) = mail_dir {
            profile.path = dir.to_path_buf();
        }
        Ok(profile)
    }

    /// The defaults for a mail root, as if no profile existed.
    pub fn defaults(path: PathBuf) -> Profile {
        Profile {
            path,
            context: PathBuf::from(DEFAULT_CONTEXT),
            inbox: "inbox".to_string(),
            sequences_file: Some(DEFAULT_SEQUENCES_FILE.to_string()),
            unseen: vec!["unseen".to_string()],
            negation: None,
            locking: LockMethod::Fcntl,
            msg_protect: 0o600,
            folder_protect: 0o700,
            rmmproc: None,
            flist_order: Vec::new(),
        }
    }

    /// Builds a profile from the text of a profile file; relative `Path`
    /// values are taken relative to `home`.
    pub fn from_text(text: &str, home: &Path) -> Profile {
        let fields = parse_fields(text);
        let find = |key: &str| {
            fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.as_str())
        };
        let mut p = Profile::defaults(mail_root(home, "Mail"));
        if let Some(v) = find("Path").filter(|v| !v.is_empty()) {
            p.path = mail_root(home, v);
        }
        if let Some(v) = find("context").filter(|v| !v.is_empty()) {
            p.context = PathBuf::from(v);
        }
        if let Some(v) = find("Inbox").filter(|v| !v.is_empty()) {
            p.inbox = v.to_string();
        }
        if let Some(v) = find("mh-sequences") {
            p.sequences_file = (!v.is_empty()).then(|| v.to_string());
        }
        let unseen = words(find("Unseen-Sequence").unwrap_or(""));
        if !unseen.is_empty() {
            p.unseen = unseen;
        }
        p.negation = find("Sequence-Negation")
            .filter(|v| !v.is_empty())
            .map(str::to_string);
        p.locking = find("datalocking").map_or(LockMethod::Fcntl, lock_method);
        p.msg_protect = find("Msg-Protect").and_then(octal).unwrap_or(0o600);
        p.folder_protect = find("Folder-Protect").and_then(octal).unwrap_or(0o700);
        p.rmmproc = find("rmmproc")
            .filter(|v| !v.is_empty())
            .map(str::to_string);
        p.flist_order = words(find("Flist-Order").unwrap_or(""));
        p
    }

    /// Applies `$MHCONTEXT`, which overrides the profile's `context` when
    /// set and not empty (as in nmh).
    pub fn with_context_env(mut self, value: Option<&std::ffi::OsStr>) -> Profile {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            self.context = PathBuf::from(v);
        }
        self
    }

    /// The context file: [`Profile::context`] under the mail root unless
    /// it is absolute (nmh resolves `$MHCONTEXT` the same way).
    pub fn context_path(&self) -> PathBuf {
        self.path.join(&self.context)
    }

    /// The public sequence file of a folder directory, when the profile
    /// keeps public sequences.
    pub fn sequences_path(&self, dir: &Path) -> Option<PathBuf> {
        self.sequences_file.as_ref().map(|f| dir.join(f))
    }
}

/// The mail root for a `Path` value, spelt as nmh builds it (measured
/// with nmh 1.8): an absolute value as it is, a relative one after
/// `home` and a `/` (so a home ending in `/` gives `//`); one trailing
/// `/` is dropped. nmh names private sequences by this exact string.
fn mail_root(home: &Path, value: &str) -> PathBuf {
    let value = match value.len() > 1 {
        true => value.strip_suffix('/').unwrap_or(value),
        false => value,
    };
    if value.starts_with('/') {
        return PathBuf::from(value);
    }
    let mut root = home.as_os_str().to_os_string();
    root.push("/");
    root.push(value);
    PathBuf::from(root)
}

/// Splits profile text into (key, value) pairs in file order, joining
/// continuation lines with one space.
fn parse_fields(text: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut last_was_field = false;
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            let piece = line.trim();
            if let (true, false, Some((_, value))) =
                (last_was_field, piece.is_empty(), fields.last_mut())
            {
                if !value.is_empty() {
                    value.push(' ');
                }
                value.push_str(piece);
            }
            continue;
        }
        last_was_field = false;
        if line.starts_with("#:") {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        fields.push((key.trim().to_string(), value.trim().to_string()));
        last_was_field = true;
    }
    fields
}

/// Whitespace-separated words of a value.
fn words(value: &str) -> Vec<String> {
    value.split_whitespace().map(str::to_string).collect()
}

/// Parses an octal mode such as `0644`; `None` when malformed.
fn octal(value: &str) -> Option<u32> {
    u32::from_str_radix(value.trim(), 8)
        .ok()
        .filter(|m| *m <= 0o7777)
}

/// The `datalocking` method; nmh's default (fcntl) for unknown values.
fn lock_method(value: &str) -> LockMethod {
    match value.trim().to_ascii_lowercase().as_str() {
        "dot" => LockMethod::Dot,
        "flock" => LockMethod::Flock,
        "lockf" => LockMethod::Lockf,
        _ => LockMethod::Fcntl,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_first_wins() {
        let text = "path: M1\nPATH: M2\nUNSEEN-SEQUENCE: new\n  new2\n#: Inbox: x\n";
        let p = Profile::from_text(text, Path::new("/h"));
        assert_eq!(p.path, PathBuf::from("/h/M1"));
        assert_eq!(p.unseen, vec!["new", "new2"]);
        assert_eq!(p.inbox, "inbox");
    }

    #[test]
    fn mail_root_and_context_as_nmh_spells_them() {
        let p = Profile::from_text("Path: Mail/\n", Path::new("/h/"));
        assert_eq!(p.path.as_os_str(), "/h//Mail");
        assert_eq!(p.context_path(), PathBuf::from("/h//Mail/context"));
        let p = Profile::from_text("Path: /abs/./M/\ncontext: sub/ctx\n", Path::new("/h"));
        assert_eq!(p.path.as_os_str(), "/abs/./M");
        assert_eq!(p.context_path(), PathBuf::from("/abs/./M/sub/ctx"));
        let p = p.with_context_env(Some("/tmp/c".as_ref()));
        assert_eq!(p.context_path(), PathBuf::from("/tmp/c"));
        let p = p.with_context_env(Some("".as_ref()));
        assert_eq!(p.context_path(), PathBuf::from("/tmp/c"), "empty is unset");
    }

    #[test]
    fn empty_mh_sequences_means_private_only() {
        let p = Profile::from_text("mh-sequences:\n", Path::new("/h"));
        assert_eq!(p.sequences_file, None);
        let p = Profile::from_text("", Path::new("/h"));
        assert_eq!(p.sequences_file.as_deref(), Some(".mh_sequences"));
    }
}
