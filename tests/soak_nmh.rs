//! Soak (issue 3): IMAP sessions and an nmh loop side by side on one mail
//! tree. The sessions APPEND, STORE, MOVE and EXPUNGE; nmh runs `inc` from
//! generated mboxes, `refile` between folders, `rmm`, `folder -pack`,
//! `sortm` and `mark`. Every injected message has a unique Message-ID.
//! At the end: no message lost (each is in exactly one folder unless its
//! removal was asked for), none duplicated, UIDs only grew and never
//! changed meaning in any session, and every session, after a NOOP, sees
//! what a fresh session sees.
//!
//! About 45 s in CI; `ASIMAP_SOAK_SECS=600` runs ten minutes.

mod common;
mod crash_util;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{Client, MhTree, mbox};
use crash_util::{Seen, append_cmd, message};

const FOLDERS: [(&str, &str); 3] = [("INBOX", "inbox"), ("a", "a"), ("b", "b")];
const SESSIONS: usize = 3;

/// How long the actors run.
fn duration() -> Duration {
    let secs = std::env::var("ASIMAP_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok());
    Duration::from_secs(secs.unwrap_or(45))
}

/// Where the sessions APPEND in `round`: by turns the inbox that `inc`
/// writes into, where inc's overwrite race (mh-compat.md §4) is in play,
/// and folder `a`, which `folder -pack` renumbers meanwhile.
fn append_target(round: u64) -> &'static str {
    match (round / 6) % 2 {
        0 => "INBOX",
        _ => "a",
    }
}

/// What every actor did, for the checks and the report.
#[derive(Default, Debug)]
struct Book {
    injected: BTreeSet<String>,
    removed: BTreeSet<String>,
    moved: u64,
    nmh_refused: u64,
    imap_no: u64,
    imap_commands: u64,
}

/// A small deterministic generator (no crate needed).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// The Message-ID of file `n` of `folder`, if it is there.
fn id_of_file(tree: &MhTree, folder: &str, n: u32) -> Option<String> {
    let bytes = std::fs::read(tree.msg_path(folder, n)).ok()?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let header = text.split("\n\n").next()?;
    let line = header
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))?;
    Some(common::message_id(line))
}

/// A random existing message number of `folder`.
fn pick(tree: &MhTree, rng: &mut Rng, folder: &str) -> Option<u32> {
    let nums = tree.numbers(folder);
    (!nums.is_empty()).then(|| nums[rng.below(nums.len())])
}

/// Runs an nmh command; a refusal (a message gone meanwhile) is counted.
fn nmh(tree: &MhTree, book: &Mutex<Book>, prog: &str, args: &[&str]) -> bool {
    let out = tree.nmh_output(prog, args, None);
    if !out.status.success() {
        book.lock().unwrap().nmh_refused += 1;
    }
    out.status.success()
}

/// The nmh actor: one step of inc, refile, rmm, pack, sortm or mark.
fn nmh_step(tree: &MhTree, book: &Mutex<Book>, rng: &mut Rng, round: u64) {
    match round % 7 {
        0 | 1 => {
            let ids: Vec<String> = (0..1 + rng.below(3))
                .map(|i| format!("inc{round}-{i}"))
                .collect();
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            let path = tree.home().join("soak.mbox");
            std::fs::write(&path, mbox(&refs)).unwrap();
            book.lock()
                .unwrap()
                .injected
                .extend(ids.iter().map(|i| format!("{i}@test")));
            let file = path.to_str().unwrap();
            let ok = nmh(
                tree,
                book,
                "inc",
                &["-silent", "-truncate", "+inbox", "-file", file],
            );
            assert!(ok, "inc failed");
        }
        2 | 3 => {
            let (from, to) = if round % 7 == 2 {
                ("inbox", "a")
            } else {
                ("a", "b")
            };
            if let Some(n) = pick(tree, rng, from) {
                let (src, dst) = (format!("+{from}"), format!("+{to}"));
                if nmh(tree, book, "refile", &["-src", &src, &n.to_string(), &dst]) {
                    book.lock().unwrap().moved += 1;
                }
            }
        }
        4 => {
            // Only this thread renumbers b, so file n is still the message
            // read here when rmm runs.
            if let Some(n) = pick(tree, rng, "b")
                && let Some(id) = id_of_file(tree, "b", n)
            {
                book.lock().unwrap().removed.insert(id);
                nmh(tree, book, "rmm", &["+b", &n.to_string()]);
            }
        }
        5 => {
            nmh(tree, book, "folder", &["+a", "-pack"]);
            nmh(tree, book, "sortm", &["+b"]);
        }
        _ => {
            if let Some(n) = pick(tree, rng, "inbox") {
                let n = n.to_string();
                nmh(
                    tree,
                    book,
                    "mark",
                    &["+inbox", &n, "-sequence", "flagged", "-add"],
                );
            }
        }
    }
}

