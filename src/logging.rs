//! Logging for both binaries: syslog (facility mail) with a per-process
//! ident, or stderr in foreground and test mode. Every line carries the
//! session's context (session id, remote address, IMAP user, local user).

/// Where log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTarget {
    /// syslog, facility mail (falls back to nothing when /dev/log is absent).
    Syslog,
    /// stderr (foreground and test mode only: under inetd stderr is the
    /// client's socket).
    Stderr,
    /// Discard everything.
    Off,
}

/// The context every log line carries.
#[derive(Debug, Clone, Default)]
pub struct LogContext {
    /// A short random session id.
    pub session: String,
    /// The peer address, when known.
    pub remote: String,
    /// The IMAP user name, once known.
    pub imap_user: String,
    /// The local Unix user.
    pub local_user: String,
}

/// Installs the global logger. Safe to call once per process.
pub fn init(_ident: &str, _target: LogTarget, _level: log::LevelFilter, _ctx: LogContext) {
    todo!("login helper")
}
