//! A temporary home directory with an MH profile and mail tree, helpers to
//! write messages and sequences, and nmh commands run on it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

/// Where Debian installs the nmh commands.
pub const NMH_BIN: &str = "/usr/bin/mh";

/// The profile every test tree starts with.
pub const PROFILE: &str = "Path: Mail\nUnseen-Sequence: unseen\nWelcome: disable\n";

/// Sets the mtime of `path` a few seconds back (see [`MhTree::write_msg`]).
pub fn backdate(path: &Path) {
    let when = SystemTime::now() - Duration::from_secs(10);
    let file = fs::File::options()
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    file.set_modified(when)
        .unwrap_or_else(|e| panic!("set mtime of {}: {e}", path.display()));
}

/// Parsed `.mh_sequences`: name to message numbers.
pub type Sequences = BTreeMap<String, BTreeSet<u32>>;

/// A temporary `$HOME` holding `.mh_profile` and `Mail/inbox`; removed on
/// drop.
pub struct MhTree {
    dir: tempfile::TempDir,
}

impl Default for MhTree {
    fn default() -> Self {
        Self::new()
    }
}

impl MhTree {
    /// A fresh tree with the default profile and an empty inbox.
    pub fn new() -> MhTree {
        Self::with_profile(PROFILE)
    }

    /// A fresh tree with the given profile text.
    pub fn with_profile(profile: &str) -> MhTree {
        let dir = tempfile::Builder::new()
            .prefix("asimap-test.")
            .tempdir()
            .expect("create a temporary directory");
        let tree = MhTree { dir };
        fs::write(tree.profile_path(), profile).expect("write .mh_profile");
        fs::create_dir_all(tree.mail().join("inbox")).expect("create Mail/inbox");
        tree
    }

    /// The temporary `$HOME`.
    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    /// `$HOME/.mh_profile`.
    pub fn profile_path(&self) -> PathBuf {
        self.home().join(".mh_profile")
    }

    /// The mail root, `$HOME/Mail`.
    pub fn mail(&self) -> PathBuf {
        self.home().join("Mail")
    }

    /// The directory of folder `name` (not created).
    pub fn folder_path(&self, name: &str) -> PathBuf {
        self.mail().join(name)
    }

    /// Creates folder `name` (and parents) and returns its path.
    pub fn folder(&self, name: &str) -> PathBuf {
        let p = self.folder_path(name);
        fs::create_dir_all(&p).unwrap_or_else(|e| panic!("create {}: {e}", p.display()));
        p
    }

    /// Path of message `n` in `folder`.
    pub fn msg_path(&self, folder: &str, n: u32) -> PathBuf {
        self.folder_path(folder).join(n.to_string())
    }

    /// Writes message `n` into `folder` (created if needed), dated a few
    /// seconds back: a file written this very moment, with no sequence
    /// file rewritten after it, is one inc may still be filling, and the
    /// server holds it back for a moment (mh-compat.md §4).
    pub fn write_msg(&self, folder: &str, n: u32, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.folder(folder).join(n.to_string());
        fs::write(&p, bytes).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
        backdate(&p);
        p
    }

    /// Writes a simple message `n` with the given subject and a
    /// Message-ID `<subject-id@test>` derived from `id`.
    pub fn add_simple(&self, folder: &str, n: u32, id: &str) -> PathBuf {
        self.write_msg(
            folder,
            n,
            simple_message(id, &format!("Message {id}"), "Hello.\n"),
        )
    }

    /// Fills `folder` with messages 1..=count, Message-ID `<m{i}@test>`.
    pub fn fill(&self, folder: &str, count: u32) {
        for i in 1..=count {
            self.add_simple(folder, i, &format!("m{i}"));
        }
    }

    /// Reads message `n` of `folder`.
    pub fn read_msg(&self, folder: &str, n: u32) -> Vec<u8> {
        let p = self.msg_path(folder, n);
        fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
    }

    /// Message numbers present in `folder`, as MH sees them.
    pub fn numbers(&self, folder: &str) -> Vec<u32> {
        let dir = self.folder_path(folder);
        let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut nums: Vec<u32> = entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .filter(|n| *n > 0)
            .collect();
        nums.sort_unstable();
        nums
    }

