//! The not-authenticated state (RFC 3501 §6.1, §6.2): CAPABILITY, NOOP,
//! LOGOUT, ID, STARTTLS, LOGIN and AUTHENTICATE PLAIN with SASL-IR;
//! anything else is BAD. Bounded by a line-length cap, an idle timeout and
//! a total timeout.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection, StreamOwned};

use super::auth::{self, Account};
use super::config::Config;
use super::conn::{self, Transport};
use super::sasl;
use super::throttle::{Lock, Throttle};
use super::tls::{self, TlsMode};
use crate::proto::framer::{Frame, Framer, Limits};
use crate::proto::{Command, CommandBody, Secret, Tag, parse, write};

/// Longest line, and largest literal, accepted before authentication.
const PREAUTH_LIMIT: usize = 8 * 1024;

/// Failed logins one connection may make before it is closed.
const MAX_FAILURES: u32 = 3;

/// Malformed or refused commands one connection may send.
const MAX_BAD: u32 = 10;

/// How the not-authenticated state ended.
#[derive(Debug)]
pub enum Outcome {
    /// The client authenticated with this tag; the engine answers it.
    Authenticated {
        /// The LOGIN or AUTHENTICATE tag.
        tag: Tag,
        /// Who logged in.
        account: Account,
    },
    /// The client logged out, went away, or was sent away.
    Closed,
}

