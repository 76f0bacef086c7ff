//! The client connection: finding it (systemd's fd 3, or the socket on
//! fd 0 under inetd, xinetd or `StandardInput=socket`), its peer address,
//! timeouts, and the byte stream with or without TLS.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use nix::sys::socket::{self, SockaddrLike, SockaddrStorage, sockopt};
use nix::sys::time::TimeVal;
use rustls::{ServerConnection, StreamOwned};

use super::sys;

/// Errors finding or setting up the connection.
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    /// Neither LISTEN_FDS nor a socket on fd 0.
    #[error("no connection: expected LISTEN_FDS=1 (systemd) or a socket on stdin (inetd)")]
    Missing,
    /// A system call on the socket failed.
    #[error("{what}: {source}")]
    Sys {
        /// What was being done.
        what: &'static str,
        /// The cause.
        source: nix::Error,
    },
}

fn sys_err(what: &'static str) -> impl FnOnce(nix::Error) -> ConnError {
    move |source| ConnError::Sys { what, source }
}

/// The connection this process was started for: the single fd systemd
/// passes with `LISTEN_FDS=1`, else the socket on fd 0. The returned
/// descriptor is close-on-exec. Under inetd and xinetd, fd 2 is the
/// socket too, so it is pointed at /dev/null before anything can write to
/// it.
pub fn inherited() -> Result<OwnedFd, ConnError> {
    let passed: Vec<i32> = sd_notify::listen_fds()
        .map(Iterator::collect)
        .unwrap_or_default();
    if let [fd] = passed[..] {
        return sys::adopt_listen_fd(fd).ok_or(ConnError::Missing);
    }
    let stdin = io::stdin();
    if socket::getsockname::<SockaddrStorage>(stdin.as_fd().as_raw_fd()).is_err() {
        return Err(ConnError::Missing);
    }
    let fd = nix::unistd::dup(stdin.as_fd()).map_err(sys_err("dup"))?;
    set_cloexec(&fd)?;
    if same_file(stdin.as_fd(), io::stderr().as_fd()) {
        silence_stderr();
    }
    Ok(fd)
}

/// Points fd 2 at /dev/null (xinetd passes the socket there too).
pub fn silence_stderr() {
    if let Ok(null) = File::options().write(true).open("/dev/null") {
        let _ = nix::unistd::dup2_stderr(&null);
    }
}

/// True when both descriptors refer to the same open file (socket).
fn same_file(a: BorrowedFd<'_>, b: BorrowedFd<'_>) -> bool {
    use nix::sys::stat::fstat;
    match (fstat(a), fstat(b)) {
        (Ok(x), Ok(y)) => x.st_dev == y.st_dev && x.st_ino == y.st_ino,
        _ => false,
    }
}

fn set_cloexec(fd: &OwnedFd) -> Result<(), ConnError> {
    use nix::fcntl::{FcntlArg, FdFlag, fcntl};
    fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))
        .map(drop)
        .map_err(sys_err("fcntl"))
}

/// The peer's IP address as text (`192.0.2.1`, `2001:db8::1`; an
/// IPv4-mapped IPv6 address is shown as IPv4), `local` for a Unix socket.
pub fn peer_address(fd: BorrowedFd<'_>) -> String {
    let Ok(addr) = socket::getpeername::<SockaddrStorage>(fd.as_raw_fd()) else {
        return "unknown".into();
    };
    if let Some(v4) = addr.as_sockaddr_in() {
        return IpAddr::V4(v4.ip()).to_string();
    }
    if let Some(v6) = addr.as_sockaddr_in6() {
        return v6.ip().to_canonical().to_string();
    }
    match addr.family() {
        Some(socket::AddressFamily::Unix) => "local".into(),
        _ => "unknown".into(),
    }
}

/// Sets the receive timeout (`None` blocks for ever), which bounds every
/// read, the TLS handshake's included.
pub fn set_read_timeout(fd: BorrowedFd<'_>, timeout: Option<Duration>) -> io::Result<()> {
    let tv = timeval(timeout);
    socket::setsockopt(&fd, sockopt::ReceiveTimeout, &tv).map_err(io::Error::from)
}

/// Sets the send timeout (`None` blocks for ever).
pub fn set_write_timeout(fd: BorrowedFd<'_>, timeout: Option<Duration>) -> io::Result<()> {
    let tv = timeval(timeout);
    socket::setsockopt(&fd, sockopt::SendTimeout, &tv).map_err(io::Error::from)
}

fn timeval(timeout: Option<Duration>) -> TimeVal {
    let Some(d) = timeout else {
        return TimeVal::new(0, 0);
    };
    // A zero timeval means "no timeout": round a zero duration up.
    let us = d.as_micros().clamp(1, i64::MAX as u128) as i64;
    TimeVal::new(us / 1_000_000, us % 1_000_000)
}

/// Turns on TCP keepalive so a vanished client ends its session; a Unix
/// socket simply refuses, which is fine.
pub fn keepalive(fd: BorrowedFd<'_>) {
    let _ = socket::setsockopt(&fd, sockopt::KeepAlive, &true);
}

/// The client's byte stream, before or after TLS.
#[derive(Debug)]
pub enum Transport {
    /// Plaintext.
    Plain(File),
    /// TLS over the socket.
    Tls(Box<StreamOwned<ServerConnection, File>>),
}

impl Transport {
    /// The socket underneath.
    pub fn socket(&self) -> BorrowedFd<'_> {
        match self {
            Transport::Plain(f) => f.as_fd(),
            Transport::Tls(s) => s.sock.as_fd(),
        }
    }

    /// True once TLS is on.
    pub fn is_tls(&self) -> bool {
        matches!(self, Transport::Tls(_))
    }
}

impl Read for Transport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(f) => f.read(buf),
            Transport::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Transport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(f) => f.write(buf),
            Transport::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Transport::Plain(f) => f.flush(),
            Transport::Tls(s) => s.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_address_of_tcp_and_unix_sockets() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let client = std::net::TcpStream::connect(listener.local_addr().expect("addr"));
        let (server, _) = listener.accept().expect("accept");
        assert_eq!(peer_address(server.as_fd()), "127.0.0.1");
        drop(client);
        let (a, _b) = std::os::unix::net::UnixStream::pair().expect("pair");
        assert_eq!(peer_address(a.as_fd()), "local");
    }

    #[test]
    fn read_timeout_ends_a_silent_read() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().expect("pair");
        set_read_timeout(a.as_fd(), Some(Duration::from_millis(20))).expect("timeout");
        let mut t = Transport::Plain(File::from(OwnedFd::from(a)));
        let err = t.read(&mut [0u8; 4]).expect_err("times out");
        assert!(matches!(
            err.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ));
    }
}
