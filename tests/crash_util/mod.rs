//! Shared helpers of the crash, stress and soak tests: running the real
//! engine and killing it at chosen points, and checking afterwards that a
//! fresh session sees a consistent folder (every file one UID, no UID
//! reused, no temporary shown, flags equal to `.mh_sequences`, nmh happy).

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use asimap::mh::Profile;
use asimap::state::Store;

use crate::common::{self, MhTree, Transcript, flags_from_sequences, quote, without_recent};

/// Fails loudly (never skips) when strace is missing.
pub fn require_strace() {
    assert!(
        Path::new("/usr/bin/strace").exists(),
        "strace is required for the crash tests: apt-get install strace"
    );
}

/// Runs a scripted session under strace, delivering SIGKILL when the
/// engine makes the `when`-th call of `syscall`. Returns the transcript
/// and whether the engine was killed (no LOGOUT reply).
pub fn run_killed_at(tree: &MhTree, syscall: &str, when: u32, script: &str) -> (Transcript, bool) {
    require_strace();
    let inject = format!("inject={syscall}:signal=KILL:when={when}");
    let wrapper = ["strace", "-qq", "-f", "-o", "/dev/null", "-e", &inject];
    let t = tree.run_script_wrapped(&wrapper, &[], script);
    let finished = t.text().contains("\r\nz OK ");
    (t, !finished)
}

/// One message as a fresh session shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// UID
    pub uid: u32,
    /// Message-ID without brackets.
    pub id: String,
    /// Flags without `\Recent`, sorted.
    pub flags: Vec<String>,
}

/// What a fresh EXAMINE session sees: UIDVALIDITY and the messages by
/// sequence number (duplicate Message-IDs allowed).
#[track_caller]
pub fn view(tree: &MhTree, folder: &str) -> (u32, Vec<Seen>) {
    let script = format!(
        "v1 EXAMINE {}\r\n\
         v2 FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])\r\n\
         v3 LOGOUT\r\n",
        quote(folder)
    );
    let t = tree.run_script(script);
    let select = t.reply("v1");
    select.ok();
    let validity = select.ok_code_number("UIDVALIDITY") as u32;
    let fetch = t.reply("v2");
    let exists = select.numbered("EXISTS").last().copied().unwrap_or(0);
    if exists > 0 {
        fetch.ok();
    }
    let mut out = Vec::new();
    for (seq, f) in fetch.fetches() {
        assert_eq!(
            seq as usize,
            out.len() + 1,
            "FETCH out of order:\n{}",
            t.text()
        );
        let header = f.get("BODY[HEADER.FIELDS (MESSAGE-ID)]").text();
        out.push(Seen {
            uid: f.uid(),
            id: common::message_id(&header),
            flags: without_recent(&f.flags()),
        });
    }
    assert_eq!(out.len() as u32, exists, "EXISTS and FETCH disagree");
    (validity, out)
}

/// Every (UIDVALIDITY, UID) a folder ever showed, with its Message-ID.
#[derive(Debug, Default)]
pub struct Ledger {
    folders: BTreeMap<String, FolderLedger>,
}

#[derive(Debug, Default)]
struct FolderLedger {
    validity: u32,
    uids: BTreeMap<u32, String>,
}

impl Ledger {
    /// Records that `uid` of `folder` named message `id` (learnt from a
    /// response of a session that may then have been killed).
    #[track_caller]
    pub fn record(&mut self, folder: &str, validity: u32, uid: u32, id: &str) {
        let f = self.folders.entry(folder.to_string()).or_default();
        if f.validity == 0 {
            f.validity = validity;
        }
        assert_eq!(f.validity, validity, "{folder}: UIDVALIDITY changed");
        if let Some(old) = f.uids.insert(uid, id.to_string()) {
            assert_eq!(old, id, "{folder}: UID {uid} reused for another message");
        }
    }

    /// The Message-ID a UID named, if known.
    pub fn id_of(&self, folder: &str, uid: u32) -> Option<&str> {
        self.folders.get(folder)?.uids.get(&uid).map(String::as_str)
    }

    /// The highest UID of `folder` ever seen.
    pub fn max_uid(&self, folder: &str) -> u32 {
        self.folders
            .get(folder)
            .and_then(|f| f.uids.keys().next_back().copied())
            .unwrap_or(0)
    }

    /// Records the UIDs of the `[APPENDUID v uid]` codes of a transcript:
    /// `ids` are the Message-IDs of the appended messages in order.
    pub fn learn_appends(&mut self, t: &Transcript, ids: &[&str], folder: &str) {
        for (code, id) in codes(&t.text(), "APPENDUID").iter().zip(ids) {
            if let [v, uid] = code.as_slice() {
                let uid = uid.parse().expect("APPENDUID uid");
                self.record(folder, v.parse().expect("validity"), uid, id);
            }
        }
    }

