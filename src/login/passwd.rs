//! The password file: one `user:hash:maildir` line per account (hash in
//! crypt(3) form, maildir may be empty), `#` comments and blank lines kept.
//! Used for virtual users and for the non-root development mode.

use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::hash;

/// One account of the password file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    /// The IMAP user name.
    pub user: String,
    /// The crypt(3) hash.
    pub hash: String,
    /// The mail root to serve, when set.
    pub maildir: Option<PathBuf>,
}

/// Errors of reading or changing the password file.
#[derive(Debug, thiserror::Error)]
pub enum PasswdError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A user name or mail dir that cannot be stored in the format.
    #[error("invalid {0}: must be non-empty and contain no ':' or line break")]
    Invalid(&'static str),
    /// libcrypt could not produce a hash.
    #[error("could not hash the password")]
    Hash,
}

impl PasswdEntry {
    /// Parses one line; `None` for comments, blank or malformed lines.
    pub fn parse(line: &str) -> Option<PasswdEntry> {
        if line.trim().is_empty() || line.starts_with('#') {
            return None;
        }
        let mut f = line.splitn(3, ':');
        let user = f.next()?.to_string();
        let hash = f.next()?.to_string();
        let maildir = f.next().filter(|m| !m.is_empty()).map(PathBuf::from);
        (!user.is_empty()).then_some(PasswdEntry {
            user,
            hash,
            maildir,
        })
    }

    /// The line as stored.
    pub fn to_line(&self) -> String {
        let dir = self
            .maildir
            .as_deref()
            .map(Path::to_string_lossy)
            .unwrap_or_default();
        format!("{}:{}:{}", self.user, self.hash, dir)
    }
}

/// The entry for `user` in the file at `path`, if any.
pub fn lookup(path: &Path, user: &str) -> Result<Option<PasswdEntry>, PasswdError> {
    let text = read(path)?;
    Ok(text
        .lines()
        .filter_map(PasswdEntry::parse)
        .find(|e| e.user == user))
}

fn read(path: &Path) -> Result<String, PasswdError> {
    std::fs::read_to_string(path).map_err(|source| PasswdError::Io {
        path: path.into(),
        source,
    })
}

fn valid_field(s: &str) -> bool {
    !s.is_empty() && !s.contains([':', '\n', '\r'])
}

/// Adds `user` or changes its password (a new yescrypt hash). The mail dir
/// is replaced when given, else kept. The file is rewritten through a
/// temporary file and a rename, with mode 0600 for a new file.
pub fn set_password(
    path: &Path,
    user: &str,
    password: &[u8],
    maildir: Option<&Path>,
) -> Result<(), PasswdError> {
    if !valid_field(user) {
        return Err(PasswdError::Invalid("user name"));
    }
    if maildir.is_some_and(|d| !valid_field(&d.to_string_lossy())) {
        return Err(PasswdError::Invalid("mail dir"));
    }
    let hash = hash::yescrypt(password).ok_or(PasswdError::Hash)?;
    let old = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(PasswdError::Io {
                path: path.into(),
                source,
            });
        }
    };
    let text = updated_text(&old, user, &hash, maildir);
    write_replace(path, &text).map_err(|source| PasswdError::Io {
        path: path.into(),
        source,
    })
}

/// `old` with `user`'s line replaced (or appended).
fn updated_text(old: &str, user: &str, hash: &str, maildir: Option<&Path>) -> String {
    let mut out = String::new();
    let mut found = false;
    for line in old.lines() {
        match PasswdEntry::parse(line).filter(|e| e.user == user) {
            Some(mut entry) => {
                found = true;
                entry.hash = hash.to_string();
                if let Some(dir) = maildir {
                    entry.maildir = Some(dir.to_path_buf());
                }
                out.push_str(&entry.to_line());
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    if !found {
        let entry = PasswdEntry {
            user: user.to_string(),
            hash: hash.to_string(),
            maildir: maildir.map(Path::to_path_buf),
        };
        out.push_str(&entry.to_line());
        out.push('\n');
    }
    out
}

/// Writes `text` to a temporary file beside `path`, then renames it over.
fn write_replace(path: &Path, text: &str) -> io::Result<()> {
    let mode = std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o600);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)?;
    let written = f.write_all(text.as_bytes()).and_then(|()| f.sync_all());
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines() {
        let e = PasswdEntry::parse("ann:$y$x$y:/srv/mail/ann").expect("entry");
        assert_eq!(e.user, "ann");
        assert_eq!(e.maildir.as_deref(), Some(Path::new("/srv/mail/ann")));
        assert_eq!(
            PasswdEntry::parse("bob:$y$x$y:").and_then(|e| e.maildir),
            None
        );
        assert_eq!(PasswdEntry::parse("# comment"), None);
        assert_eq!(PasswdEntry::parse("nohash"), None);
    }

    #[test]
    fn add_then_change_keeps_other_lines_and_maildir() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("passwd");
        std::fs::write(&path, "# accounts\nzed:*:\n").expect("write");
        set_password(&path, "ann", b"one", Some(Path::new("/m/ann"))).expect("add");
        set_password(&path, "ann", b"two", None).expect("change");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.starts_with("# accounts\nzed:*:\nann:$y$"), "{text}");
        let ann = lookup(&path, "ann").expect("lookup").expect("ann");
        assert!(hash::verify(b"two", &ann.hash));
        assert!(!hash::verify(b"one", &ann.hash));
        assert_eq!(ann.maildir.as_deref(), Some(Path::new("/m/ann")));
    }

    #[test]
    fn new_file_is_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("new");
        set_password(&path, "ann", b"pw", None).expect("add");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn refuses_fields_that_would_break_the_format() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p");
        assert!(matches!(
            set_password(&path, "a:b", b"x", None),
            Err(PasswdError::Invalid(_))
        ));
        let bad = Path::new("/x\ny");
        assert!(matches!(
            set_password(&path, "ab", b"x", Some(bad)),
            Err(PasswdError::Invalid(_))
        ));
        assert!(!path.exists());
    }
}
