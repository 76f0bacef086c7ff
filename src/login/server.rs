//! One connection from greeting to engine: TLS, the not-authenticated
//! state, the privilege drop, then the exec of asimap-stdio (directly on
//! the connection, or behind the TLS relay). Also the foreground
//! `--listen` mode, which forks a process per connection.

use std::ffi::CString;
use std::fs::File;
use std::io::{self, Write};
use std::net::TcpListener;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, Uid};
use rustls::{ServerConnection, StreamOwned};

use super::auth::Account;
use super::config::Config;
use super::conn::{self, ConnError, Transport};
use super::preauth::{self, Outcome, PreAuth, PreAuthError};
use super::privdrop::{self, DropError, EngineCommand, LocalUser};
use super::relay::{self, RelayError};
use super::sys::{self, ForkError};
use super::tls::TlsMode;
use crate::logging::{self, LogContext};

/// Errors that end a connection (or the listener).
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Finding the connection failed.
    #[error("{0}")]
    Conn(#[from] ConnError),
    /// The not-authenticated phase failed.
    #[error("{0}")]
    PreAuth(#[from] PreAuthError),
    /// Becoming the user or starting the engine failed.
    #[error("{0}")]
    Drop(#[from] DropError),
    /// The relay failed.
    #[error("relay: {0}")]
    Relay(#[from] RelayError),
    /// fork failed.
    #[error("{0}")]
    Fork(#[from] ForkError),
    /// A socket call failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The cause.
        source: io::Error,
    },
}

impl LoginError {
    /// Logs the error: at warn level when the client caused it (a failed
    /// handshake, a dropped connection), else at error level.
    pub fn log(&self) {
        match self {
            LoginError::PreAuth(e) => log::warn!("connection ended: {e}"),
            other => log::error!("{other}"),
        }
    }
}

/// Serves the connection this process was started with (systemd, inetd).
pub fn serve_inherited(cfg: &Config) -> Result<(), LoginError> {
    let fd = conn::inherited()?;
    serve(cfg, fd)
}

/// Serves one connection to the end of the not-authenticated state, then
/// becomes the user and hands the connection to the engine. Returns only
/// when the client left before authenticating, or after the relay ends.
pub fn serve(cfg: &Config, fd: OwnedFd) -> Result<(), LoginError> {
    let remote = conn::peer_address(fd.as_fd());
    logging::set_context(LogContext::new(&remote));
    conn::keepalive(fd.as_fd());
    let timeout = Some(cfg.idle_timeout);
    conn::set_write_timeout(fd.as_fd(), timeout).map_err(io_err("setsockopt"))?;
    conn::set_read_timeout(fd.as_fd(), timeout).map_err(io_err("setsockopt"))?;
    log::info!("connect: tls={:?}", cfg.tls);
    let sock = File::from(fd);
    let transport = match cfg.tls {
        TlsMode::Implicit => preauth::start_tls(cfg, sock)?,
        TlsMode::StartTls | TlsMode::Off => Transport::Plain(sock),
    };
    let mut phase = PreAuth::new(cfg, transport, &remote);
    let Outcome::Authenticated { tag, account } = phase.run()? else {
        log::info!("disconnect before login");
        return Ok(());
    };
    let mut transport = phase.into_transport();
    let (cmd, env) = match prepare(cfg, &transport, tag.as_str(), &account, &remote) {
        Ok(prepared) => prepared,
        Err(e) => {
            refuse(&mut transport, tag.as_str(), &e);
            return Err(e);
        }
    };
    match transport {
        Transport::Plain(mut file) => {
            let e = exec_on(file.as_fd(), &cmd, &env);
            refuse(&mut file, tag.as_str(), &e);
            Err(e)
        }
        Transport::Tls(stream) => relay_to(*stream, &cmd, &env),
    }
}

/// Answers the authenticating tag when the session cannot start.
fn refuse(out: &mut impl Write, tag: &str, e: &LoginError) {
    log::error!("cannot start the session: {e}");
    let _ = write!(out, "{tag} NO [UNAVAILABLE] Server error, try later\r\n");
    let _ = out.flush();
}

fn io_err(what: &'static str) -> impl FnOnce(io::Error) -> LoginError {
    move |source| LoginError::Io { what, source }
}

/// The local account an authenticated client is served as: the
/// invoking user when not root (development mode), else the account of
/// the same name.
fn local_user(account: &Account) -> Result<LocalUser, DropError> {
    if !Uid::effective().is_root() {
        return privdrop::current();
    }
    privdrop::resolve(&account.imap_user)
}

/// Becomes the user and builds the engine's command line and
/// environment. Nothing has reached the client yet when this fails.
fn prepare(
    cfg: &Config,
    transport: &Transport,
    tag: &str,
    account: &Account,
    remote: &str,
) -> Result<(EngineCommand, Vec<CString>), LoginError> {
    let user = local_user(account)?;
    logging::set_users(&account.imap_user, &user.name);
    let cmd = EngineCommand {
        engine: cfg.engine.clone(),
        tag: tag.to_string(),
        imap_user: account.imap_user.clone(),
        mail_dir: account.maildir.clone().or_else(|| cfg.mail_dir.clone()),
        state: cfg.state.clone(),
        session_id: logging::context().session,
        remote: remote.to_string(),
        log_stderr: cfg.log_stderr,
    };
    let env = privdrop::clean_env(&user)?;
    let sock = transport.socket();
    conn::set_read_timeout(sock, None).map_err(io_err("setsockopt"))?;
    conn::set_write_timeout(sock, None).map_err(io_err("setsockopt"))?;
    privdrop::become_user(&user)?;
    log::info!(
        "session start: uid={} engine={}",
        user.uid,
        cfg.engine.display()
    );
    Ok((cmd, env))
}

/// Puts `fd` on stdin and stdout and execs the engine there; returns
/// only the error.
fn exec_on(fd: BorrowedFd<'_>, cmd: &EngineCommand, env: &[CString]) -> LoginError {
    let dup = |what| {
        move |source: nix::Error| LoginError::Io {
            what,
            source: source.into(),
        }
    };
    if let Err(e) = nix::unistd::dup2_stdin(fd).map_err(dup("dup2 stdin")) {
        return e;
    }
    if let Err(e) = nix::unistd::dup2_stdout(fd).map_err(dup("dup2 stdout")) {
        return e;
    }
    cmd.exec(env).into()
}

type TlsStream = StreamOwned<ServerConnection, File>;

/// Starts the engine on a socketpair and relays TLS to it until either
/// side closes.
fn relay_to(mut stream: TlsStream, cmd: &EngineCommand, env: &[CString]) -> Result<(), LoginError> {
    let pair = socketpair(
        AddressFamily::Unix,
        SockType::Stream,
        None,
        SockFlag::SOCK_CLOEXEC,
    );
    let forked = pair
        .map_err(|e| LoginError::Io {
            what: "socketpair",
            source: e.into(),
        })
        .and_then(|pair| Ok((pair, sys::fork()?)));
    let ((ours, theirs), fork) = match forked {
        Ok(done) => done,
        Err(e) => {
            refuse(&mut stream, &cmd.tag, &e);
            return Err(e);
        }
    };
    match fork {
        ForkResult::Child => {
            drop((ours, stream));
            engine_child(theirs, cmd, env)
        }
        ForkResult::Parent { child } => {
            drop(theirs);
            let ended = relay::run(stream, ours, child)?;
            log::info!("session end: {ended:?} closed first");
            Ok(())
        }
    }
}

/// The forked child: the engine on the socketpair. Never returns; if the
/// exec fails it answers the tag itself through the relay.
fn engine_child(sock: OwnedFd, cmd: &EngineCommand, env: &[CString]) -> ! {
    logging::after_fork();
    let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGHUP);
    let e = exec_on(sock.as_fd(), cmd, env);
    refuse(&mut File::from(sock), &cmd.tag, &e);
    std::process::exit(1)
}

/// Foreground mode: listens on `addr` and forks a process per connection.
/// For tests and hosts without systemd or inetd.
pub fn listen(cfg: &Config, addr: &str) -> Result<(), LoginError> {
    let listener = TcpListener::bind(addr).map_err(io_err("bind"))?;
    listener.set_nonblocking(true).map_err(io_err("listen"))?;
    log::info!(
        "listening on {}",
        listener.local_addr().map_err(io_err("listen"))?
    );
    loop {
        reap_children();
        let mut fds = [PollFd::new(listener.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(1000u16)) {
            Ok(0) | Err(nix::Error::EINTR) => continue,
            Ok(_) => {}
            Err(e) => {
                return Err(LoginError::Io {
                    what: "poll",
                    source: e.into(),
                });
            }
        }
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => {
                log::warn!("accept: {e}");
                continue;
            }
        };
        if let Err(e) = stream.set_nonblocking(false) {
            log::warn!("accept: {e}");
            continue;
        }
        if let ForkResult::Child = sys::fork()? {
            drop(listener);
            logging::after_fork();
            let code = match serve(cfg, OwnedFd::from(stream)) {
                Ok(()) => 0,
                Err(e) => {
                    e.log();
                    1
                }
            };
            std::process::exit(code);
        }
    }
}

/// Collects exited per-connection children.
fn reap_children() {
    while let Ok(status) = waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
        if matches!(status, WaitStatus::StillAlive) {
            break;
        }
    }
}
