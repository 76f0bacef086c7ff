//! The TLS relay: after the privilege drop, the engine runs on one end of
//! a socketpair and this loop pumps bytes between it and the TLS
//! connection with poll(2), until either side closes. It then waits for
//! the engine, so the relay never outlives it.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use rustls::{ServerConnection, StreamOwned};

/// Plaintext from the client waiting for the engine, at most.
const MAX_PENDING: usize = 256 * 1024;

/// Errors that end the relay.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// poll or a descriptor flag change failed.
    #[error("{what}: {source}")]
    Sys {
        /// What was being done.
        what: &'static str,
        /// The cause.
        source: nix::Error,
    },
    /// Reading or writing a side failed.
    #[error("{side}: {source}")]
    Io {
        /// `client` or `engine`.
        side: &'static str,
        /// The cause.
        source: io::Error,
    },
    /// The client's TLS records were invalid.
    #[error("tls: {0}")]
    Tls(#[from] rustls::Error),
}

/// How the relay ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The engine closed its side (it logged out or exited).
    Engine,
    /// The client closed the connection.
    Client,
}

fn nonblocking(fd: BorrowedFd<'_>) -> Result<(), RelayError> {
    let sys = |source| RelayError::Sys {
        what: "fcntl",
        source,
    };
    let flags = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL).map_err(sys)?);
    fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))
        .map(drop)
        .map_err(sys)
}

