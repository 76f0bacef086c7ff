//! System accounts through the shadow file (`name:hash:lastchg:min:max:
//! warn:inactive:expire:`): the stored hash and whether the account may
//! log in today.

use std::io;
use std::path::Path;

/// The default shadow file.
pub const SHADOW_PATH: &str = "/etc/shadow";

/// One user's shadow entry, as far as login needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShadowEntry {
    /// The crypt(3) hash, possibly locked (`!`, `*`) or empty.
    pub hash: String,
    /// Day of the last password change (days since 1970-01-01); `Some(0)`
    /// means the password must be changed before use.
    pub last_change: Option<i64>,
    /// Maximum password age in days.
    pub max_age: Option<i64>,
    /// Days after password expiry during which the password still works.
    pub inactive: Option<i64>,
    /// Day the account expires.
    pub expire: Option<i64>,
}

/// Why a shadow entry may not log in, though the password may be right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Expiry {
    /// The account's expiry day has come.
    #[error("account expired")]
    Account,
    /// The password is older than max age plus the inactive period.
    #[error("password expired")]
    Password,
    /// The administrator forced a password change (`lastchg` 0).
    #[error("password change required")]
    MustChange,
}

impl ShadowEntry {
    /// Parses one line; `None` when the line is not for `user` or is
    /// malformed.
    pub fn parse(line: &str, user: &str) -> Option<ShadowEntry> {
        let mut f = line.split(':');
        if f.next()? != user {
            return None;
        }
        let hash = f.next()?.to_string();
        let mut num = || f.next().and_then(|s| s.trim().parse::<i64>().ok());
        let last_change = num();
        let _min = num();
        let max_age = num();
        let _warn = num();
        let inactive = num();
        let expire = num();
        Some(ShadowEntry {
            hash,
            last_change,
            max_age,
            inactive,
            expire,
        })
    }

    /// Whether the account may log in on `today` (days since the epoch).
    pub fn check_expiry(&self, today: i64) -> Result<(), Expiry> {
        if self.expire.is_some_and(|day| today >= day) {
            return Err(Expiry::Account);
        }
        let Some(last) = self.last_change else {
            return Ok(());
        };
        if last == 0 {
            return Err(Expiry::MustChange);
        }
        let (Some(max), Some(inactive)) = (self.max_age, self.inactive) else {
            return Ok(());
        };
        if max >= 0 && inactive >= 0 && today > last + max + inactive {
            return Err(Expiry::Password);
        }
        Ok(())
    }
}

/// The entry for `user` in the shadow file at `path`, if any.
pub fn lookup(path: &Path, user: &str) -> io::Result<Option<ShadowEntry>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text.lines().find_map(|line| ShadowEntry::parse(line, user)))
}

/// Today as days since 1970-01-01, as the shadow file counts.
pub fn today() -> i64 {
    chrono::Utc::now().timestamp().div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = "bob:$y$j9T$abc$def:19000:0:99999:7:::";

    #[test]
    fn parses_the_fields() {
        let e = ShadowEntry::parse(LINE, "bob").expect("entry");
        assert_eq!(e.hash, "$y$j9T$abc$def");
        assert_eq!(e.last_change, Some(19000));
        assert_eq!(e.max_age, Some(99999));
        assert_eq!((e.inactive, e.expire), (None, None));
        assert_eq!(ShadowEntry::parse(LINE, "bo"), None);
        assert_eq!(ShadowEntry::parse(LINE, "bobby"), None);
    }

    #[test]
    fn expiry_rules() {
        let mut e = ShadowEntry::parse(LINE, "bob").expect("entry");
        assert_eq!(e.check_expiry(20000), Ok(()));
        e.expire = Some(20000);
        assert_eq!(e.check_expiry(19999), Ok(()));
        assert_eq!(e.check_expiry(20000), Err(Expiry::Account));
        e.expire = None;
        e.max_age = Some(30);
        e.inactive = Some(5);
        assert_eq!(e.check_expiry(19035), Ok(()));
        assert_eq!(e.check_expiry(19036), Err(Expiry::Password));
        e.last_change = Some(0);
        assert_eq!(e.check_expiry(19001), Err(Expiry::MustChange));
    }

    #[test]
    fn reads_a_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("shadow");
        std::fs::write(&path, format!("root:*:19000:0:99999:7:::\n{LINE}\n")).expect("write");
        assert_eq!(
            lookup(&path, "bob").expect("read").map(|e| e.hash),
            Some("$y$j9T$abc$def".into())
        );
        assert_eq!(lookup(&path, "carol").expect("read"), None);
    }
}
