//! asimap-login's settings, as the command line gives them.

use std::path::PathBuf;
use std::time::Duration;

use super::auth::Backend;
use super::throttle::Policy;
use super::tls::{CertFiles, TlsMode};

/// Everything one connection needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// Implicit TLS, STARTTLS, or none.
    pub tls: TlsMode,
    /// Certificate and key, read per connection.
    pub certs: Option<CertFiles>,
    /// Allow LOGIN and AUTHENTICATE without TLS.
    pub allow_plaintext: bool,
    /// Where passwords are checked.
    pub backend: Backend,
    /// The throttle store.
    pub throttle_db: PathBuf,
    /// The throttle limits.
    pub policy: Policy,
    /// The asimap-stdio executable.
    pub engine: PathBuf,
    /// Passed to the engine as `--state`.
    pub state: Option<PathBuf>,
    /// Passed to the engine as `--mail-dir` when the account names none.
    pub mail_dir: Option<PathBuf>,
    /// How long the client may stay silent before authenticating.
    pub idle_timeout: Duration,
    /// How long the whole pre-authentication phase may last.
    pub total_timeout: Duration,
    /// Pause before answering a failed login.
    pub fail_delay: Duration,
    /// Pause before answering a locked-out attempt.
    pub lockout_delay: Duration,
    /// Log to stderr (foreground mode) and have the engine do the same.
    pub log_stderr: bool,
}

impl Config {
    /// Defaults for everything but the backend and the engine.
    pub fn new(backend: Backend, engine: PathBuf) -> Config {
        Config {
            tls: TlsMode::StartTls,
            certs: None,
            allow_plaintext: false,
            backend,
            throttle_db: PathBuf::from(super::throttle::DEFAULT_PATH),
            policy: Policy::default(),
            engine,
            state: None,
            mail_dir: None,
            idle_timeout: Duration::from_secs(60),
            total_timeout: Duration::from_secs(300),
            fail_delay: Duration::from_secs(2),
            lockout_delay: Duration::from_secs(5),
            log_stderr: false,
        }
    }
}