    /// MH number of each message in `folder` by Message-ID (without
    /// angle brackets).
    pub fn numbers_by_id(&self, folder: &str) -> BTreeMap<String, u32> {
        let mut out = BTreeMap::new();
        for n in self.numbers(folder) {
            let text = String::from_utf8_lossy(&self.read_msg(folder, n)).into_owned();
            let header = text.split("\n\n").next().unwrap_or("");
            let id = header.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("message-id").then(|| v.trim())
            });
            let id = id.unwrap_or_else(|| panic!("{folder}/{n} has no Message-ID"));
            let id = id.trim_start_matches('<').trim_end_matches('>').to_string();
            assert!(
                out.insert(id.clone(), n).is_none(),
                "{id} twice in {folder}"
            );
        }
        out
    }

    /// Sets a file's modification time.
    pub fn set_mtime(&self, path: &Path, when: SystemTime) {
        let f = fs::File::options()
            .write(true)
            .open(path)
            .expect("open for set_modified");
        f.set_modified(when).expect("set mtime");
    }

    /// Sets a file's mtime to `secs` seconds after the Unix epoch.
    pub fn set_mtime_secs(&self, path: &Path, secs: u64) {
        self.set_mtime(path, SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
    }

    /// Path of `.mh_sequences` of `folder`.
    pub fn sequences_path(&self, folder: &str) -> PathBuf {
        self.folder_path(folder).join(".mh_sequences")
    }

    /// Writes `.mh_sequences` of `folder` verbatim.
    pub fn write_sequences(&self, folder: &str, text: &str) {
        fs::write(self.sequences_path(folder), text).expect("write .mh_sequences");
    }

    /// The raw text of `.mh_sequences` ("" if absent).
    pub fn sequences_text(&self, folder: &str) -> String {
        fs::read_to_string(self.sequences_path(folder)).unwrap_or_default()
    }

    /// `.mh_sequences` of `folder`, parsed as nmh would read it.
    pub fn sequences(&self, folder: &str) -> Sequences {
        parse_sequences(&self.sequences_text(folder))
    }

    /// The numbers in sequence `name` of `folder`.
    pub fn sequence(&self, folder: &str, name: &str) -> BTreeSet<u32> {
        self.sequences(folder).remove(name).unwrap_or_default()
    }

    /// Runs nmh program `prog` with `args`, panicking with its output when it
    /// fails. Returns stdout.
    #[track_caller]
    pub fn nmh(&self, prog: &str, args: &[&str]) -> String {
        let out = self.nmh_output(prog, args, None);
        assert!(
            out.status.success(),
            "nmh `{prog} {}` failed ({}):\nstdout: {}\nstderr: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs nmh program `prog` and returns its whole output, whatever its
    /// exit status. `stdin` is fed to it when given.
    #[track_caller]
    pub fn nmh_output(&self, prog: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let path = Path::new(NMH_BIN).join(prog);
        assert!(
            path.exists(),
            "nmh is not installed ({} is missing): run scripts/test.sh, which installs it",
            path.display()
        );
        let mut cmd = Command::new(&path);
        cmd.args(args)
            .env_clear()
            .env("HOME", self.home())
            .env("MH", self.profile_path())
            .env("PATH", format!("{NMH_BIN}:/usr/bin:/bin"))
            .env("LC_ALL", "C.UTF-8")
            .env("MAILDROP", self.home().join("maildrop"))
            .current_dir(self.home())
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("run {}: {e}", path.display()));
        if let Some(bytes) = stdin {
            use std::io::Write;
            let mut si = child.stdin.take().expect("piped stdin");
            si.write_all(bytes).expect("write nmh stdin");
        }
        child.wait_with_output().expect("wait for nmh")
    }

    /// `inc` the messages of an mbox text into `folder` (created if needed).
    pub fn inc_mbox(&self, folder: &str, mbox: &str) -> String {
        self.folder(folder);
        let path = self.home().join("incoming.mbox");
        fs::write(&path, mbox).expect("write mbox");
        let file = path.to_str().expect("utf-8 temp path");
        self.nmh(
            "inc",
            &["-silent", "-file", file, "-truncate", &format!("+{folder}")],
        )
    }

    /// `scan +folder`, panicking if nmh refuses the folder.
    pub fn scan(&self, folder: &str) -> String {
        self.nmh("scan", &[&format!("+{folder}")])
    }
}

/// A minimal well-formed message with the given id (Message-ID `<id@test>`),
/// subject and body.
pub fn simple_message(id: &str, subject: &str, body: &str) -> String {
    format!(
        "From: Test Sender <sender@example.org>\n\
         To: Test Rcpt <rcpt@example.net>\n\
         Subject: {subject}\n\
         Date: Tue, 3 Mar 2026 10:00:00 +0100\n\
         Message-ID: <{id}@test>\n\
         \n\
         {body}"
    )
}

/// An mbox with one message per id, as `inc` reads it.
pub fn mbox(ids: &[&str]) -> String {
    let mut out = String::new();
    for id in ids {
        out.push_str("From sender@example.org Tue Mar  3 10:00:00 2026\n");
        out.push_str(&simple_message(
            id,
            &format!("Incoming {id}"),
            "Delivered.\n",
        ));
        out.push('\n');
    }
    out
}

/// Parses `.mh_sequences` text leniently, the way nmh reads it: continuation
/// lines join the previous line, garbage tokens are skipped, the last line
/// of a name wins.
pub fn parse_sequences(text: &str) -> Sequences {
    let mut joined: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = joined.last_mut() {
                last.push(' ');
                last.push_str(line.trim());
            }
        } else {
            joined.push(line.to_string());
        }
    }
    let mut out = Sequences::new();
    for line in joined {
        let Some((name, list)) = line.split_once(':') else {
            continue;
        };
        out.insert(name.trim().to_string(), parse_ranges(list));
    }
    out
}

/// Parses `1 3-5 9` into a set, skipping tokens nmh would ignore.
pub fn parse_ranges(list: &str) -> BTreeSet<u32> {
    let mut set = BTreeSet::new();
    for tok in list.split_whitespace() {
        match tok.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
                    set.extend(a..=b);
                }
            }
            None => set.extend(tok.parse::<u32>().ok().filter(|n| *n > 0)),
        }
    }
    set
}

/// A set of numbers from a slice (for comparisons in tests).
pub fn set(nums: &[u32]) -> BTreeSet<u32> {
    nums.iter().copied().collect()
}
