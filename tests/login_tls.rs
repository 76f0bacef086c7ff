//! asimap-login with real TLS: implicit TLS 1.3 and 1.2 with a rustls
//! client, STARTTLS, AUTHENTICATE PLAIN in both forms, the privilege drop
//! as the stand-in engine sees it, and `openssl s_client` sessions.

mod login_common;

use std::io::{BufRead, BufReader, Write};
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};
use std::sync::mpsc;

use login_common::{
    Fixture, HOME, Imap, PASSWORD, USER, connect_from, ensure_user, listen, tls_client_config,
};
use rustls::ProtocolVersion;

fn plain_ir() -> String {
    let raw = format!("\0{USER}\0{PASSWORD}");
    base64(raw.as_bytes())
}

fn base64(data: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Checks the stand-in engine's report: the user's ids and groups, home,
/// umask, environment, arguments, and no access to /etc/shadow.
#[track_caller]
fn assert_runs_as_user(imap: &mut Imap, tag: &str) {
    let (uid, gid) = login_common::user_ids();
    let group = nix::unistd::Group::from_name(login_common::GROUP)
        .expect("getgrnam")
        .expect("group");
    let ids = imap.line();
    assert!(
        ids.starts_with(&format!("* FAKE uid={uid} gid={gid} groups=")),
        "{ids}"
    );
    assert!(
        ids.split(['=', ' ']).any(|g| g == group.gid.to_string()),
        "{ids}"
    );
    assert!(
        !ids.split(['=', ' ']).any(|g| g == "0"),
        "root group kept: {ids}"
    );
    assert_eq!(imap.line(), format!("* FAKE cwd={HOME} umask=0077"));
    assert_eq!(imap.line(), "* FAKE env=HOME,LOGNAME,PATH,SHELL,USER,");
    let args = imap.line();
    assert!(
        args.contains(&format!(
            "--authenticated {tag} --imap-user {USER} --session-id "
        )),
        "{args}"
    );
    assert!(args.contains("--remote 127.0.0.1"), "{args}");
    assert_eq!(imap.line(), "* FAKE shadow=denied");
}

#[test]
fn implicit_tls13_login_runs_the_engine_as_the_user() {
    ensure_user();
    let fx = Fixture::new();
    let (server, port) = listen(&fx.args("implicit", None));
    let config = tls_client_config(&fx.ca, &[&rustls::version::TLS13]);
    let mut imap = Imap::tls(connect_from(Ipv4Addr::LOCALHOST, port), config);
    let greeting = imap.line();
    assert_eq!(imap.tls_version(), Some(ProtocolVersion::TLSv1_3));
    assert!(greeting.contains("AUTH=PLAIN"), "{greeting}");
    assert!(
        !greeting.contains("LOGINDISABLED") && !greeting.contains("STARTTLS"),
        "{greeting}"
    );
    let ok = imap.cmd("a1", &format!("LOGIN {USER} {PASSWORD}"));
    assert_eq!(ok, ["a1 OK [CAPABILITY IMAP4rev1] LOGIN completed"]);
    assert_runs_as_user(&mut imap, "a1");
    assert_eq!(imap.cmd("a2", "NOOP"), ["a2 OK echo"]);
    let bye = imap.cmd("a3", "LOGOUT");
    assert_eq!(bye, ["* BYE bye", "a3 OK LOGOUT completed"]);
    assert_eq!(imap.try_line(), None);
    server.log.wait_for("session end: Engine closed first");
    let line = server.log.wait_for("session start");
    assert!(
        line.contains(&format!("user={USER} local={USER}")),
        "{line}"
    );
}

#[test]
fn implicit_tls12_with_authenticate_plain_sasl_ir() {
    ensure_user();
    let fx = Fixture::new();
    let (_server, port) = listen(&fx.args("implicit", None));
    let config = tls_client_config(&fx.ca, &[&rustls::version::TLS12]);
    let mut imap = Imap::tls(connect_from(Ipv4Addr::LOCALHOST, port), config);
    imap.line();
    assert_eq!(imap.tls_version(), Some(ProtocolVersion::TLSv1_2));
    let ok = imap.cmd("x", &format!("AUTHENTICATE PLAIN {}", plain_ir()));
    assert_eq!(ok, ["x OK [CAPABILITY IMAP4rev1] LOGIN completed"]);
    assert_runs_as_user(&mut imap, "x");
}

#[test]
fn starttls_then_authenticate_with_a_continuation() {
    ensure_user();
    let fx = Fixture::new();
    let (_server, port) = listen(&fx.args("starttls", None));
    let mut imap = Imap::plain(port);
    assert!(imap.line().contains("LOGINDISABLED"));
    assert_eq!(
        imap.cmd("s", "STARTTLS"),
        ["s OK Begin TLS negotiation now"]
    );
    imap.start_tls(tls_client_config(&fx.ca, &[]));
    let caps = imap.cmd("c", "CAPABILITY");
    assert!(caps[0].contains("AUTH=PLAIN"), "{caps:?}");
    assert!(
        !caps[0].contains("LOGINDISABLED") && !caps[0].contains("STARTTLS"),
        "{caps:?}"
    );
    let again = imap.cmd("t", "STARTTLS");
    assert!(again[0].starts_with("t BAD "), "{again:?}");
    imap.send("a AUTHENTICATE PLAIN\r\n");
    assert_eq!(imap.line(), "+ ");
    imap.send(&format!("{}\r\n", plain_ir()));
    assert_eq!(imap.line(), "a OK [CAPABILITY IMAP4rev1] LOGIN completed");
    assert_runs_as_user(&mut imap, "a");
}

#[test]
fn commands_injected_before_the_tls_handshake_are_dropped() {
    let fx = Fixture::new();
    let (server, port) = listen(&fx.args("starttls", None));
    let mut imap = Imap::plain(port);
    imap.line();
    imap.send("s STARTTLS\r\nevil CAPABILITY\r\n");
    assert_eq!(imap.line(), "s OK Begin TLS negotiation now");
    imap.start_tls(tls_client_config(&fx.ca, &[]));
    assert_eq!(imap.cmd("n", "NOOP"), ["n OK NOOP completed"]);
    server
        .log
        .wait_for("discarding 17 bytes sent before the TLS handshake");
}

#[test]
fn wrong_certificate_name_fails_the_handshake_cleanly() {
    let fx = Fixture::new();
    let (_server, port) = listen(&fx.args("implicit", None));
    let other = Fixture::new();
    let config = tls_client_config(&other.ca, &[]);
    let name = rustls_pki_types::ServerName::try_from("localhost").expect("name");
    let mut conn = rustls::ClientConnection::new(config, name).expect("client");
    let mut tcp = connect_from(Ipv4Addr::LOCALHOST, port);
    let mut result = Ok((0, 0));
    while conn.is_handshaking() && result.is_ok() {
        result = conn.complete_io(&mut tcp);
    }
    assert!(
        result.is_err(),
        "a certificate from another CA must not verify"
    );
}

/// Runs `openssl s_client` with `extra` arguments, feeding it `commands`
/// one at a time, each after the previous tagged reply; returns the
/// transcript of server lines.
fn s_client(fx: &Fixture, port: u16, extra: &[&str], commands: &[(&str, String)]) -> Vec<String> {
    login_common::require_tool("/usr/bin/openssl");
    let connect = format!("127.0.0.1:{port}");
    let child = Command::new("/usr/bin/openssl")
        .args([
            "s_client",
            "-connect",
            &connect,
            "-quiet",
            "-verify_return_error",
        ])
        .args([
            "-verifyCAfile",
            &fx.cert.to_string_lossy(),
            "-verify_hostname",
            "localhost",
        ])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run openssl s_client");
    // Killed and reaped on drop if the test fails half-way.
    let mut proc = login_common::Proc {
        child,
        log: Default::default(),
    };
    let stdout = proc.child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line.trim_end_matches('\r').to_string()).is_err() {
                break;
            }
        }
    });
    let mut stdin = proc.child.stdin.take().expect("stdin");
    let mut lines = Vec::new();
    let next = |lines: &mut Vec<String>| {
        let line = rx
            .recv_timeout(login_common::WAIT)
            .expect("openssl s_client said nothing");
        lines.push(line.clone());
        line
    };
    // With -starttls, s_client reads the greeting itself.
    if extra.is_empty() {
        while !next(&mut lines).starts_with("* OK") {}
    }
    for (tag, text) in commands {
        writeln!(stdin, "{tag} {text}\r").expect("write to s_client");
        while !next(&mut lines).starts_with(&format!("{tag} ")) {}
    }
    // s_client -quiet ignores the end of its input; the guard ends it.
    drop(stdin);
    lines
}