/// One IMAP session's memory: per folder, UID to Message-ID and the
/// largest UID seen.
#[derive(Default)]
struct Memory {
    uids: BTreeMap<String, (u32, BTreeMap<u32, String>)>,
    /// Messages listed without a Message-ID (still being written).
    partial: u64,
}

impl Memory {
    /// Checks a full listing of `folder` against what was seen before:
    /// same UIDVALIDITY, no UID renamed, new UIDs above the old maximum.
    #[track_caller]
    fn check(&mut self, folder: &str, validity: u32, seen: &[Seen]) {
        let (v, known) = self.uids.entry(folder.to_string()).or_default();
        if *v == 0 {
            *v = validity;
        }
        assert_eq!(*v, validity, "{folder}: UIDVALIDITY changed");
        let max = known.keys().next_back().copied().unwrap_or(0);
        let mut last = 0;
        for s in seen.iter().filter(|s| !s.id.is_empty()) {
            assert!(s.uid > last, "{folder}: UIDs not ascending");
            last = s.uid;
            match known.get(&s.uid) {
                Some(id) => assert_eq!(id, &s.id, "{folder}: UID {} changed message", s.uid),
                None => assert!(s.uid > max, "{folder}: new UID {} below {max}", s.uid),
            }
        }
        let complete = seen.iter().filter(|s| !s.id.is_empty());
        known.extend(complete.map(|s| (s.uid, s.id.clone())));
        self.partial += seen.iter().filter(|s| s.id.is_empty()).count() as u64;
    }
}

/// The header item a listing fetches.
const ID_ITEM: &str = "BODY[HEADER.FIELDS (MESSAGE-ID)]";

/// The Message-ID in a fetched header block; empty when there is none,
/// which would be a file inc was still writing: the sync's pending rule
/// must keep those out, and the report counts any that got through.
fn id_in(header: &str) -> String {
    let has = header.to_ascii_lowercase().contains("message-id:");
    if has {
        common::message_id(header)
    } else {
        String::new()
    }
}

