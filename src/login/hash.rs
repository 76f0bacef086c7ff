//! Password hashes in crypt(3) form (`$y$...`, `$6$...`, any format the
//! system's libcrypt knows): verification in constant time, new yescrypt
//! hashes, and the dummy hash that makes an unknown user cost as much as a
//! known one.

use super::sys;

/// A yescrypt hash (default cost) of a password nobody knows. Verifying
/// against it takes as long as verifying a real Debian shadow entry, so an
/// unknown or locked account answers after the same time as a wrong
/// password.
pub const DUMMY_HASH: &str =
    "$y$j9T$Xo2aQb0FZsWTSGx/4jJbn1$F4wIhaGXr9IMOBR8RPuJMlRyvdOVs743.eDNHy1xwf3";

/// Why a stored hash cannot be used at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HashRefusal {
    /// Empty field: no password needed, which we never accept.
    #[error("empty password field")]
    Empty,
    /// `!...` or `*...`: the account is locked or has no password.
    #[error("locked account")]
    Locked,
}

/// Classifies a stored hash: `Ok` when it may be verified against.
pub fn usable(hash: &str) -> Result<(), HashRefusal> {
    match hash.as_bytes().first() {
        None => Err(HashRefusal::Empty),
        Some(b'!' | b'*') => Err(HashRefusal::Locked),
        Some(_) => Ok(()),
    }
}

/// True when `password` matches `hash`. A refused hash is still verified
/// against [`DUMMY_HASH`] so that the time taken does not tell.
pub fn verify(password: &[u8], hash: &str) -> bool {
    if usable(hash).is_err() {
        verify_dummy(password);
        return false;
    }
    match sys::crypt(password, hash) {
        Some(computed) => constant_time_eq(computed.as_bytes(), hash.as_bytes()),
        None => false,
    }
}

/// Spends the time of one verification for a user that does not exist.
pub fn verify_dummy(password: &[u8]) {
    let _ = sys::crypt(password, DUMMY_HASH);
}

/// A new yescrypt hash of `password` at libcrypt's default cost.
pub fn yescrypt(password: &[u8]) -> Option<String> {
    let setting = sys::gensalt("$y$")?;
    sys::crypt(password, &setting)
}

/// Compares without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dummy_hash_is_a_valid_yescrypt_hash() {
        assert_eq!(
            sys::crypt(b"asimap-dummy-password-never-matches", DUMMY_HASH).as_deref(),
            Some(DUMMY_HASH)
        );
        assert!(!verify(b"", DUMMY_HASH));
    }

    #[test]
    fn new_hashes_verify() {
        let h = yescrypt(b"p\xc3\xa4ss word").expect("hash");
        assert!(h.starts_with("$y$"));
        assert!(verify(b"p\xc3\xa4ss word", &h));
        assert!(!verify(b"pass word", &h));
    }

    #[test]
    fn locked_and_empty_entries_never_verify() {
        let h = yescrypt(b"pw").expect("hash");
        assert!(!verify(b"pw", &format!("!{h}")));
        assert!(!verify(b"pw", &format!("*{h}")));
        assert!(!verify(b"", ""));
        assert_eq!(usable(""), Err(HashRefusal::Empty));
        assert_eq!(usable("!"), Err(HashRefusal::Locked));
        assert_eq!(usable("*"), Err(HashRefusal::Locked));
    }

    #[test]
    fn unknown_formats_never_verify() {
        assert!(!verify(b"pw", "$zz$nonsense"));
        assert!(!verify(b"pw", "pw"));
    }

    #[test]
    fn md5_and_sha256_formats_verify() {
        // Produced by libxcrypt (perl's crypt) for the password "secret".
        let md5 = sys::crypt(b"secret", "$1$abcdefgh$").expect("md5");
        let sha256 = sys::crypt(b"secret", "$5$abcdefgh$").expect("sha256");
        assert!(verify(b"secret", &md5) && verify(b"secret", &sha256));
        assert!(!verify(b"Secret", &md5) && !verify(b"Secret", &sha256));
    }
}