#[test]
fn openssl_s_client_implicit_tls() {
    ensure_user();
    let fx = Fixture::new();
    let (_server, port) = listen(&fx.args("implicit", None));
    let lines = s_client(
        &fx,
        port,
        &[],
        &[
            ("a", format!("LOGIN {USER} {PASSWORD}")),
            ("b", "LOGOUT".into()),
        ],
    );
    assert!(
        lines.contains(&"a OK [CAPABILITY IMAP4rev1] LOGIN completed".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"b OK LOGOUT completed".to_string()),
        "{lines:?}"
    );
}

#[test]
fn openssl_s_client_starttls() {
    ensure_user();
    let fx = Fixture::new();
    let (_server, port) = listen(&fx.args("starttls", None));
    let commands = [
        ("c", "CAPABILITY".to_string()),
        ("a", format!("LOGIN {USER} {PASSWORD}")),
    ];
    let lines = s_client(&fx, port, &["-starttls", "imap"], &commands);
    let caps = lines
        .iter()
        .find(|l| l.starts_with("* CAPABILITY"))
        .expect("capability");
    assert!(
        caps.contains("AUTH=PLAIN") && !caps.contains("LOGINDISABLED"),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"a OK [CAPABILITY IMAP4rev1] LOGIN completed".to_string()),
        "{lines:?}"
    );
}

