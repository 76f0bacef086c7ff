//! A small line-based IMAP client over TCP, rustls, or a Unix socket.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;

use rustls::{ClientConfig, ClientConnection, ProtocolVersion, StreamOwned};
use rustls_pki_types::{CertificateDer, ServerName};

use super::WAIT;

/// The byte stream under the client.
pub enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
    /// A Unix socket (inetd-style tests).
    Unix(UnixStream),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
            Stream::Unix(s) => s.flush(),
        }
    }
}

/// A client configuration trusting `ca`, limited to `versions` (empty:
/// TLS 1.2 and 1.3).
pub fn tls_client_config(
    ca: &CertificateDer<'static>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).expect("trust the test certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions = if versions.is_empty() {
        rustls::ALL_VERSIONS
    } else {
        versions
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// A TCP connection to 127.0.0.1:`port` from the local address `from`
/// (any 127.x.y.z), so tests can play several client addresses.
pub fn connect_from(from: Ipv4Addr, port: u16) -> TcpStream {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, SockaddrIn, bind, connect, socket};
    let fd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .expect("socket");
    bind(
        fd.as_raw_fd(),
        &SockaddrIn::from(SocketAddrV4::new(from, 0)),
    )
    .expect("bind source");
    let to = SockaddrIn::from(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port));
    connect(fd.as_raw_fd(), &to).expect("connect");
    TcpStream::from(fd)
}

/// An IMAP client reading whole lines.
pub struct Imap {
    stream: Option<Stream>,
    buf: Vec<u8>,
}

impl Imap {
    /// Plain TCP to `port` from 127.0.0.1.
    pub fn plain(port: u16) -> Imap {
        Imap::tcp(connect_from(Ipv4Addr::LOCALHOST, port))
    }

    /// Over an open TCP stream.
    pub fn tcp(stream: TcpStream) -> Imap {
        stream.set_read_timeout(Some(WAIT)).expect("read timeout");
        Imap {
            stream: Some(Stream::Plain(stream)),
            buf: Vec::new(),
        }
    }

    /// Over a Unix socket.
    pub fn unix(stream: UnixStream) -> Imap {
        stream.set_read_timeout(Some(WAIT)).expect("read timeout");
        Imap {
            stream: Some(Stream::Unix(stream)),
            buf: Vec::new(),
        }
    }

    /// Implicit TLS over `stream`; the handshake completes here.
    pub fn tls(stream: TcpStream, config: Arc<ClientConfig>) -> Imap {
        stream.set_read_timeout(Some(WAIT)).expect("read timeout");
        Imap {
            stream: Some(Stream::Tls(Box::new(handshake(stream, config)))),
            buf: Vec::new(),
        }
    }

    /// Upgrades a plain connection after `OK Begin TLS`.
    pub fn start_tls(&mut self, config: Arc<ClientConfig>) {
        assert!(
            self.buf.is_empty(),
            "bytes after STARTTLS's OK: {:?}",
            self.buf
        );
        let Some(Stream::Plain(tcp)) = self.stream.take() else {
            panic!("not plain TCP")
        };
        self.stream = Some(Stream::Tls(Box::new(handshake(tcp, config))));
    }

    /// The negotiated TLS version.
    pub fn tls_version(&self) -> Option<ProtocolVersion> {
        match &self.stream {
            Some(Stream::Tls(s)) => s.conn.protocol_version(),
            _ => None,
        }
    }

    fn stream(&mut self) -> &mut Stream {
        self.stream.as_mut().expect("open stream")
    }

    /// Sends raw bytes.
    pub fn send(&mut self, raw: &str) {
        let s = self.stream();
        s.write_all(raw.as_bytes()).expect("send");
        s.flush().expect("flush");
    }

    /// The next line without its CRLF, or `None` at end of stream.
    pub fn try_line(&mut self) -> Option<String> {
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=i).collect();
                let text = String::from_utf8_lossy(&line);
                return Some(text.trim_end_matches(['\r', '\n']).to_string());
            }
            let mut chunk = [0u8; 4096];
            match self.stream().read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return None,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return None,
                Err(e) => panic!("read failed (server silent for {WAIT:?}?): {e}"),
            }
        }
    }

    /// The next line; fails the test at end of stream.
    #[track_caller]
    pub fn line(&mut self) -> String {
        self.try_line()
            .expect("connection closed while waiting for a line")
    }

    /// Sends `tag text` and returns every line up to the tagged one.
    #[track_caller]
    pub fn cmd(&mut self, tag: &str, text: &str) -> Vec<String> {
        self.send(&format!("{tag} {text}\r\n"));
        self.until_tagged(tag)
    }

    /// Reads lines up to and including the one tagged `tag`.
    #[track_caller]
    pub fn until_tagged(&mut self, tag: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self.line();
            let done = line.starts_with(&format!("{tag} "));
            lines.push(line);
            if done {
                return lines;
            }
        }
    }

    /// Reads until the server closes; returns what came.
    pub fn rest(&mut self) -> Vec<String> {
        std::iter::from_fn(|| self.try_line()).collect()
    }
}

fn handshake(
    mut tcp: TcpStream,
    config: Arc<ClientConfig>,
) -> StreamOwned<ClientConnection, TcpStream> {
    let name = ServerName::try_from("localhost").expect("server name");
    let mut conn = ClientConnection::new(config, name).expect("client connection");
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).expect("TLS handshake");
    }
    StreamOwned::new(conn, tcp)
}

/// The last line of `lines` (the tagged completion).
pub fn tagged(lines: &[String]) -> &str {
    lines.last().map(String::as_str).unwrap_or("")
}
