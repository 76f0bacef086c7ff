//! Failed-login throttling shared by every asimap-login process, in a
//! root-owned SQLite file: too many failures from one address, or for one
//! user name, within a window lock that address or name for a while.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// The default store.
pub const DEFAULT_PATH: &str = "/var/lib/asimap/throttle.sqlite";

/// The limits: `ip_limit` failures from one address, or `user_limit` for
/// one user name, within `window` lock it for `lock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures from one address that trigger a lock.
    pub ip_limit: u32,
    /// Failures for one user name that trigger a lock.
    pub user_limit: u32,
    /// How far back failures count.
    pub window: Duration,
    /// How long a lock lasts.
    pub lock: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            ip_limit: 3,
            user_limit: 4,
            window: Duration::from_secs(60),
            lock: Duration::from_secs(60),
        }
    }
}

/// What is locked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// The client's address.
    Address,
    /// The user name.
    User,
}

impl Lock {
    fn kind(self) -> &'static str {
        match self {
            Lock::Address => "ip",
            Lock::User => "user",
        }
    }
}

/// Errors of the throttle store.
#[derive(Debug, thiserror::Error)]
pub enum ThrottleError {
    /// The directory could not be created.
    #[error("{path}: {source}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// SQLite failed.
    #[error("{path}: {source}")]
    Sql {
        /// The database file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
}

/// An open throttle store.
#[derive(Debug)]
pub struct Throttle {
    conn: Connection,
    path: PathBuf,
    policy: Policy,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS failure (
    kind TEXT NOT NULL, key TEXT NOT NULL, at_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS failure_key ON failure (kind, key, at_ms);
CREATE TABLE IF NOT EXISTS lockout (
    kind TEXT NOT NULL, key TEXT NOT NULL, until_ms INTEGER NOT NULL,
    PRIMARY KEY (kind, key));
";

/// Longest user name kept as a key; longer names are cut.
const MAX_KEY: usize = 256;

fn key(s: &str) -> &str {
    match s.char_indices().nth(MAX_KEY) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Throttle {
    /// Opens (creating when needed) the store at `path`; a missing parent
    /// directory is created with mode 0700 and the file gets mode 0600.
    pub fn open(path: &Path, policy: Policy) -> Result<Throttle, ThrottleError> {
        create_parent(path)?;
        let sql = |source| ThrottleError::Sql {
            path: path.into(),
            source,
        };
        let conn = Connection::open(path).map_err(sql)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(sql)?;
        conn.execute_batch(SCHEMA).map_err(sql)?;
        restrict_mode(path);
        Ok(Throttle {
            conn,
            path: path.into(),
            policy,
        })
    }

    fn err(&self, source: rusqlite::Error) -> ThrottleError {
        ThrottleError::Sql {
            path: self.path.clone(),
            source,
        }
    }

    /// The lock, if any, that refuses an attempt from `ip` for `user` at
    /// `now_ms` (milliseconds since the epoch).
    pub fn locked(&self, ip: &str, user: &str, now_ms: i64) -> Result<Option<Lock>, ThrottleError> {
        for (lock, k) in [(Lock::Address, ip), (Lock::User, key(user))] {
            let until: Option<i64> = self
                .conn
                .query_row(
                    "SELECT until_ms FROM lockout WHERE kind = ?1 AND key = ?2",
                    params![lock.kind(), k],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| self.err(e))?;
            if until.is_some_and(|u| u > now_ms) {
                return Ok(Some(lock));
            }
        }
        Ok(None)
    }

    /// Records a failure; returns the locks it started.
    pub fn record_failure(
        &mut self,
        ip: &str,
        user: &str,
        now_ms: i64,
    ) -> Result<Vec<Lock>, ThrottleError> {
        let policy = self.policy;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| ThrottleError::Sql {
                path: self.path.clone(),
                source: e,
            })?;
        let mut started = Vec::new();
        let run = |tx: &rusqlite::Transaction, started: &mut Vec<Lock>| -> rusqlite::Result<()> {
            let since = now_ms - ms(policy.window);
            tx.execute("DELETE FROM failure WHERE at_ms <= ?1", params![since])?;
            tx.execute("DELETE FROM lockout WHERE until_ms <= ?1", params![now_ms])?;
            for (lock, k, limit) in [
                (Lock::Address, ip, policy.ip_limit),
                (Lock::User, key(user), policy.user_limit),
            ] {
                tx.execute(
                    "INSERT INTO failure (kind, key, at_ms) VALUES (?1, ?2, ?3)",
                    params![lock.kind(), k, now_ms],
                )?;
                let n: u32 = tx.query_row(
                    "SELECT count(*) FROM failure WHERE kind = ?1 AND key = ?2",
                    params![lock.kind(), k],
                    |r| r.get(0),
                )?;
                if n >= limit {
                    tx.execute(
                        "INSERT OR REPLACE INTO lockout (kind, key, until_ms) VALUES (?1, ?2, ?3)",
                        params![lock.kind(), k, now_ms + ms(policy.lock)],
                    )?;
                    tx.execute(
                        "DELETE FROM failure WHERE kind = ?1 AND key = ?2",
                        params![lock.kind(), k],
                    )?;
                    started.push(lock);
                }
            }
            Ok(())
        };
        run(&tx, &mut started)
            .and_then(|()| tx.commit())
            .map_err(|e| self.err(e))?;
        Ok(started)
    }

    /// Forgets the failures of `ip` and `user` after a good login.
    pub fn record_success(&mut self, ip: &str, user: &str) -> Result<(), ThrottleError> {
        self.conn
            .execute(
                "DELETE FROM failure WHERE (kind = 'ip' AND key = ?1) OR (kind = 'user' AND key = ?2)",
                params![ip, key(user)],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }
}

fn create_parent(path: &Path) -> Result<(), ThrottleError> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    if dir.is_dir() {
        return Ok(());
    }
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| ThrottleError::Dir {
            path: dir.into(),
            source,
        })
}

/// Makes the file private; failure is harmless (it already exists with
/// whatever mode its creator gave it).
fn restrict_mode(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &tempfile::TempDir) -> Throttle {
        Throttle::open(&dir.path().join("sub/t.sqlite"), Policy::default()).expect("open")
    }

