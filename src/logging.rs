//! Logging for both binaries: syslog (facility mail) with a per-process
//! ident, or stderr in foreground and test mode. Every line carries the
//! session's context (session id, remote address, IMAP user, local user).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::sync::{Mutex, OnceLock, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use log::{Level, LevelFilter, Log, Metadata, Record};
use syslog::{Facility, Formatter3164, LoggerBackend};

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

impl LogContext {
    /// A context with a fresh session id and the given remote address.
    pub fn new(remote: &str) -> LogContext {
        LogContext {
            session: new_session_id(),
            remote: remote.to_string(),
            ..LogContext::default()
        }
    }

    /// The prefix every line carries: `session=.. remote=.. user=.. local=..`,
    /// with `-` for unknown fields.
    pub fn prefix(&self) -> String {
        format!(
            "session={} remote={} user={} local={}",
            or_dash(&self.session),
            or_dash(&self.remote),
            or_dash(&self.imap_user),
            or_dash(&self.local_user),
        )
    }
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

/// A short random session id (12 hex digits). Not a secret: it only ties
/// log lines of one connection together.
pub fn new_session_id() -> String {
    let mut h = RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos());
    h.write_u128(nanos.unwrap_or(0));
    format!("{:012x}", h.finish() & 0xffff_ffff_ffff)
}

type SyslogWriter = syslog::Logger<LoggerBackend, Formatter3164>;

/// Where the installed logger writes.
enum Sink {
    Syslog(SyslogWriter),
    Stderr,
    Off,
}

/// The process-wide logger: a sink plus the current context.
struct ContextLogger {
    ident: String,
    level: LevelFilter,
    sink: Mutex<Sink>,
}

static CONTEXT: RwLock<LogContext> = RwLock::new(LogContext {
    session: String::new(),
    remote: String::new(),
    imap_user: String::new(),
    local_user: String::new(),
});

static LOGGER: OnceLock<ContextLogger> = OnceLock::new();

/// Installs the global logger. Safe to call once per process; a second
/// call only replaces the context.
pub fn init(ident: &str, target: LogTarget, level: log::LevelFilter, ctx: LogContext) {
    set_context(ctx);
    let sink = match target {
        LogTarget::Syslog => open_syslog(ident),
        LogTarget::Stderr => Sink::Stderr,
        LogTarget::Off => Sink::Off,
    };
    let logger = ContextLogger {
        ident: ident.to_string(),
        level,
        sink: Mutex::new(sink),
    };
    if LOGGER.set(logger).is_err() {
        return;
    }
    if let Some(installed) = LOGGER.get()
        && log::set_logger(installed).is_ok()
    {
        log::set_max_level(level);
    }
}

/// Connects to /dev/log; without it (containers, build machines) logging
/// is silently off, since stderr may be the client's socket.
fn open_syslog(ident: &str) -> Sink {
    let formatter = Formatter3164 {
        facility: Facility::LOG_MAIL,
        hostname: None,
        process: ident.to_string(),
        pid: std::process::id(),
    };
    match syslog::unix(formatter) {
        Ok(writer) => Sink::Syslog(writer),
        Err(_) => Sink::Off,
    }
}

/// Replaces the whole context (a forked per-connection child starts a new
/// session).
pub fn set_context(ctx: LogContext) {
    if let Ok(mut cur) = CONTEXT.write() {
        *cur = ctx;
    }
}

/// Records the users once authentication has told them.
pub fn set_users(imap_user: &str, local_user: &str) {
    if let Ok(mut cur) = CONTEXT.write() {
        cur.imap_user = imap_user.to_string();
        cur.local_user = local_user.to_string();
    }
}

/// A copy of the current context.
pub fn context() -> LogContext {
    CONTEXT.read().map(|c| c.clone()).unwrap_or_default()
}

/// Re-stamps the pid syslog lines carry (after a fork).
pub fn after_fork() {
    let Some(logger) = LOGGER.get() else { return };
    if let Ok(mut sink) = logger.sink.lock()
        && let Sink::Syslog(w) = &mut *sink
    {
        w.formatter.pid = std::process::id();
    }
}

impl Log for ContextLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = format!("{}: {}", context().prefix(), record.args());
        let Ok(mut sink) = self.sink.lock() else {
            return;
        };
        match &mut *sink {
            Sink::Syslog(w) => write_syslog(w, record.level(), &line),
            Sink::Stderr => {
                let pid = std::process::id();
                let level = record.level();
                let _ = writeln!(std::io::stderr(), "{}[{pid}]: {level} {line}", self.ident);
            }
            Sink::Off => {}
        }
    }

    fn flush(&self) {}
}

/// One line to syslog at the record's severity. A lost line is not worth
/// failing a session for.
fn write_syslog(w: &mut SyslogWriter, level: Level, line: &str) {
    let _ = match level {
        Level::Error => w.err(line),
        Level::Warn => w.warning(line),
        Level::Info => w.info(line),
        Level::Debug | Level::Trace => w.debug(line),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_fills_unknown_fields_with_dashes() {
        let ctx = LogContext {
            session: "abc".into(),
            remote: "10.0.0.1".into(),
            ..Default::default()
        };
        assert_eq!(ctx.prefix(), "session=abc remote=10.0.0.1 user=- local=-");
    }

    #[test]
    fn users_can_be_set_after_authentication() {
        set_context(LogContext::new("192.0.2.7"));
        set_users("alice", "alice");
        let ctx = context();
        assert_eq!(ctx.remote, "192.0.2.7");
        assert!(
            ctx.prefix().ends_with("user=alice local=alice"),
            "{}",
            ctx.prefix()
        );
        assert_eq!(ctx.session.len(), 12);
    }

    #[test]
    fn session_ids_differ() {
        assert_ne!(new_session_id(), new_session_id());
    }
}
