//! The password file: `asimap-login passwd FILE USER` (yescrypt from
//! stdin), the file backend as root (the entry's mail dir reaches the
//! engine), and the development mode run by an ordinary user.

mod login_common;

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use login_common::{Fixture, Imap, LOGIN, PASSWORD, USER, ensure_user, listen};

/// Runs `asimap-login passwd FILE USER [--mail-dir DIR]` with `password`
/// on stdin.
fn passwd(file: &Path, user: &str, password: &str, mail_dir: Option<&Path>) {
    let mut cmd = Command::new(LOGIN);
    cmd.arg("passwd").arg(file).arg(user);
    if let Some(dir) = mail_dir {
        cmd.arg("--mail-dir").arg(dir);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .spawn()
        .expect("run asimap-login passwd");
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "{password}").expect("write password");
    drop(stdin);
    assert!(
        child.wait().expect("wait").success(),
        "asimap-login passwd failed"
    );
}

fn entry(file: &Path, user: &str) -> asimap::login::passwd::PasswdEntry {
    asimap::login::passwd::lookup(file, user)
        .expect("read")
        .expect("entry")
}

#[test]
fn passwd_subcommand_adds_and_changes_yescrypt_entries() {
    let fx = Fixture::new();
    let file = fx.dir.path().join("users");
    passwd(&file, "ann", "first pass", Some(Path::new("/srv/mail/ann")));
    passwd(&file, "bob", "bobs", None);
    passwd(&file, "ann", "second pass", None);
    let text = std::fs::read_to_string(&file).expect("read");
    assert_eq!(text.lines().count(), 2, "{text}");
    let ann = entry(&file, "ann");
    assert!(ann.hash.starts_with("$y$"), "{}", ann.hash);
    assert!(asimap::login::hash::verify(b"second pass", &ann.hash));
    assert!(!asimap::login::hash::verify(b"first pass", &ann.hash));
    assert_eq!(ann.maildir.as_deref(), Some(Path::new("/srv/mail/ann")));
    assert!(asimap::login::hash::verify(
        b"bobs",
        &entry(&file, "bob").hash
    ));
}

#[test]
fn file_backend_as_root_passes_the_entry_mail_dir() {
    ensure_user();
    let fx = Fixture::new();
    let mail = fx.user_dir("filemail");
    let file = fx.dir.path().join("users");
    passwd(&file, USER, "file-only secret", Some(&mail));
    let mut args = fx.args("implicit", None);
    args.extend(["--passwd-file".into(), file.to_string_lossy().into_owned()]);
    let (_server, port) = listen(&args);
    let config = login_common::tls_client_config(&fx.ca, &[]);
    let from = std::net::Ipv4Addr::LOCALHOST;
    let mut imap = Imap::tls(login_common::connect_from(from, port), config.clone());
    imap.line();
    let shadow_pw = imap.cmd("a", &format!("LOGIN {USER} {PASSWORD}"));
    assert!(
        shadow_pw[0].starts_with("a NO "),
        "the shadow password is not this backend's"
    );
    let ok = imap.cmd("b", &format!("LOGIN {USER} \"file-only secret\""));
    assert_eq!(ok, ["b OK [CAPABILITY IMAP4rev1] LOGIN completed"]);
    let (uid, _) = login_common::user_ids();
    assert!(imap.line().starts_with(&format!("* FAKE uid={uid} ")));
    imap.line();
    imap.line();
    let args_line = imap.line();
    assert!(
        args_line.contains(&format!("--mail-dir {}", mail.display())),
        "{args_line}"
    );
}

#[test]
fn development_mode_runs_without_root_and_without_switching() {
    ensure_user();
    let fx = Fixture::new();
    let own = fx.user_dir("dev");
    let mail = fx.user_dir("devmail");
    let file = own.join("users");
    passwd(&file, "dev", "dev secret", None);
    login_common::chown_to_user(&file);
    let (uid, gid) = login_common::user_ids();
    let mut cmd = Command::new(LOGIN);
    cmd.args([
        "--listen",
        "127.0.0.1:0",
        "--tls",
        "off",
        "--allow-plaintext",
    ]);
    cmd.arg("--passwd-file").arg(&file);
    cmd.arg("--throttle-db").arg(own.join("throttle.sqlite"));
    cmd.arg("--mail-dir").arg(&mail);
    cmd.arg("--engine").arg(&fx.fake_engine);
    cmd.uid(uid).gid(gid);
    let server = login_common::start(cmd);
    let port = login_common::listening_port(&server);
    let mut imap = Imap::plain(port);
    imap.line();
    let ok = imap.cmd("a", "LOGIN dev \"dev secret\"");
    assert_eq!(ok, ["a OK [CAPABILITY IMAP4rev1] LOGIN completed"]);
    assert!(
        imap.line()
            .starts_with(&format!("* FAKE uid={uid} gid={gid} "))
    );
    imap.line();
    imap.line();
    let args_line = imap.line();
    assert!(args_line.contains("--imap-user dev "), "{args_line}");
    assert!(
        args_line.contains(&format!("--mail-dir {}", mail.display())),
        "{args_line}"
    );
    let start = server.log.wait_for("session start");
    assert!(start.contains(&format!("user=dev local={USER}")), "{start}");
}
