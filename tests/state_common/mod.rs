//! Shared set-up for the state tests: a temporary home with an MH profile,
//! a mail tree filled and changed by the real nmh commands, and stores
//! opened on it.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use asimap::mh::Profile;
use asimap::state::{MessageRow, Store};

/// Where nmh's commands live on Debian.
const NMH_BIN: &str = "/usr/bin/mh";

/// A temporary home with `~/.mh_profile` and `~/Mail`.
pub struct Tree {
    _tmp: tempfile::TempDir,
    /// `$HOME`
    pub home: PathBuf,
    /// The profile as asimap reads it.
    pub profile: Profile,
}

impl Tree {
    /// A fresh tree with the given extra profile lines.
    pub fn with_profile(extra: &str) -> Tree {
        assert!(
            Path::new(NMH_BIN).join("inc").exists(),
            "nmh is required for these tests: install it (apt-get install nmh)"
        );
        let tmp = tempfile::tempdir().expect("tempdir");
        let home = tmp.path().to_path_buf();
        let text = format!("Path: Mail\nUnseen-Sequence: unseen\nWelcome: disable\n{extra}");
        std::fs::write(home.join(".mh_profile"), text).expect("profile");
        std::fs::create_dir_all(home.join("Mail/inbox")).expect("mail dir");
        let profile = Profile::load(&home, None, None).expect("profile loads");
        Tree {
            _tmp: tmp,
            home,
            profile,
        }
    }

    /// A fresh tree with the standard test profile.
    pub fn new() -> Tree {
        Tree::with_profile("")
    }

    /// A store on the default state file.
    pub fn store(&self) -> Store {
        Store::open(self.profile.clone(), None).expect("store opens")
    }

    /// The mail root.
    pub fn mail(&self) -> PathBuf {
        self.home.join("Mail")
    }

    /// Runs an nmh command, asserting success; returns its stdout.
    pub fn nmh(&self, cmd: &str, args: &[&str]) -> String {
        let out = Command::new(Path::new(NMH_BIN).join(cmd))
            .args(args)
            .env("HOME", &self.home)
            .env("MH", self.home.join(".mh_profile"))
            .env_remove("MHCONTEXT")
            .env_remove("MAILDROP")
            .current_dir(&self.home)
            .output()
            .unwrap_or_else(|e| panic!("{cmd}: {e}"));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{cmd} {args:?} failed: {stdout}{stderr}"
        );
        stdout
    }

    /// Incorporates `subjects.len()` messages into `+folder` with `inc`
    /// (they land unseen).
    pub fn inc(&self, folder: &str, subjects: &[&str]) {
        let mut mbox = String::new();
        for (i, s) in subjects.iter().enumerate() {
            let _ = write!(
                mbox,
                "From sender@example.org Mon Jan  1 00:00:0{} 2024\n\
                 From: sender@example.org\nTo: me@example.org\nSubject: {s}\n\
                 Date: Mon, 1 Jan 2024 00:00:0{} +0000\n\nbody of {s}\n\n",
                i % 10,
                i % 10
            );
        }
        let path = self.home.join("in.mbox");
        std::fs::write(&path, mbox).expect("mbox");
        let dir = self.mail().join(folder);
        if !dir.is_dir() {
            self.nmh("folder", &["-create", "-fast", &format!("+{folder}")]);
        }
        let file = path.to_string_lossy().into_owned();
        self.nmh("inc", &["-silent", "-file", &file, &format!("+{folder}")]);
    }

    /// The text of a folder's `.mh_sequences` (empty when absent).
    pub fn sequences(&self, folder: &str) -> String {
        std::fs::read_to_string(self.mail().join(folder).join(".mh_sequences")).unwrap_or_default()
    }

    /// Moves the mtimes of the folder, its sequence file, the context and
    /// its messages
    /// ten seconds back, so that a sync may trust their stamps (a stamp of
    /// a change made this very moment is never trusted) and takes every
    /// message as whole (a file written this moment may be one inc is
    /// still filling).
    pub fn settle(&self, folder: &str) {
        let back = SystemTime::now() - Duration::from_secs(10);
        let dir = self.mail().join(folder);
        let messages = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().parse::<u32>().is_ok())
            });
        let paths: Vec<PathBuf> = messages
            .chain([dir.join(".mh_sequences"), self.mail().join("context")])
            .collect();
        for p in paths.iter().chain([&dir]) {
            let file = match p.is_dir() {
                true => std::fs::File::open(p),
                false => std::fs::File::options().write(true).open(p),
            };
            if let Ok(f) = file {
                f.set_modified(back).expect("set mtime");
            }
        }
    }

    /// `scan`'s subject column of a folder, one line per message
    /// ("number subject"), for comparison with what the store says.
    pub fn scan(&self, folder: &str) -> Vec<(u32, String)> {
        let out = self.nmh(
            "scan",
            &[&format!("+{folder}"), "-format", "%(msg) %{subject}"],
        );
        out.lines()
            .filter_map(|l| {
                let (n, s) = l.trim().split_once(' ')?;
                Some((n.parse().ok()?, s.to_string()))
            })
            .collect()
    }
}

/// The Subject of a message, read through the store.
pub fn subject(store: &mut Store, mailbox: &str, row: &MessageRow) -> String {
    use std::io::Read;
    let mut text = String::new();
    let mut f = store.open_message(mailbox, row).expect("message opens");
    f.read_to_string(&mut text).expect("read");
    text.lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap_or("")
        .to_string()
}

/// (UID, Subject) of every message in a mailbox after a sync.
pub fn uid_subjects(store: &mut Store, mailbox: &str) -> Vec<(u32, String)> {
    store.sync(mailbox).expect("sync");
    let rows = store.messages(mailbox).expect("messages");
    rows.iter()
        .map(|r| (r.uid, subject(store, mailbox, r)))
        .collect()
}

/// Owned strings.
pub fn flags(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}
