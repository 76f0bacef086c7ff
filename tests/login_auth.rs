//! Failed logins and throttling: the same answer for an unknown user and a
//! wrong password, fail2ban-friendly log lines, and lockouts by address and
//! by user name shared by separate processes through the SQLite store.

mod login_common;

use std::net::{Ipv4Addr, TcpListener};
use std::process::{Command, Stdio};

use login_common::{
    Fixture, Imap, LOGIN, PASSWORD, Proc, USER, connect_from, ensure_user, listen,
    tls_client_config,
};

const FAILED: &str = "NO [AUTHENTICATIONFAILED] Authentication failed";

/// A TLS session from `from` to the server on `port`, greeting read.
fn session(fx: &Fixture, port: u16, from: Ipv4Addr) -> Imap {
    let config = tls_client_config(&fx.ca, &[]);
    let mut imap = Imap::tls(connect_from(from, port), config);
    imap.line();
    imap
}

fn login(imap: &mut Imap, user: &str, password: &str) -> String {
    imap.cmd("a", &format!("LOGIN {user} {password}"))[0].clone()
}

#[test]
fn unknown_user_and_wrong_password_get_the_same_answer() {
    ensure_user();
    let fx = Fixture::new();
    let (server, port) = listen(&fx.args("implicit", None));
    let mut imap = session(&fx, port, Ipv4Addr::new(127, 0, 0, 41));
    let wrong = login(&mut imap, USER, "not-the-password");
    let mut imap = session(&fx, port, Ipv4Addr::new(127, 0, 0, 42));
    let unknown = login(&mut imap, "nosuchuser-asimap", PASSWORD);
    assert_eq!(wrong, format!("a {FAILED}"));
    assert_eq!(unknown, wrong);
    let line = server.log.wait_for("reason=wrong password");
    assert!(
        line.contains(&format!("auth failed: user=\"{USER}\" rip=127.0.0.41")),
        "{line}"
    );
    let line = server.log.wait_for("reason=unknown user");
    assert!(
        line.contains("auth failed: user=\"nosuchuser-asimap\" rip=127.0.0.42"),
        "{line}"
    );
}

#[test]
fn three_failures_end_the_connection() {
    ensure_user();
    let fx = Fixture::new();
    let (_server, port) = listen(&fx.args("implicit", None));
    let mut imap = session(&fx, port, Ipv4Addr::new(127, 0, 0, 51));
    for tag in ["a", "b"] {
        assert_eq!(
            imap.cmd(tag, &format!("LOGIN u{tag} x")),
            [format!("{tag} {FAILED}")]
        );
    }
    assert_eq!(imap.cmd("c", "LOGIN uc x"), [format!("c {FAILED}")]);
    assert_eq!(imap.rest(), ["* BYE Too many failed logins"]);
}

#[test]
fn three_failures_from_one_address_lock_it_across_processes() {
    ensure_user();
    let fx = Fixture::new();
    let (server, port) = listen(&fx.args("implicit", None));
    let attacker = Ipv4Addr::new(127, 0, 0, 21);
    // Each connection is its own forked process; they share only the store.
    for i in 0..3 {
        let mut imap = session(&fx, port, attacker);
        assert_eq!(
            login(&mut imap, &format!("guess{i}"), "x"),
            format!("a {FAILED}")
        );
    }
    server.log.wait_for("lockout started: address");
    let mut imap = session(&fx, port, attacker);
    assert_eq!(login(&mut imap, USER, PASSWORD), format!("a {FAILED}"));
    let line = server.log.wait_for("reason=locked out (address)");
    assert!(line.contains("rip=127.0.0.21"), "{line}");
    let mut imap = session(&fx, port, Ipv4Addr::new(127, 0, 0, 22));
    assert_eq!(
        login(&mut imap, USER, PASSWORD),
        "a OK [CAPABILITY IMAP4rev1] LOGIN completed"
    );
}

/// Serves one connection inetd-style: a separate asimap-login process with
/// the accepted socket on fds 0, 1 and 2, as xinetd does.
fn inetd_once(fx: &Fixture, from: Ipv4Addr) -> (Imap, Proc) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let client = connect_from(from, port);
    let (server_side, _) = listener.accept().expect("accept");
    let fd = std::os::fd::OwnedFd::from(server_side);
    let mut cmd = Command::new(LOGIN);
    cmd.args(fx.args("off", None)).arg("--allow-plaintext");
    cmd.stdin(Stdio::from(fd.try_clone().expect("dup")));
    cmd.stdout(Stdio::from(fd.try_clone().expect("dup")));
    cmd.stderr(Stdio::from(fd));
    let child = cmd.spawn().expect("start asimap-login");
    let mut imap = Imap::tcp(client);
    let greeting = imap.line();
    assert!(greeting.starts_with("* OK [CAPABILITY "), "{greeting}");
    (
        imap,
        Proc {
            child,
            log: Default::default(),
        },
    )
}

#[test]
fn four_failures_for_one_user_lock_the_name_across_processes() {
    ensure_user();
    let fx = Fixture::new();
    // Four separate asimap-login processes from four addresses: no address
    // reaches its own limit, the user name does.
    for i in 31..35 {
        let (mut imap, _proc) = inetd_once(&fx, Ipv4Addr::new(127, 0, 0, i));
        assert_eq!(login(&mut imap, USER, "wrong"), format!("a {FAILED}"));
    }
    let (mut imap, _proc) = inetd_once(&fx, Ipv4Addr::new(127, 0, 0, 35));
    assert_eq!(
        login(&mut imap, USER, PASSWORD),
        format!("a {FAILED}"),
        "locked, password unchecked"
    );
    // Another name from the same address is not affected.
    let (mut imap, _proc) = inetd_once(&fx, Ipv4Addr::new(127, 0, 0, 35));
    assert_eq!(login(&mut imap, "someone-else", "x"), format!("a {FAILED}"));
    let store = rusqlite::Connection::open(&fx.throttle).expect("open store");
    let locked: String = store
        .query_row("SELECT key FROM lockout WHERE kind = 'user'", [], |r| {
            r.get(0)
        })
        .expect("a user lockout row");
    assert_eq!(locked, USER);
}