fn would_block(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

/// The relay's state: the TLS session, the engine's end, and plaintext
/// not yet taken by the engine.
struct Relay {
    tls: ServerConnection,
    client: File,
    engine: File,
    to_engine: Vec<u8>,
}

/// Runs the relay until one side closes, then says goodbye to the client
/// with close_notify and reaps the engine `child`.
pub fn run(
    stream: StreamOwned<ServerConnection, File>,
    engine: OwnedFd,
    child: Pid,
) -> Result<Ended, RelayError> {
    let StreamOwned { mut conn, sock } = stream;
    discard_plaintext(&mut conn);
    let mut relay = Relay {
        tls: conn,
        client: sock,
        engine: File::from(engine),
        to_engine: Vec::new(),
    };
    let result = relay.pump();
    relay.finish();
    drop(relay);
    reap(child);
    result
}

/// Drops plaintext the client pipelined after its LOGIN; the framer has
/// already dropped (and logged) the part of it that it held.
fn discard_plaintext(conn: &mut ServerConnection) {
    let mut sink = Vec::new();
    if conn.reader().read_to_end(&mut sink).is_ok_and(|n| n > 0) || !sink.is_empty() {
        log::warn!(
            "discarding {} bytes sent before the login completed",
            sink.len()
        );
    }
}

impl Relay {
    fn pump(&mut self) -> Result<Ended, RelayError> {
        nonblocking(self.client.as_fd())?;
        nonblocking(self.engine.as_fd())?;
        loop {
            let (client_ev, engine_ev) = self.wait()?;
            if client_ev.intersects(PollFlags::POLLOUT) {
                self.flush_tls()?;
            }
            if client_ev.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR)
                && self.read_client()?
            {
                return Ok(Ended::Client);
            }
            if engine_ev.intersects(PollFlags::POLLOUT) {
                self.write_engine()?;
            }
            if engine_ev.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR)
                && self.read_engine()?
            {
                return Ok(Ended::Engine);
            }
        }
    }

    /// Polls both sides for what each can do now.
    fn wait(&self) -> Result<(PollFlags, PollFlags), RelayError> {
        let mut client = PollFlags::empty();
        if self.to_engine.len() < MAX_PENDING {
            client |= PollFlags::POLLIN;
        }
        if self.tls.wants_write() {
            client |= PollFlags::POLLOUT;
        }
        let mut engine = PollFlags::empty();
        if !self.tls.wants_write() {
            engine |= PollFlags::POLLIN;
        }
        if !self.to_engine.is_empty() {
            engine |= PollFlags::POLLOUT;
        }
        let mut fds = [
            PollFd::new(self.client.as_fd(), client),
            PollFd::new(self.engine.as_fd(), engine),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(nix::Error::EINTR) => {}
            Err(source) => {
                return Err(RelayError::Sys {
                    what: "poll",
                    source,
                });
            }
        }
        let ev = |f: &PollFd| f.revents().unwrap_or(PollFlags::empty());
        Ok((ev(&fds[0]), ev(&fds[1])))
    }

    /// Sends pending TLS records.
    fn flush_tls(&mut self) -> Result<(), RelayError> {
        while self.tls.wants_write() {
            match self.tls.write_tls(&mut self.client) {
                Ok(_) => {}
                Err(e) if would_block(&e) => return Ok(()),
                Err(source) => {
                    return Err(RelayError::Io {
                        side: "client",
                        source,
                    });
                }
            }
        }
        Ok(())
    }

    /// Reads TLS records and queues their plaintext; true at end of stream.
    fn read_client(&mut self) -> Result<bool, RelayError> {
        match self.tls.read_tls(&mut self.client) {
            Ok(0) => return Ok(true),
            Ok(_) => {}
            Err(e) if would_block(&e) => return Ok(false),
            Err(source) => {
                return Err(RelayError::Io {
                    side: "client",
                    source,
                });
            }
        }
        let state = self.tls.process_new_packets()?;
        let n = state.plaintext_bytes_to_read();
        let start = self.to_engine.len();
        self.to_engine.resize(start + n, 0);
        self.tls
            .reader()
            .read_exact(&mut self.to_engine[start..])
            .map_err(|source| RelayError::Io {
                side: "client",
                source,
            })?;
        Ok(state.peer_has_closed() && self.to_engine.is_empty())
    }

    /// Writes queued plaintext to the engine.
    fn write_engine(&mut self) -> Result<(), RelayError> {
        match self.engine.write(&self.to_engine) {
            Ok(n) => {
                self.to_engine.drain(..n);
                Ok(())
            }
            Err(e) if would_block(&e) => Ok(()),
            Err(source) => Err(RelayError::Io {
                side: "engine",
                source,
            }),
        }
    }

    /// Reads the engine's output into TLS; true when the engine closed.
    fn read_engine(&mut self) -> Result<bool, RelayError> {
        let mut buf = [0u8; 16 * 1024];
        match self.engine.read(&mut buf) {
            Ok(0) => Ok(true),
            Ok(n) => {
                self.tls
                    .writer()
                    .write_all(&buf[..n])
                    .map_err(|source| RelayError::Io {
                        side: "client",
                        source,
                    })?;
                self.flush_tls()?;
                Ok(false)
            }
            Err(e) if would_block(&e) => Ok(false),
            Err(source) => Err(RelayError::Io {
                side: "engine",
                source,
            }),
        }
    }

    /// Sends close_notify and whatever is still queued, for up to 5 s.
    fn finish(&mut self) {
        self.tls.send_close_notify();
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.tls.wants_write() && Instant::now() < deadline {
            if self.flush_tls().is_err() {
                return;
            }
            let mut fds = [PollFd::new(self.client.as_fd(), PollFlags::POLLOUT)];
            let _ = poll(&mut fds, PollTimeout::from(100u16));
        }
    }
}

/// Waits for the engine to exit after its socket closed; it gets 10 s to
/// notice EOF before SIGTERM, then SIGKILL.
fn reap(child: Pid) {
    for (wait, signal) in [
        (10_000, Some(Signal::SIGTERM)),
        (2_000, Some(Signal::SIGKILL)),
        (5_000, None),
    ] {
        if wait_for(child, Duration::from_millis(wait)) {
            return;
        }
        if let Some(sig) = signal {
            log::warn!("engine {child} still running after its connection closed; sending {sig}");
            let _ = kill(child, sig);
        }
    }
}

/// True once `child` has been reaped (or is not ours to reap).
fn wait_for(child: Pid, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        match waitpid(child, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => {}
            Ok(status) => {
                log::debug!("engine ended: {status:?}");
                return true;
            }
            Err(nix::Error::EINTR) => {}
            Err(_) => return true,
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
