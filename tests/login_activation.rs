//! How asimap-login is started: `systemd-socket-activate --accept` (the
//! connection on fd 3 with LISTEN_FDS=1) and inetd/xinetd style (the
//! connection on fds 0, 1 and 2), including under no_new_privs and with a
//! command-line error that must not reach the client's socket.

mod login_common;

use std::net::{Ipv4Addr, TcpListener};
use std::os::fd::OwnedFd;
use std::process::{Command, Stdio};

use login_common::{
    Fixture, Imap, LOGIN, LogLines, PASSWORD, Proc, USER, connect_from, ensure_user, free_port,
    tls_client_config,
};

const SOCKET_ACTIVATE: &str = "/usr/bin/systemd-socket-activate";

#[test]
fn systemd_socket_activate_accept_passes_fd_3() {
    ensure_user();
    login_common::require_tool(SOCKET_ACTIVATE);
    let fx = Fixture::new();
    let port = free_port();
    let mut cmd = Command::new(SOCKET_ACTIVATE);
    cmd.args(["--accept", "-l", &format!("127.0.0.1:{port}"), LOGIN]);
    cmd.args(fx.args("implicit", None)).arg("--log-stderr");
    let activator = login_common::start(cmd);
    activator
        .log
        .wait_for(&format!("Listening on 127.0.0.1:{port} as 3"));
    let config = tls_client_config(&fx.ca, &[]);
    let mut imap = Imap::tls(connect_from(Ipv4Addr::LOCALHOST, port), config);
    assert!(imap.line().contains("AUTH=PLAIN"));
    let ok = imap.cmd("a", &format!("LOGIN {USER} {PASSWORD}"));
    assert_eq!(ok, ["a OK [CAPABILITY IMAP4rev1] LOGIN completed"]);
    let (uid, _) = login_common::user_ids();
    assert!(imap.line().starts_with(&format!("* FAKE uid={uid} ")));
    let line = activator.log.wait_for("connect: tls=Implicit");
    assert!(
        line.contains("remote=127.0.0.1"),
        "peer address from getpeername: {line}"
    );
}

/// Starts asimap-login like xinetd does: `sock` on fds 0, 1 and 2.
fn inetd(sock: OwnedFd, program: &[&str], args: &[String]) -> Proc {
    let mut cmd = Command::new(program[0]);
    cmd.args(&program[1..]).args(args);
    cmd.stdin(Stdio::from(sock.try_clone().expect("dup")));
    cmd.stdout(Stdio::from(sock.try_clone().expect("dup")));
    cmd.stderr(Stdio::from(sock));
    Proc {
        child: cmd.spawn().expect("start asimap-login"),
        log: LogLines::default(),
    }
}

/// A connected TCP pair: the client end and the accepted server end.
fn tcp_pair() -> (std::net::TcpStream, OwnedFd) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let client = connect_from(Ipv4Addr::LOCALHOST, port);
    let (server, _) = listener.accept().expect("accept");
    (client, OwnedFd::from(server))
}

#[test]
fn inetd_style_starttls_login_on_fd_0() {
    ensure_user();
    let fx = Fixture::new();
    let (client, server) = tcp_pair();
    let _proc = inetd(server, &[LOGIN], &fx.args("starttls", None));
    let mut imap = Imap::tcp(client);
    let greeting = imap.line();
    assert!(
        greeting.starts_with("* OK [CAPABILITY IMAP4rev1 "),
        "first bytes: {greeting}"
    );
    assert_eq!(
        imap.cmd("s", "STARTTLS"),
        ["s OK Begin TLS negotiation now"]
    );
    imap.start_tls(tls_client_config(&fx.ca, &[]));
    let ok = imap.cmd("a", &format!("LOGIN {USER} {PASSWORD}"));
    assert_eq!(ok, ["a OK [CAPABILITY IMAP4rev1] LOGIN completed"]);
    let (uid, _) = login_common::user_ids();
    assert!(imap.line().starts_with(&format!("* FAKE uid={uid} ")));
}

#[test]
fn inetd_style_under_no_new_privs_still_drops_to_the_user() {
    ensure_user();
    login_common::require_tool("/usr/bin/setpriv");
    let fx = Fixture::new();
    let (client, server) = tcp_pair();
    let mut args = fx.args("off", None);
    args.push("--allow-plaintext".into());
    let _proc = inetd(
        server,
        &["/usr/bin/setpriv", "--no-new-privs", LOGIN],
        &args,
    );
    let mut imap = Imap::tcp(client);
    imap.line();
    let ok = imap.cmd("a", &format!("LOGIN {USER} {PASSWORD}"));
    assert_eq!(ok, ["a OK [CAPABILITY IMAP4rev1] LOGIN completed"]);
    let (uid, gid) = login_common::user_ids();
    assert!(
        imap.line()
            .starts_with(&format!("* FAKE uid={uid} gid={gid} "))
    );
}

#[test]
fn inetd_style_on_a_unix_socket_names_the_peer_local() {
    let fx = Fixture::new();
    let (client, server) = std::os::unix::net::UnixStream::pair().expect("pair");
    let mut args = fx.args("starttls", None);
    args.push("--log-stderr".into());
    // Like systemd's StandardInput=socket: the socket on fds 0 and 1 only,
    // so stderr can carry the log this test reads.
    let mut cmd = Command::new(LOGIN);
    cmd.args(&args);
    cmd.stdin(Stdio::from(OwnedFd::from(server.try_clone().expect("dup"))));
    cmd.stdout(Stdio::from(OwnedFd::from(server)));
    cmd.stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start asimap-login");
    let log = LogLines::collect(&mut child);
    let proc = Proc { child, log };
    let mut imap = Imap::unix(client);
    imap.line();
    assert_eq!(imap.cmd("a", "LOGOUT").len(), 2);
    let line = proc.log.wait_for("connect:");
    assert!(line.contains("remote=local"), "{line}");
}

#[test]
fn command_line_error_under_inetd_writes_nothing_to_the_client() {
    let (client, server) = tcp_pair();
    let mut proc = inetd(server, &[LOGIN], &["--no-such-option".to_string()]);
    let status = proc.child.wait().expect("wait");
    assert_eq!(status.code(), Some(2));
    let mut imap = Imap::tcp(client);
    assert_eq!(
        imap.rest(),
        Vec::<String>::new(),
        "nothing may reach the socket"
    );
}

#[test]
fn missing_certificate_under_inetd_writes_nothing_to_the_client() {
    let fx = Fixture::new();
    let (client, server) = tcp_pair();
    let mut args = fx.args("implicit", None);
    let cert = args.iter().position(|a| a == "--cert").expect("--cert") + 1;
    args[cert] = fx
        .dir
        .path()
        .join("absent.pem")
        .to_string_lossy()
        .into_owned();
    let mut proc = inetd(server, &[LOGIN], &args);
    let status = proc.child.wait().expect("wait");
    assert_eq!(status.code(), Some(1));
    let mut imap = Imap::tcp(client);
    assert_eq!(
        imap.rest(),
        Vec::<String>::new(),
        "no error text on the socket"
    );
}