    /// Records the destination UIDs of the `[COPYUID v src dst]` codes of
    /// a transcript, naming the messages the source UIDs named.
    pub fn learn_copies(&mut self, t: &Transcript, src: &str, dst: &str) {
        for code in codes(&t.text(), "COPYUID") {
            let [v, from, to] = code.as_slice() else {
                continue;
            };
            for (s, d) in expand(from).into_iter().zip(expand(to)) {
                if let Some(id) = self.id_of(src, s).map(str::to_string) {
                    self.record(dst, v.parse().expect("validity"), d, &id);
                }
            }
        }
    }
}

/// The words of each `[NAME ...]` response code in `text`.
fn codes(text: &str, name: &str) -> Vec<Vec<String>> {
    let start = format!("[{name} ");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(&start) {
        rest = &rest[i + start.len()..];
        let end = rest.find(']').unwrap_or(rest.len());
        out.push(rest[..end].split(' ').map(str::to_string).collect());
    }
    out
}

/// A UID set such as `3,5:7` in order.
fn expand(set: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for part in set.split(',') {
        match part.split_once(':') {
            Some((a, b)) => {
                let (a, b): (u32, u32) = (a.parse().unwrap(), b.parse().unwrap());
                out.extend(a.min(b)..=a.max(b));
            }
            None => out.push(part.parse().unwrap()),
        }
    }
    out
}

/// Removes the temporaries a killed engine left, as a new session's full
/// scan does (with no minimum age), and checks none is left.
#[track_caller]
pub fn clean_like_a_new_session(tree: &MhTree, folder: &str) {
    let profile = Profile::load(tree.home(), Some(&tree.profile_path()), None).expect("profile");
    let mut store = Store::open(profile, None).expect("state file opens");
    store.set_temp_min_age(Duration::ZERO);
    store.sync(folder).expect("sync after the crash");
    let dir = tree.folder_path(if folder == "INBOX" { "inbox" } else { folder });
    let left: Vec<String> = std::fs::read_dir(&dir)
        .expect("folder")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".asimap-tmp") || n.starts_with(".lk.asimap"))
        .collect();
    assert!(left.is_empty(), "stale temporaries left: {left:?}");
}

/// Checks what a fresh session sees of `folder` against the files, the
/// sequences, nmh and the ledger, then records it. `mh` is the MH folder
/// name (`inbox` for INBOX).
#[track_caller]
pub fn check_folder(tree: &MhTree, ledger: &mut Ledger, folder: &str, mh: &str) {
    let (validity, seen) = view(tree, folder);
    let files = tree.numbers(mh);
    assert_eq!(
        seen.len(),
        files.len(),
        "{folder}: {} messages shown for {} files {files:?}: {seen:?}",
        seen.len(),
        files.len()
    );
    let uids: BTreeSet<u32> = seen.iter().map(|s| s.uid).collect();
    assert_eq!(uids.len(), seen.len(), "{folder}: a UID shown twice");
    let by_id = tree.numbers_by_id(mh);
    let seqs = tree.sequences(mh);
    let max_before = ledger.max_uid(folder);
    for s in &seen {
        match ledger.id_of(folder, s.uid) {
            Some(id) => assert_eq!(
                id, s.id,
                "{folder}: UID {} now names another message",
                s.uid
            ),
            None => assert!(
                s.uid > max_before,
                "{folder}: UID {} is new but not above {max_before}",
                s.uid
            ),
        }
        if let Some(n) = by_id.get(&s.id) {
            let want = flags_from_sequences(&seqs, *n);
            assert_eq!(s.flags, want, "{folder}: flags of {} (file {n})", s.id);
        }
        ledger.record(folder, validity, s.uid, &s.id);
    }
    nmh_reads(tree, mh, files.is_empty());
}

/// nmh reads the folder and its sequences: `mark -list` and `scan`
/// succeed (nmh refuses both on an empty folder: then `folder` must).
#[track_caller]
pub fn nmh_reads(tree: &MhTree, mh: &str, empty: bool) {
    let folder = format!("+{mh}");
    if empty {
        tree.nmh("folder", &[&folder]);
        return;
    }
    tree.nmh("mark", &[&folder, "-list"]);
    tree.nmh("scan", &[&folder]);
}

/// A message with Message-ID `<id>` in LF form.
pub fn message(id: &str) -> String {
    common::simple_message(id, &format!("Message {id}"), "Body line.\n")
}

/// An APPEND command with a non-synchronizing literal (CRLF line ends).
pub fn append_cmd(tag: &str, mailbox: &str, flags: &str, msg: &str) -> String {
    let wire = common::crlf(msg.as_bytes());
    let mut s = format!(
        "{tag} APPEND {} ({flags}) {{{}+}}\r\n",
        quote(mailbox),
        wire.len()
    );
    s.push_str(&String::from_utf8(wire).expect("utf-8 message"));
    s.push_str("\r\n");
    s
}
