//! Shared set-up for the MH store tests: a temporary home with an nmh
//! profile, and a way to run the real nmh commands on it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use asimap::mh::Profile;

/// Where Debian installs the nmh commands.
pub const NMH_BIN: &str = "/usr/bin/mh";

/// A temporary home with `.mh_profile` and a mail root `Mail`.
pub struct Lab {
    /// Keeps the directory alive.
    pub dir: tempfile::TempDir,
}

impl Lab {
    /// A lab with the standard test profile.
    pub fn new() -> Lab {
        Lab::with_profile("")
    }

    /// A lab whose profile has `extra` lines after the standard ones.
    pub fn with_profile(extra: &str) -> Lab {
        require_nmh();
        let dir = tempfile::tempdir().expect("tempdir");
        let text = format!("Path: Mail\nUnseen-Sequence: unseen\nWelcome: disable\n{extra}");
        std::fs::write(dir.path().join(".mh_profile"), text).expect("profile");
        std::fs::create_dir(dir.path().join("Mail")).expect("Mail");
        Lab { dir }
    }

    /// The home directory.
    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    /// The mail root.
    pub fn mail(&self) -> PathBuf {
        self.home().join("Mail")
    }

    /// A folder's directory.
    pub fn folder(&self, name: &str) -> PathBuf {
        self.mail().join(name)
    }

    /// The profile as asimap reads it.
    pub fn profile(&self) -> Profile {
        Profile::load(self.home(), None, None).expect("profile")
    }

    /// Creates folder `name` with messages 1..=count.
    pub fn folder_with(&self, name: &str, count: u32) -> PathBuf {
        let dir = self.folder(name);
        std::fs::create_dir_all(&dir).expect("folder");
        let settled = std::time::SystemTime::now() - std::time::Duration::from_secs(10);
        for n in 1..=count {
            let path = dir.join(n.to_string());
            std::fs::write(&path, message(&format!("{name} {n}"))).expect("message");
            // Dated back: a file written this moment may be one inc is
            // still filling, which the store holds back (mh-compat.md §4).
            let file = std::fs::File::options().write(true).open(&path);
            file.and_then(|f| f.set_modified(settled)).expect("mtime");
        }
        dir
    }

    /// An nmh command ready to run in this lab.
    pub fn cmd(&self, tool: &str, args: &[&str]) -> Command {
        let mut c = Command::new(Path::new(NMH_BIN).join(tool));
        c.args(args)
            .env("HOME", self.home())
            .env("PATH", format!("{NMH_BIN}:/usr/bin:/bin"))
            .env_remove("MH")
            .env_remove("MHCONTEXT")
            .current_dir(self.home())
            .stdin(Stdio::null());
        c
    }

    /// Runs an nmh command and returns its output, whatever its status.
    pub fn run(&self, tool: &str, args: &[&str]) -> Output {
        self.cmd(tool, args).output().expect("run nmh")
    }

    /// Runs an nmh command that must succeed; returns its stdout.
    pub fn nmh(&self, tool: &str, args: &[&str]) -> String {
        let out = self.run(tool, args);
        assert!(
            out.status.success(),
            "{tool} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts an nmh command in the background.
    pub fn spawn(&self, tool: &str, args: &[&str]) -> Child {
        self.cmd(tool, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn nmh")
    }
}

/// A small RFC 5322 message with `subject` in its header and body.
pub fn message(subject: &str) -> String {
    format!("From: a@example.org\nTo: b@example.org\nSubject: {subject}\n\nbody of {subject}\n")
}

/// Fails the test loudly when nmh is missing (never a silent skip).
pub fn require_nmh() {
    assert!(
        Path::new(NMH_BIN).join("mark").exists(),
        "nmh is not installed ({NMH_BIN}/mark missing): apt-get install nmh"
    );
}

/// Polls `cond` every 10 ms until it holds; panics after `secs` seconds.
/// Only bounds a wait for an event; never decides a verdict by timing.
pub fn wait_until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The system call a process is blocked in (first field of
/// `/proc/PID/syscall`), e.g. 35 for nanosleep, 230 for clock_nanosleep.
pub fn syscall_of(pid: u32) -> Option<i64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/syscall")).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// True when `pid` is sleeping in nanosleep or clock_nanosleep: nmh's lock
/// loop sleeps only after a failed lock attempt.
pub fn in_sleep(pid: u32) -> bool {
    matches!(syscall_of(pid), Some(35 | 230))
}
