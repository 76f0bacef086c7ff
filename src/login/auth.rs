//! Authentication backends: system accounts through the shadow file, the
//! asimap password file, and PAM (cargo feature `pam`). Every failure looks
//! the same to the client and takes about the same time; only the log
//! learns why.

use std::path::{Path, PathBuf};

use super::{hash, passwd, shadow};
use crate::proto::Secret;

/// Where passwords are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// System accounts, through the shadow file at this path.
    Shadow(PathBuf),
    /// The asimap password file at this path.
    File(PathBuf),
    /// PAM with this service name.
    #[cfg(feature = "pam")]
    Pam(String),
}

/// A user whose password was right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The IMAP user name, as authenticated.
    pub imap_user: String,
    /// The mail root the password file names for this user, if any.
    pub maildir: Option<PathBuf>,
}

/// Why authentication failed. The client always sees the same answer.
#[derive(Debug, thiserror::Error)]
pub enum AuthFailure {
    /// No such user.
    #[error("unknown user")]
    UnknownUser,
    /// The password did not match.
    #[error("wrong password")]
    BadPassword,
    /// A locked or empty entry.
    #[error("{0}")]
    Refused(#[from] hash::HashRefusal),
    /// An expired account or password.
    #[error("{0}")]
    Expired(#[from] shadow::Expiry),
    /// A user name no backend could hold (NUL, `:`, control characters).
    #[error("invalid user name")]
    InvalidName,
    /// The right password for an account with uid 0: never served, and
    /// answered like a wrong password so the client learns nothing.
    #[error("uid 0 is never served")]
    Root,
    /// The backend itself failed (unreadable file, PAM error).
    #[error("backend: {0}")]
    Backend(String),
}

/// True for a user name worth looking up: non-empty, at most 256 bytes,
/// no control characters, `:` or `/`.
pub fn plausible_user(user: &str) -> bool {
    !user.is_empty()
        && user.len() <= 256
        && !user.chars().any(|c| c.is_control() || c == ':' || c == '/')
}

/// Checks `password` for `user` against `backend`.
pub fn authenticate(
    backend: &Backend,
    user: &str,
    password: &Secret,
) -> Result<Account, AuthFailure> {
    if !plausible_user(user) {
        hash::verify_dummy(&password.0);
        return Err(AuthFailure::InvalidName);
    }
    let account = match backend {
        Backend::Shadow(path) => shadow_auth(path, user, password),
        Backend::File(path) => file_auth(path, user, password),
        #[cfg(feature = "pam")]
        Backend::Pam(service) => super::pam::authenticate(service, user, password),
    }?;
    if maps_to_root(user) {
        return Err(AuthFailure::Root);
    }
    Ok(account)
}

/// True when, running as root, `user` names an account with uid 0 (the
/// account the session would switch to). Without root there is no switch.
fn maps_to_root(user: &str) -> bool {
    if !nix::unistd::geteuid().is_root() {
        return false;
    }
    let found = nix::unistd::User::from_name(user).ok().flatten();
    found.is_some_and(|u| u.uid.is_root())
}

fn shadow_auth(path: &Path, user: &str, password: &Secret) -> Result<Account, AuthFailure> {
    let found = shadow::lookup(path, user).map_err(|e| format!("{}: {e}", path.display()));
    let entry = entry_or_dummy(found, password)?;
    check_hash(&entry.hash, password)?;
    entry.check_expiry(shadow::today())?;
    let imap_user = user.to_string();
    Ok(Account {
        imap_user,
        maildir: None,
    })
}

fn file_auth(path: &Path, user: &str, password: &Secret) -> Result<Account, AuthFailure> {
    let found = passwd::lookup(path, user).map_err(|e| e.to_string());
    let entry = entry_or_dummy(found, password)?;
    check_hash(&entry.hash, password)?;
    let imap_user = user.to_string();
    Ok(Account {
        imap_user,
        maildir: entry.maildir,
    })
}

/// The looked-up entry; when there is none (or the lookup failed) the
/// dummy verification still runs, so the failure takes the usual time.
fn entry_or_dummy<T>(
    found: Result<Option<T>, String>,
    password: &Secret,
) -> Result<T, AuthFailure> {
    let failure = match found {
        Ok(Some(entry)) => return Ok(entry),
        Ok(None) => AuthFailure::UnknownUser,
        Err(e) => AuthFailure::Backend(e),
    };
    hash::verify_dummy(&password.0);
    Err(failure)
}

/// Verifies against a stored hash, refusing locked and empty entries
/// after spending the same time.
fn check_hash(stored: &str, password: &Secret) -> Result<(), AuthFailure> {
    if let Err(refusal) = hash::usable(stored) {
        hash::verify_dummy(&password.0);
        return Err(refusal.into());
    }
    if hash::verify(&password.0, stored) {
        Ok(())
    } else {
        Err(AuthFailure::BadPassword)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Secret {
        Secret(s.as_bytes().to_vec())
    }

    fn files() -> (tempfile::TempDir, Backend, Backend) {
        let dir = tempfile::tempdir().expect("tempdir");
        let good = hash::yescrypt(b"right").expect("hash");
        let shadow_text = format!(
            "ann:{good}:19000:0:99999:7:::\nlocked:!{good}:19000::::::\n\
             empty::19000::::::\nold:{good}:19000:0:99999:7::19001:\n"
        );
        let sp = dir.path().join("shadow");
        std::fs::write(&sp, shadow_text).expect("write");
        let pp = dir.path().join("passwd");
        std::fs::write(&pp, format!("ann:{good}:/srv/ann\n")).expect("write");
        (dir, Backend::Shadow(sp), Backend::File(pp))
    }

    #[test]
    fn shadow_backend_outcomes() {
        let (_dir, shadow, _) = files();
        let ok = authenticate(&shadow, "ann", &secret("right")).expect("ok");
        assert_eq!(
            ok,
            Account {
                imap_user: "ann".into(),
                maildir: None
            }
        );
        let fail = |u: &str, p: &str| authenticate(&shadow, u, &secret(p)).expect_err("fails");
        assert!(matches!(fail("ann", "wrong"), AuthFailure::BadPassword));
        assert!(matches!(
            fail("nobody-here", "right"),
            AuthFailure::UnknownUser
        ));
        assert!(matches!(fail("locked", "right"), AuthFailure::Refused(_)));
        assert!(matches!(fail("empty", ""), AuthFailure::Refused(_)));
        assert!(matches!(fail("old", "right"), AuthFailure::Expired(_)));
        assert!(matches!(fail("a\0b", "right"), AuthFailure::InvalidName));
    }

    #[test]
    fn root_is_refused_even_with_the_right_password() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("passwd");
        let good = hash::yescrypt(b"right").expect("hash");
        std::fs::write(&path, format!("root:{good}:\n")).expect("write");
        let result = authenticate(&Backend::File(path), "root", &secret("right"));
        if nix::unistd::geteuid().is_root() {
            assert!(matches!(result, Err(AuthFailure::Root)), "{result:?}");
        } else {
            assert!(result.is_ok(), "without root, no switch to uid 0 happens");
        }
    }

    #[test]
    fn file_backend_gives_the_maildir() {
        let (_dir, _, file) = files();
        let ok = authenticate(&file, "ann", &secret("right")).expect("ok");
        assert_eq!(ok.maildir, Some(PathBuf::from("/srv/ann")));
        let err = authenticate(&file, "bob", &secret("right")).expect_err("unknown");
        assert!(matches!(err, AuthFailure::UnknownUser));
    }
}