/// The messages a session shows after its last command, as [`Seen`]
/// (untagged FETCH FLAGS of other sessions' changes left out).
fn listing(c: &mut Client) -> Vec<Seen> {
    let r = c.cmd("FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
    r.fetches()
        .into_iter()
        .filter(|(_, f)| f.try_get(ID_ITEM).is_some())
        // Empty data: expunged by another actor since this session's last
        // update (the RFC 2180 §4.1.3 answer), not a message in the making.
        .filter(|(_, f)| !f.get(ID_ITEM).text().trim().is_empty())
        .map(|(_, f)| Seen {
            uid: f.uid(),
            id: id_in(&f.get(ID_ITEM).text()),
            flags: common::without_recent(&f.flags()),
        })
        .collect()
}

/// A session's step; `folder` is the one it has selected.
///
/// MOVE goes from b to a only, against the direction nmh refiles
/// (inbox to a to b): an IMAP MOVE and a refile of the same message at
/// the same moment would both succeed and leave two copies, which no
/// server can prevent without holding two folders' locks at once.
fn imap_step(c: &mut Client, book: &Mutex<Book>, rng: &mut Rng, at: (usize, &str), round: u64) {
    let (n, folder) = at;
    let cmd = match round % 6 {
        0 | 1 => {
            let id = format!("imap{n}-{round}");
            append_cmd("x", append_target(round), "", &message(&id))[2..].to_string()
        }
        2 => format!("STORE {} +FLAGS (\\Seen $Soak)", 1 + rng.below(3)),
        3 if folder == "b" => "MOVE 1 a".to_string(),
        3 => "NOOP".to_string(),
        4 => return expunge_one(c, book),
        _ => "NOOP".to_string(),
    };
    let tag = c.tag();
    let line = if cmd.starts_with("APPEND") {
        format!("{tag} {cmd}")
    } else {
        format!("{tag} {cmd}\r\n")
    };
    c.send(line);
    let r = c.read_reply(&tag);
    let mut b = book.lock().unwrap();
    b.imap_commands += 1;
    match r.status().as_str() {
        "OK" if cmd.starts_with("MOVE") => b.moved += 1,
        "OK" if cmd.starts_with("APPEND") => {
            let id = format!("imap{n}-{round}@test");
            b.injected.insert(id);
        }
        "OK" => {}
        // A message number beyond the mailbox, or a message gone.
        "BAD" if r.to_string().contains("invalid message sequence number") => {}
        _ => {
            assert!(!r.to_string().contains("SERVERBUG"), "{cmd:.40}: {r}");
            eprintln!("soak: {cmd:.40}: {r}");
            b.imap_no += 1;
        }
    }
}

/// Expunges the first message after noting its Message-ID as removed.
fn expunge_one(c: &mut Client, book: &Mutex<Book>) {
    let r = c.cmd("FETCH 1 (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
    let found = r
        .fetches()
        .into_iter()
        .find(|(_, f)| f.try_get(ID_ITEM).is_some());
    let Some((_, f)) = found else {
        return;
    };
    let id = id_in(&f.get(ID_ITEM).text());
    if id.is_empty() {
        return;
    }
    book.lock().unwrap().removed.insert(id);
    let uid = f.uid();
    c.cmd(&format!("UID STORE {uid} +FLAGS.SILENT (\\Deleted)"));
    c.cmd(&format!("UID EXPUNGE {uid}"));
    book.lock().unwrap().imap_commands += 3;
}

/// One IMAP session until `stop`; returns it still open.
fn session(
    tree: Arc<MhTree>,
    book: Arc<Mutex<Book>>,
    stop: Arc<AtomicBool>,
    n: usize,
) -> (Client, u64) {
    let mut c = tree.client();
    let mut memory = Memory::default();
    let mut rng = Rng(n as u64 + 7);
    let mut round = 0;
    while !stop.load(Ordering::Relaxed) {
        let (imap, _) = FOLDERS[(round as usize / 25 + n) % FOLDERS.len()];
        let r = c.select(imap);
        let validity = r.ok_code_number("UIDVALIDITY") as u32;
        for _ in 0..25 {
            round += 1;
            imap_step(&mut c, &book, &mut rng, (n, imap), round);
            if round % 5 == 0 {
                memory.check(imap, validity, &listing(&mut c));
            }
            if stop.load(Ordering::Relaxed) {
                break;
            }
        }
    }
    (c, memory.partial)
}

#[test]
fn imap_sessions_and_nmh_side_by_side() {
    let tree = Arc::new(MhTree::new());
    // ASIMAP_SOAK_KEEP=1 keeps the tree and the engines' logs, whatever
    // the outcome.
    if std::env::var_os("ASIMAP_SOAK_KEEP").is_some() {
        eprintln!("soak: tree kept in {}", tree.home().display());
        std::mem::forget(Arc::clone(&tree));
    }
    tree.folder("a");
    tree.folder("b");
    let book = Arc::new(Mutex::new(Book::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let sessions: Vec<_> = (0..SESSIONS)
        .map(|n| {
            let (t, b, s) = (Arc::clone(&tree), Arc::clone(&book), Arc::clone(&stop));
            thread::spawn(move || session(t, b, s, n))
        })
        .collect();
    let end = Instant::now() + duration();
    let mut rng = Rng(1);
    let mut round = 0;
    while Instant::now() < end {
        round += 1;
        nmh_step(&tree, &book, &mut rng, round);
    }
    stop.store(true, Ordering::Relaxed);
    let mut clients = Vec::new();
    let mut partial = 0;
    for h in sessions {
        let (c, p) = h.join().expect("session thread");
        clients.push(c);
        partial += p;
    }

    // Converged: after a NOOP each session sees what a fresh one sees.
    // (The NOOP also lets an APPEND overwritten by inc be repaired.)
    thread::sleep(Duration::from_millis(100));
    for c in &mut clients {
        c.ok("NOOP");
    }
    for (imap, _) in FOLDERS {
        let (_, fresh) = crash_util::view(&tree, imap);
        for c in &mut clients {
            c.select(imap);
            c.ok("NOOP");
            assert_eq!(
                listing(c),
                fresh,
                "{imap}: a session differs from a fresh one"
            );
        }
    }
    for c in clients {
        c.logout();
    }

    let book = book.lock().unwrap();
    let mut place: BTreeMap<String, &str> = BTreeMap::new();
    for (imap, mh) in FOLDERS {
        let files = tree.numbers_by_id(mh);
        let (_, seen) = crash_util::view(&tree, imap);
        assert_eq!(seen.len(), files.len(), "{imap}: files and messages differ");
        for id in files.keys() {
            if let Some(other) = place.insert(id.clone(), mh) {
                panic!("{id} in both {other} and {mh}");
            }
        }
        crash_util::nmh_reads(&tree, mh, files.is_empty());
    }
    let lost: Vec<&String> = book
        .injected
        .iter()
        .filter(|id| !place.contains_key(*id) && !book.removed.contains(*id))
        .collect();
    eprintln!(
        "soak: {} injected, {} removed, {} moved, {} present, {SESSIONS} sessions, \
         {} IMAP commands, {} IMAP NO, {} nmh refusals, {partial} listed while incomplete",
        book.injected.len(),
        book.removed.len(),
        book.moved,
        place.len(),
        book.imap_commands,
        book.imap_no,
        book.nmh_refused
    );
    assert!(lost.is_empty(), "lost messages: {lost:?}");
    let unknown: Vec<&String> = place
        .keys()
        .filter(|id| !book.injected.contains(*id))
        .collect();
    assert!(unknown.is_empty(), "messages from nowhere: {unknown:?}");
}