#[test]
fn a_renewed_certificate_is_served_without_a_restart() {
    let fx = Fixture::new();
    let (_server, port) = listen(&fx.args("implicit", None));
    let mut imap = Imap::tls(
        connect_from(Ipv4Addr::LOCALHOST, port),
        tls_client_config(&fx.ca, &[]),
    );
    assert!(imap.line().starts_with("* OK "));
    let renewed = Fixture::new();
    std::fs::copy(&renewed.cert, &fx.cert).expect("replace cert");
    std::fs::copy(&renewed.key, &fx.key).expect("replace key");
    let config = tls_client_config(&renewed.ca, &[]);
    let mut imap = Imap::tls(connect_from(Ipv4Addr::LOCALHOST, port), config);
    assert!(imap.line().starts_with("* OK "));
}

#[test]
fn a_vanishing_client_ends_the_relay_and_the_engine() {
    ensure_user();
    let fx = Fixture::new();
    let (server, port) = listen(&fx.args("implicit", None));
    let config = tls_client_config(&fx.ca, &[]);
    let mut imap = Imap::tls(connect_from(Ipv4Addr::LOCALHOST, port), config);
    imap.line();
    imap.cmd("a", &format!("LOGIN {USER} {PASSWORD}"));
    assert_runs_as_user(&mut imap, "a");
    drop(imap);
    // Logged by the relay only after it has reaped the engine.
    server.log.wait_for("session end: Client closed first");
}

#[test]
fn login_with_synchronizing_literals() {
    ensure_user();
    let fx = Fixture::new();
    let (_server, port) = listen(&fx.args("implicit", None));
    let config = tls_client_config(&fx.ca, &[]);
    let mut imap = Imap::tls(connect_from(Ipv4Addr::LOCALHOST, port), config);
    imap.line();
    imap.send(&format!("a LOGIN {{{}}}\r\n", USER.len()));
    assert!(imap.line().starts_with("+ "));
    imap.send(&format!("{USER} {{{}}}\r\n", PASSWORD.len()));
    assert!(imap.line().starts_with("+ "));
    imap.send(&format!("{PASSWORD}\r\n"));
    assert_eq!(imap.line(), "a OK [CAPABILITY IMAP4rev1] LOGIN completed");
}
