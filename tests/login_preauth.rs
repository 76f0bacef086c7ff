//! asimap-login before authentication, over plain TCP: LOGINDISABLED
//! until TLS, the commands allowed, BAD for the rest, the line cap, the
//! idle timeout, and plaintext login when explicitly allowed.

mod login_common;

use login_common::{Fixture, Imap, ensure_user, listen};

#[test]
fn before_tls_capability_shows_logindisabled_and_no_auth() {
    let fx = Fixture::new();
    let (_server, port) = listen(&fx.args("starttls", None));
    let mut imap = Imap::plain(port);
    let greeting = imap.line();
    assert!(greeting.starts_with("* OK [CAPABILITY "), "{greeting}");
    for text in [greeting, imap.cmd("a", "CAPABILITY")[0].clone()] {
        assert!(text.contains(" STARTTLS"), "{text}");
        assert!(text.contains(" LOGINDISABLED"), "{text}");
        assert!(!text.contains("AUTH="), "{text}");
    }
}

#[test]
fn login_and_authenticate_before_tls_are_refused() {
    ensure_user();
    let fx = Fixture::new();
    let (server, port) = listen(&fx.args("starttls", None));
    let mut imap = Imap::plain(port);
    imap.line();
    let login = imap.cmd(
        "a",
        &format!("LOGIN {} {}", login_common::USER, login_common::PASSWORD),
    );
    assert_eq!(login, ["a NO [PRIVACYREQUIRED] Use STARTTLS first"]);
    let auth = imap.cmd("b", "AUTHENTICATE PLAIN AGFzaW1hcGxvZ2luAHg=");
    assert_eq!(auth, ["b NO [PRIVACYREQUIRED] Use STARTTLS first"]);
    assert!(
        !server.log.text().contains("session start"),
        "{}",
        server.log.text()
    );
}

#[test]
fn other_commands_are_bad_and_allowed_ones_work() {
    let fx = Fixture::new();
    let (_server, port) = listen(&fx.args("starttls", None));
    let mut imap = Imap::plain(port);
    imap.line();
    assert_eq!(imap.cmd("a", "NOOP"), ["a OK NOOP completed"]);
    let select = imap.cmd("b", "SELECT INBOX");
    assert!(select[0].starts_with("b BAD "), "{select:?}");
    let garbage = imap.cmd("c", "FROBNICATE now");
    assert!(garbage[0].starts_with("c BAD "), "{garbage:?}");
    let id = imap.cmd("d", "ID (\"name\" \"login-test\")");
    assert!(id[0].starts_with("* ID (\"name\" \"asimap\""), "{id:?}");
    assert_eq!(id[1], "d OK ID completed");
    let bye = imap.cmd("e", "LOGOUT");
    assert_eq!(bye, ["* BYE Logging out", "e OK LOGOUT completed"]);
    assert_eq!(imap.try_line(), None, "the server closes after LOGOUT");
}

#[test]
fn overlong_line_is_refused_and_the_session_goes_on() {
    let fx = Fixture::new();
    let (_server, port) = listen(&fx.args("starttls", None));
    let mut imap = Imap::plain(port);
    imap.line();
    let long = format!("a NOOP {}\r\n", "x".repeat(20_000));
    imap.send(&long);
    let reply = imap.line();
    assert!(reply.starts_with("a BAD "), "{reply}");
    assert_eq!(imap.cmd("b", "NOOP"), ["b OK NOOP completed"]);
}

#[test]
fn silent_client_is_sent_away() {
    let fx = Fixture::new();
    let mut args = fx.args("starttls", None);
    args.extend(["--idle-timeout".into(), "1".into()]);
    let (_server, port) = listen(&args);
    let mut imap = Imap::plain(port);
    imap.line();
    let rest = imap.rest();
    assert_eq!(rest, ["* BYE Autologout; idle for too long"]);
}

#[test]
fn plaintext_login_when_allowed_execs_the_engine_on_the_socket() {
    ensure_user();
    let fx = Fixture::new();
    let mut args = fx.args("off", None);
    args.push("--allow-plaintext".into());
    let (server, port) = listen(&args);
    let mut imap = Imap::plain(port);
    let greeting = imap.line();
    assert!(
        greeting.contains("AUTH=PLAIN") && !greeting.contains("LOGINDISABLED"),
        "{greeting}"
    );
    assert!(!greeting.contains("STARTTLS"), "{greeting}");
    let (uid, _) = login_common::user_ids();
    let reply = imap.cmd(
        "a",
        &format!("LOGIN {} {}", login_common::USER, login_common::PASSWORD),
    );
    assert_eq!(reply, ["a OK [CAPABILITY IMAP4rev1] LOGIN completed"]);
    assert!(imap.line().starts_with(&format!("* FAKE uid={uid} ")));
    assert_eq!(
        imap.cmd("b", "LOGOUT").last().map(String::as_str),
        Some("b OK LOGOUT completed")
    );
    server.log.wait_for("session start");
}
