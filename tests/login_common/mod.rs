//! Harness for the asimap-login tests: a real Unix test user with a
//! yescrypt password, certificates, a stand-in engine that reports who it
//! runs as, the real binaries started as a `--listen` server, under
//! `systemd-socket-activate`, or inetd-style on a socket, and an IMAP
//! client over plain TCP, rustls, or `openssl s_client`. No mocks.

#![allow(dead_code)]

pub mod client;
pub mod fixture;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

#[allow(unused_imports)]
pub use client::{Imap, connect_from, tls_client_config};
pub use fixture::Fixture;

/// The front end built for these tests.
pub const LOGIN: &str = env!("CARGO_BIN_EXE_asimap-login");
/// The real engine.
pub const ENGINE: &str = env!("CARGO_BIN_EXE_asimap-stdio");
/// The Unix account the tests log in as.
pub const USER: &str = "asimaplogin";
/// Its password (yescrypt in /etc/shadow).
pub const PASSWORD: &str = "Tr0ub4dor&3";
/// Its home directory.
pub const HOME: &str = "/var/tmp/asimaplogin-home";
/// A supplementary group of the test user.
pub const GROUP: &str = "asimaplogingrp";

/// How long a test waits for an answer before failing (a hang guard, not
/// a performance limit).
pub const WAIT: Duration = Duration::from_secs(30);

static USER_READY: Once = Once::new();

/// Fails unless the tests run as root (CI does): they create a user and
/// check the switch to it.
#[track_caller]
pub fn require_root() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "the asimap-login tests need root (CI runs as root): they create the \
         user {USER} and check the privilege drop"
    );
}

/// Makes sure the test user exists, belongs to [`GROUP`], and has the
/// yescrypt password [`PASSWORD`] in /etc/shadow.
pub fn ensure_user() {
    require_root();
    USER_READY.call_once(|| {
        run(Command::new("groupadd").args(["-f", GROUP]));
        if nix::unistd::User::from_name(USER).ok().flatten().is_none() {
            run(Command::new("useradd").args(["-m", "-d", HOME, "-s", "/bin/sh", USER]));
        }
        run(Command::new("usermod").args(["-a", "-G", GROUP, USER]));
        let mut chpasswd = Command::new("chpasswd");
        chpasswd.args(["-c", "YESCRYPT"]).stdin(Stdio::piped());
        let mut child = chpasswd.spawn().expect("run chpasswd");
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("chpasswd stdin");
        writeln!(stdin, "{USER}:{PASSWORD}").expect("write to chpasswd");
        drop(stdin);
        assert!(child.wait().expect("chpasswd").success(), "chpasswd failed");
        let shadow = std::fs::read_to_string("/etc/shadow").expect("read /etc/shadow");
        let line = shadow.lines().find(|l| l.starts_with(&format!("{USER}:")));
        let hash = line.and_then(|l| l.split(':').nth(1)).unwrap_or("");
        assert!(
            hash.starts_with("$y$"),
            "expected a yescrypt hash for {USER}, got {hash:?}"
        );
    });
}

/// The test user's uid and gid.
pub fn user_ids() -> (u32, u32) {
    let user = nix::unistd::User::from_name(USER)
        .expect("getpwnam")
        .expect("test user");
    (user.uid.as_raw(), user.gid.as_raw())
}

#[track_caller]
fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Fails loudly when a tool a test needs is missing.
#[track_caller]
pub fn require_tool(path: &str) {
    assert!(
        std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0),
        "{path} is missing: install it (scripts/test.sh does)"
    );
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// Lines a child wrote to stderr, collected by a thread.
#[derive(Clone, Default)]
pub struct LogLines(Arc<Mutex<Vec<String>>>);

impl LogLines {
    /// Starts collecting `child`'s stderr.
    pub fn collect(child: &mut Child) -> LogLines {
        let lines = LogLines::default();
        let sink = lines.clone();
        let stderr = child.stderr.take().expect("piped stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Ok(mut v) = sink.0.lock() {
                    v.push(line);
                }
            }
        });
        lines
    }

    /// Everything so far, one line each.
    pub fn text(&self) -> String {
        self.0.lock().map(|v| v.join("\n")).unwrap_or_default()
    }

    /// Waits until a line contains `needle`; returns it.
    #[track_caller]
    pub fn wait_for(&self, needle: &str) -> String {
        let end = Instant::now() + WAIT;
        loop {
            if let Some(line) = self
                .0
                .lock()
                .ok()
                .and_then(|v| v.iter().find(|l| l.contains(needle)).cloned())
            {
                return line;
            }
            assert!(
                Instant::now() < end,
                "no log line with {needle:?} in:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A running process the test owns; killed (by pid) and reaped on drop.
pub struct Proc {
    /// The child.
    pub child: Child,
    /// Its stderr lines.
    pub log: LogLines,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let _ = self.child.wait();
    }
}

/// Starts `cmd` with stdin and stdout on /dev/null and stderr collected.
pub fn start(mut cmd: Command) -> Proc {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let log = LogLines::collect(&mut child);
    Proc { child, log }
}

/// The port an `asimap-login --listen 127.0.0.1:0` process reports.
pub fn listening_port(proc: &Proc) -> u16 {
    let line = proc.log.wait_for("listening on ");
    line.rsplit(':')
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
}

/// `asimap-login --listen 127.0.0.1:0 args...`, once it listens; returns
/// the process and its port.
pub fn listen(args: &[String]) -> (Proc, u16) {
    let mut cmd = Command::new(LOGIN);
    cmd.args(["--listen", "127.0.0.1:0"]).args(args);
    let proc = start(cmd);
    let port = listening_port(&proc);
    (proc, port)
}

/// Gives `path` to the test user and its group.
pub fn chown_to_user(path: &std::path::Path) {
    let (uid, gid) = user_ids();
    let uid = Some(nix::unistd::Uid::from_raw(uid));
    let gid = Some(nix::unistd::Gid::from_raw(gid));
    nix::unistd::chown(path, uid, gid).unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
}