    #[test]
    fn three_failures_lock_the_address_for_a_minute() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut t = open(&dir);
        let t0 = 1_000_000;
        assert_eq!(
            t.record_failure("192.0.2.1", "a", t0).expect("fail"),
            vec![]
        );
        assert_eq!(
            t.record_failure("192.0.2.1", "b", t0 + 1000).expect("fail"),
            vec![]
        );
        assert_eq!(t.locked("192.0.2.1", "c", t0 + 1000).expect("check"), None);
        let started = t.record_failure("192.0.2.1", "c", t0 + 2000).expect("fail");
        assert_eq!(started, vec![Lock::Address]);
        assert_eq!(
            t.locked("192.0.2.1", "z", t0 + 61_999).expect("check"),
            Some(Lock::Address)
        );
        assert_eq!(t.locked("192.0.2.2", "z", t0 + 3000).expect("check"), None);
        assert_eq!(
            t.locked("192.0.2.1", "z", t0 + 62_000).expect("check"),
            None
        );
    }

    #[test]
    fn four_failures_lock_the_user_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut t = open(&dir);
        for i in 0..3 {
            let ip = format!("198.51.100.{i}");
            assert_eq!(
                t.record_failure(&ip, "ann", i * 1000).expect("fail"),
                vec![]
            );
        }
        assert_eq!(
            t.record_failure("198.51.100.9", "ann", 3000).expect("fail"),
            vec![Lock::User]
        );
        assert_eq!(
            t.locked("203.0.113.5", "ann", 4000).expect("check"),
            Some(Lock::User)
        );
        assert_eq!(t.locked("203.0.113.5", "bob", 4000).expect("check"), None);
    }

    #[test]
    fn old_failures_fall_out_of_the_window() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut t = open(&dir);
        t.record_failure("192.0.2.1", "a", 0).expect("fail");
        t.record_failure("192.0.2.1", "a", 1000).expect("fail");
        let started = t.record_failure("192.0.2.1", "a", 61_000).expect("fail");
        assert_eq!(started, vec![]);
    }

    #[test]
    fn success_forgets_failures_and_state_is_shared() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut t = open(&dir);
        t.record_failure("192.0.2.1", "a", 0).expect("fail");
        t.record_failure("192.0.2.1", "a", 1).expect("fail");
        t.record_success("192.0.2.1", "a").expect("success");
        let mut other = open(&dir);
        assert_eq!(
            other.record_failure("192.0.2.1", "a", 2).expect("fail"),
            vec![]
        );
        other.record_failure("192.0.2.1", "b", 3).expect("fail");
        other.record_failure("192.0.2.1", "c", 4).expect("fail");
        assert_eq!(
            t.locked("192.0.2.1", "d", 5).expect("check"),
            Some(Lock::Address)
        );
    }
}