/// Why the phase ended before a normal outcome.
#[derive(Debug, thiserror::Error)]
pub enum PreAuthError {
    /// Reading or writing the connection failed.
    #[error("connection: {0}")]
    Io(#[from] io::Error),
    /// The TLS handshake failed.
    #[error("tls: {0}")]
    Tls(#[from] rustls::Error),
    /// The certificate or key could not be loaded.
    #[error("{0}")]
    TlsConfig(#[from] tls::TlsError),
}

/// The not-authenticated state of one connection.
pub struct PreAuth<'a> {
    cfg: &'a Config,
    transport: Transport,
    framer: Framer,
    remote: String,
    started: Instant,
    failures: u32,
    bad: u32,
}

/// Internal end of a read: the client left or was too slow.
enum Stop {
    Closed,
    Timeout,
}

fn limits() -> Limits {
    Limits {
        max_line: PREAUTH_LIMIT,
        max_literal: PREAUTH_LIMIT as u64,
    }
}

/// Loads the certificate and key, wraps `sock` in TLS and completes the
/// handshake (implicit TLS).
pub fn start_tls(cfg: &Config, sock: File) -> Result<Transport, PreAuthError> {
    handshake(load_tls(cfg)?, sock, cfg.idle_timeout)
}

fn load_tls(cfg: &Config) -> Result<Arc<ServerConfig>, tls::TlsError> {
    tls::server_config(cfg.certs.as_ref().ok_or(tls::TlsError::NotConfigured)?)
}

/// Completes the server handshake on `sock` within `limit`, however
/// slowly the client trickles its bytes.
fn handshake(
    config: Arc<ServerConfig>,
    sock: File,
    limit: Duration,
) -> Result<Transport, PreAuthError> {
    let end = Instant::now() + limit;
    let mut stream = StreamOwned::new(ServerConnection::new(config)?, sock);
    while stream.conn.is_handshaking() {
        let Some(left) = end.checked_duration_since(Instant::now()) else {
            return Err(io::Error::from(io::ErrorKind::TimedOut).into());
        };
        conn::set_read_timeout(stream.sock.as_fd(), Some(left))?;
        stream.conn.complete_io(&mut stream.sock)?;
    }
    Ok(Transport::Tls(Box::new(stream)))
}

impl<'a> PreAuth<'a> {
    /// A new phase on `transport` for a client at `remote`.
    pub fn new(cfg: &'a Config, transport: Transport, remote: &str) -> PreAuth<'a> {
        PreAuth {
            cfg,
            transport,
            framer: Framer::new(limits()),
            remote: remote.to_string(),
            started: Instant::now(),
            failures: 0,
            bad: 0,
        }
    }

    /// Gives the connection back (to hand it to the engine). Bytes the
    /// client pipelined after the authenticating command are dropped, with
    /// a warning: RFC 3501 §5.5 has clients wait for the tagged answer.
    pub fn into_transport(self) -> Transport {
        let pending = self.framer.buffered();
        if pending > 0 {
            log::warn!("discarding {pending} bytes sent before the login completed");
        }
        self.transport
    }

    /// Greets and serves commands until authentication or the end.
    pub fn run(&mut self) -> Result<Outcome, PreAuthError> {
        let caps = self.capabilities();
        self.send(&format!("* OK [CAPABILITY {caps}] asimap ready\r\n"))?;
        loop {
            let frame = match self.next_frame()? {
                Ok(frame) => frame,
                Err(stop) => return self.stop(stop),
            };
            if let Some(outcome) = self.frame(frame)? {
                return Ok(outcome);
            }
            if self.bad >= MAX_BAD {
                self.send("* BYE Too many bad commands\r\n")?;
                return Ok(Outcome::Closed);
            }
        }
    }

    fn stop(&mut self, stop: Stop) -> Result<Outcome, PreAuthError> {
        if let Stop::Timeout = stop {
            log::info!("pre-auth timeout");
            let _ = self.send("* BYE Autologout; idle for too long\r\n");
        }
        Ok(Outcome::Closed)
    }

    /// The capability list for the current state of the connection.
    fn capabilities(&self) -> String {
        let mut caps = vec!["IMAP4rev1", "LITERAL+", "SASL-IR", "ID"];
        if self.cfg.tls == TlsMode::StartTls && !self.transport.is_tls() {
            caps.push("STARTTLS");
        }
        caps.push(if self.login_allowed() {
            "AUTH=PLAIN"
        } else {
            "LOGINDISABLED"
        });
        caps.join(" ")
    }

    fn login_allowed(&self) -> bool {
        self.transport.is_tls() || self.cfg.allow_plaintext
    }

    fn send(&mut self, text: &str) -> io::Result<()> {
        self.transport.write_all(text.as_bytes())?;
        self.transport.flush()
    }

    /// Reads until the framer has a frame, within the timeouts.
    fn next_frame(&mut self) -> io::Result<Result<Frame, Stop>> {
        let idle_end = Instant::now() + self.cfg.idle_timeout;
        let end = idle_end.min(self.started + self.cfg.total_timeout);
        loop {
            if let Some(frame) = self.framer.next_frame() {
                return Ok(Ok(frame));
            }
            let Some(left) = end.checked_duration_since(Instant::now()) else {
                return Ok(Err(Stop::Timeout));
            };
            conn::set_read_timeout(self.transport.socket(), Some(left))?;
            let mut buf = [0u8; 4096];
            match self.transport.read(&mut buf) {
                Ok(0) => return Ok(Err(Stop::Closed)),
                Ok(n) => self.framer.push(&buf[..n]),
                Err(e) if timed_out(&e) => return Ok(Err(Stop::Timeout)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A TLS client that just closes the socket (no close_notify).
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Ok(Err(Stop::Closed));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Handles one frame; `Some` when the phase is over.
    fn frame(&mut self, frame: Frame) -> Result<Option<Outcome>, PreAuthError> {
        match frame {
            Frame::Command(bytes) => match parse::command(&bytes) {
                Ok(cmd) => return self.command(cmd),
                Err(e) => self.bad(e.tag.as_deref(), &e.reason)?,
            },
            Frame::Continue => self.send("+ Ready for literal data\r\n")?,
            Frame::LineTooLong { tag } => self.bad(tag.as_deref(), "Line too long")?,
            Frame::LiteralTooBig { tag, .. } => self.bad(tag.as_deref(), "Literal too big")?,
        }
        Ok(None)
    }

    fn bad(&mut self, tag: Option<&str>, reason: &str) -> io::Result<()> {
        self.bad += 1;
        let tag = tag.unwrap_or("*");
        log::warn!("bad command before login: {reason}");
        self.send(&format!("{tag} BAD {}\r\n", one_line(reason)))
    }

    /// Dispatches one parsed command.
    fn command(&mut self, cmd: Command) -> Result<Option<Outcome>, PreAuthError> {
        let tag = cmd.tag;
        match cmd.body {
            CommandBody::Capability => {
                let caps = self.capabilities();
                self.send(&format!(
                    "* CAPABILITY {caps}\r\n{tag} OK CAPABILITY completed\r\n"
                ))?;
            }
            CommandBody::Noop => self.send(&format!("{tag} OK NOOP completed\r\n"))?,
            CommandBody::Logout => {
                self.send(&format!(
                    "* BYE Logging out\r\n{tag} OK LOGOUT completed\r\n"
                ))?;
                return Ok(Some(Outcome::Closed));
            }
            CommandBody::Id(fields) => self.id(&tag, fields.as_deref())?,
            CommandBody::StartTls => self.starttls(&tag)?,
            CommandBody::Login { user, password } => {
                return self.login(tag, &user, &password, "LOGIN");
            }
            CommandBody::Authenticate { mechanism, initial } => {
                return self.authenticate(tag, &mechanism, initial);
            }
            other => {
                let name = other.name();
                self.bad(
                    Some(tag.as_str()),
                    &format!("{name} not allowed before login"),
                )?;
            }
        }
        Ok(None)
    }

    /// ID (RFC 2971): logs what the client says, names the server.
    fn id(&mut self, tag: &Tag, fields: Option<&[(String, Option<String>)]>) -> io::Result<()> {
        if let Some(fields) = fields {
            let text: Vec<String> = fields.iter().map(|(k, v)| format!("{k:?}={v:?}")).collect();
            log::info!("client id {}", text.join(" "));
        }
        let mut out = b"* ID (\"name\" \"asimap\" \"version\" ".to_vec();
        write::string(&mut out, env!("CARGO_PKG_VERSION").as_bytes());
        out.extend_from_slice(format!(")\r\n{tag} OK ID completed\r\n").as_bytes());
        self.transport.write_all(&out)?;
        self.transport.flush()
    }

    /// STARTTLS (RFC 3501 §6.2.1): answer, drop anything the client sent
    /// after the command (it must not survive into the TLS session), then
    /// handshake.
    fn starttls(&mut self, tag: &Tag) -> Result<(), PreAuthError> {
        if self.cfg.tls != TlsMode::StartTls || self.transport.is_tls() {
            return Ok(self.bad(Some(tag.as_str()), "STARTTLS not available")?);
        }
        let Transport::Plain(plain) = &self.transport else {
            return Ok(());
        };
        let sock = plain.try_clone()?;
        let config = match load_tls(self.cfg) {
            Ok(config) => config,
            Err(e) => {
                log::error!("cannot start TLS: {e}");
                let text = format!("{tag} NO [UNAVAILABLE] TLS not available\r\n");
                return Ok(self.send(&text)?);
            }
        };
        self.send(&format!("{tag} OK Begin TLS negotiation now\r\n"))?;
        if self.framer.buffered() > 0 {
            let n = self.framer.buffered();
            log::warn!("discarding {n} bytes sent before the TLS handshake");
        }
        self.framer = Framer::new(limits());
        self.transport = handshake(config, sock, self.cfg.idle_timeout)?;
        Ok(())
    }

    /// AUTHENTICATE PLAIN (RFC 4616), with the initial response inline
    /// (SASL-IR, RFC 4959) or after a `+ ` continuation.
    fn authenticate(
        &mut self,
        tag: Tag,
        mechanism: &str,
        initial: Option<Secret>,
    ) -> Result<Option<Outcome>, PreAuthError> {
        if !mechanism.eq_ignore_ascii_case("PLAIN") {
            self.send(&format!(
                "{tag} NO Unsupported authentication mechanism\r\n"
            ))?;
            return Ok(None);
        }
        if !self.login_allowed() {
            self.send(&format!(
                "{tag} NO [PRIVACYREQUIRED] Use STARTTLS first\r\n"
            ))?;
            return Ok(None);
        }
        let response = match initial {
            Some(secret) => secret,
            None => match self.continuation()? {
                Some(secret) => secret,
                None => return Ok(None),
            },
        };
        match sasl::plain(&response.0) {
            Ok(plain) => self.login(tag, &plain.user, &plain.password, "AUTHENTICATE"),
            Err(sasl::SaslError::Cancelled) => {
                self.send(&format!("{tag} BAD Authentication cancelled\r\n"))?;
                Ok(None)
            }
            Err(e) => {
                self.bad(Some(tag.as_str()), &e.to_string())?;
                Ok(None)
            }
        }
    }

    /// Sends `+ ` and reads the client's response line.
    fn continuation(&mut self) -> Result<Option<Secret>, PreAuthError> {
        self.send("+ \r\n")?;
        match self.next_frame()? {
            Ok(Frame::Command(line)) => Ok(Some(Secret(sasl::trim_line(&line).to_vec()))),
            Ok(_) => {
                self.bad(None, "Malformed authentication response")?;
                Ok(None)
            }
            Err(stop) => {
                self.stop(stop)?;
                Err(io::Error::from(io::ErrorKind::UnexpectedEof).into())
            }
        }
    }

    /// LOGIN, or the credentials from AUTHENTICATE: throttle, verify,
    /// answer a failure, or end the phase on success.
    fn login(
        &mut self,
        tag: Tag,
        user: &str,
        password: &Secret,
        how: &str,
    ) -> Result<Option<Outcome>, PreAuthError> {
        if !self.login_allowed() {
            self.send(&format!(
                "{tag} NO [PRIVACYREQUIRED] Use STARTTLS first\r\n"
            ))?;
            return Ok(None);
        }
        let mut throttle = match Throttle::open(&self.cfg.throttle_db, self.cfg.policy) {
            Ok(t) => t,
            Err(e) => {
                log::error!("throttle store unavailable, refusing logins: {e}");
                std::thread::sleep(self.cfg.fail_delay);
                self.send(&format!("{tag} NO [UNAVAILABLE] Try again later\r\n"))?;
                return Ok(None);
            }
        };
        let now = now_ms();
        match throttle.locked(&self.remote, user, now) {
            Ok(None) => {}
            Ok(Some(lock)) => return self.locked_out(tag, user, lock),
            Err(e) => log::error!("throttle check failed: {e}"),
        }
        match auth::authenticate(&self.cfg.backend, user, password) {
            Ok(account) => {
                if let Err(e) = throttle.record_success(&self.remote, user) {
                    log::error!("throttle update failed: {e}");
                }
                log::info!("login ok: user={user:?} rip={} method={how}", self.remote);
                Ok(Some(Outcome::Authenticated { tag, account }))
            }
            Err(failure) => {
                let started = match throttle.record_failure(&self.remote, user, now) {
                    Ok(locks) => locks,
                    Err(e) => {
                        log::error!("throttle update failed: {e}");
                        Vec::new()
                    }
                };
                log::warn!(
                    "auth failed: user={user:?} rip={} method={how} reason={failure}",
                    self.remote
                );
                for lock in started {
                    log::warn!(
                        "lockout started: {} user={user:?} rip={}",
                        lock_name(lock),
                        self.remote
                    );
                }
                drop(throttle);
                self.failed(tag, self.cfg.fail_delay)
            }
        }
    }

    fn locked_out(
        &mut self,
        tag: Tag,
        user: &str,
        lock: Lock,
    ) -> Result<Option<Outcome>, PreAuthError> {
        log::warn!(
            "auth refused: user={user:?} rip={} reason=locked out ({})",
            self.remote,
            lock_name(lock)
        );
        self.failed(tag, self.cfg.lockout_delay)
    }

    /// The one answer every failure gets, after `delay`.
    fn failed(&mut self, tag: Tag, delay: Duration) -> Result<Option<Outcome>, PreAuthError> {
        std::thread::sleep(delay);
        self.failures += 1;
        self.send(&format!(
            "{tag} NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
        ))?;
        if self.failures >= MAX_FAILURES {
            self.send("* BYE Too many failed logins\r\n")?;
            return Ok(Some(Outcome::Closed));
        }
        Ok(None)
    }
}

fn lock_name(lock: Lock) -> &'static str {
    match lock {
        Lock::Address => "address",
        Lock::User => "user",
    }
}

fn timed_out(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Milliseconds since the epoch.
fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// `reason` with control characters replaced, fit for one response line.
fn one_line(reason: &str) -> String {
    reason
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
