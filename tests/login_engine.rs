//! asimap-login in front of the real engine: a message APPENDed through
//! the TLS relay, or through the engine exec'd on the plain socket, is
//! owned by the user; a file the user cannot read stays unreadable.

mod login_common;

use std::net::Ipv4Addr;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use login_common::{
    ENGINE, Fixture, Imap, PASSWORD, USER, connect_from, ensure_user, listen, tls_client_config,
};

const MESSAGE: &str = "From: a@example.org\r\nSubject: login test\r\n\r\nhello\r\n";

/// A mail root owned by the test user with an empty inbox.
fn mail_root(fx: &Fixture) -> std::path::PathBuf {
    let root = fx.user_dir("mail");
    fx.user_dir("mail/inbox");
    root
}

fn engine_args(fx: &Fixture, tls: &str, root: &Path) -> Vec<String> {
    let mut args = fx.args(tls, Some(ENGINE));
    args.extend(["--mail-dir".into(), root.to_string_lossy().into_owned()]);
    if tls == "off" {
        args.push("--allow-plaintext".into());
    }
    args
}

/// Logs in, APPENDs [`MESSAGE`] to INBOX, logs out; returns the APPEND reply.
fn append_session(imap: &mut Imap) -> Vec<String> {
    imap.line();
    let ok = imap.cmd("a", &format!("LOGIN {USER} {PASSWORD}"));
    assert!(ok[0].starts_with("a OK [CAPABILITY IMAP4rev1 "), "{ok:?}");
    imap.send(&format!(
        "b APPEND INBOX {{{}+}}\r\n{MESSAGE}\r\n",
        MESSAGE.len()
    ));
    let reply = imap.until_tagged("b");
    let bye = imap.cmd("c", "LOGOUT");
    assert_eq!(
        bye.last().map(String::as_str),
        Some("c OK LOGOUT completed")
    );
    reply
}

#[track_caller]
fn assert_owned_by_user(path: &Path) {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (uid, _) = login_common::user_ids();
    assert_eq!(meta.uid(), uid, "{} owner", path.display());
    assert_eq!(meta.permissions().mode() & 0o077, 0, "umask 077 applies");
}

#[test]
fn append_through_the_tls_relay_is_owned_by_the_user() {
    ensure_user();
    let fx = Fixture::new();
    let root = mail_root(&fx);
    let (server, port) = listen(&engine_args(&fx, "implicit", &root));
    let config = tls_client_config(&fx.ca, &[]);
    let mut imap = Imap::tls(connect_from(Ipv4Addr::LOCALHOST, port), config);
    let reply = append_session(&mut imap);
    assert!(
        reply.last().is_some_and(|l| l.starts_with("b OK ")),
        "{reply:?}"
    );
    assert_eq!(
        std::fs::read(root.join("inbox/1")).expect("message 1"),
        MESSAGE.replace("\r\n", "\n").as_bytes()
    );
    assert_owned_by_user(&root.join("inbox/1"));
    server.log.wait_for("session end: Engine closed first");
}

#[test]
fn append_through_the_plain_exec_is_owned_by_the_user() {
    ensure_user();
    let fx = Fixture::new();
    let root = mail_root(&fx);
    let (_server, port) = listen(&engine_args(&fx, "off", &root));
    let mut imap = Imap::plain(port);
    let reply = append_session(&mut imap);
    assert!(
        reply.last().is_some_and(|l| l.starts_with("b OK ")),
        "{reply:?}"
    );
    assert_owned_by_user(&root.join("inbox/1"));
}

#[test]
fn a_file_the_user_cannot_read_stays_unreadable() {
    ensure_user();
    let fx = Fixture::new();
    let root = mail_root(&fx);
    let secret = "TOP-SECRET-7d41a9";
    let path = root.join("inbox/1");
    std::fs::write(&path, format!("Subject: {secret}\n\n{secret}\n")).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (_server, port) = listen(&engine_args(&fx, "implicit", &root));
    let config = tls_client_config(&fx.ca, &[]);
    let mut imap = Imap::tls(connect_from(Ipv4Addr::LOCALHOST, port), config);
    imap.line();
    imap.cmd("a", &format!("LOGIN {USER} {PASSWORD}"));
    let mut seen = imap.cmd("b", "SELECT INBOX");
    seen.extend(imap.cmd("c", "FETCH 1:* (BODY[] ENVELOPE)"));
    seen.extend(imap.cmd("d", "SEARCH TEXT \"TOP-SECRET\""));
    seen.extend(imap.cmd("e", "LOGOUT"));
    assert!(
        seen.iter().all(|l| !l.contains(secret)),
        "root's file leaked: {seen:?}"
    );
    assert_eq!(
        seen.last().map(String::as_str),
        Some("e OK LOGOUT completed"),
        "{seen:?}"
    );
    assert_eq!(std::fs::metadata(&path).expect("still there").uid(), 0);
}
