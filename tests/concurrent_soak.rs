//! Issue 3, soak (short form for CI; `ASIMAP_SOAK_SECS` runs it longer):
//! IMAP sessions and nmh loops side by side on three folders. nmh incs
//! new mail, refiles it on, packs and sorts; one session MOVEs mail out of
//! INBOX, one deletes on purpose, one watches. At the end no message is
//! lost or duplicated, every session's view equals a fresh one, and UIDs
//! only grew.

mod common;
mod conc_util;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Client, MhTree, mbox, message_id};
use conc_util::{Model, StopOnDrop};

fn soak_time() -> Duration {
    let secs = std::env::var("ASIMAP_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6);
    Duration::from_secs(secs)
}

/// Message-IDs by UID in the selected mailbox.
fn ids_by_uid(c: &mut Client) -> BTreeMap<u32, String> {
    let r = c.ok("UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
    r.fetches()
        .into_iter()
        .map(|(_, f)| {
            let h = f.get("BODY[HEADER.FIELDS (MESSAGE-ID)]").text();
            (f.uid(), message_id(&h))
        })
        .collect()
}

/// nmh's side: inc, refile inbox -> a, pack and sort a, mark in inbox.
/// With `overlap` it refiles whatever message is first; without, only
/// the `sNa` ones, which the IMAP mover leaves alone.
fn nmh_loop(tree: &MhTree, running: &AtomicBool, injected: &Mutex<Vec<String>>, overlap: bool) {
    let mut k = 0u32;
    while running.load(Ordering::SeqCst) {
        let ids = [format!("s{k}a"), format!("s{k}b")];
        tree.inc_mbox("inbox", &mbox(&[&ids[0], &ids[1]]));
        injected
            .lock()
            .expect("lock")
            .extend(ids.iter().map(|i| format!("{i}@test")));
        // refile and mark may find no such message: IMAP moved it first.
        let which = if overlap {
            "first".to_string()
        } else {
            let numbers = tree.numbers_by_id("inbox");
            numbers
                .get(&format!("{}@test", ids[0]))
                .map_or("first".into(), u32::to_string)
        };
        let _ = tree.nmh_output("refile", &["-src", "+inbox", &which, "+a"], None);
        let _ = tree.nmh_output("mark", &["+inbox", "last", "-sequence", "flagged"], None);
        if k.is_multiple_of(3) {
            tree.nmh("folder", &["+a", "-pack"]);
            tree.nmh("sortm", &["+a"]);
        }
        k += 1;
    }
}

#[test]
fn soak_sessions_and_nmh_side_by_side() {
    soak(false);
}

/// The same, with IMAP MOVE and nmh refile taking the same messages: a
/// MOVE racing `refile` of the same message must leave it in exactly one
/// folder (MOVE links and unlinks under the source's lock, as refile does).
#[test]
fn soak_with_move_racing_refile() {
    soak(true);
}

fn soak(overlap: bool) {
    let tree = MhTree::new();
    // Every folder keeps a sequence, so nmh locks while it renumbers.
    for f in ["inbox", "a", "b"] {
        tree.write_msg(
            f,
            1,
            common::simple_message(&format!("seed-{f}"), "Seed", "x\n"),
        );
        tree.write_sequences(f, "pinned: 1\n");
    }
    let mut injected: Vec<String> = ["inbox", "a", "b"]
        .iter()
        .map(|f| format!("seed-{f}@test"))
        .collect();
    let fresh = Mutex::new(Vec::new());
    let mut removed = BTreeSet::new();
    let mut log = Vec::new();
    let running = AtomicBool::new(true);

    let mut mover = tree.client();
    mover.select("INBOX");
    let mut deleter = tree.client();
    deleter.select("b");
    let mut watcher = tree.client();
    watcher.select("a");
    let mut wm = Model::load(&mut watcher);
    let mut last_uid: BTreeMap<&str, u32> = BTreeMap::new();

    std::thread::scope(|s| {
        let nmh = s.spawn(|| nmh_loop(&tree, &running, &fresh, overlap));
        let _stop = StopOnDrop(&running);
        let end = Instant::now() + soak_time();
        let mut round = 0u32;
        while Instant::now() < end {
            round += 1;
            // Mover: the lowest UID of INBOX (not the seed) to b.
            let r = mover.ok(if overlap {
                "UID SEARCH NOT HEADER Message-ID seed-inbox"
            } else {
                "UID SEARCH HEADER Message-ID b@test NOT HEADER Message-ID seed"
            });
            if let Some(uid) = r.search().first() {
                let r = mover.cmd(&format!("UID MOVE {uid} b"));
                assert!(matches!(r.status().as_str(), "OK" | "NO"), "{r}");
            }
            mover.ok(&format!("UID STORE 1:* +FLAGS (r{})", round % 4));
            // Deleter: every other round, remove one message of b on
            // purpose, by UID, remembering its Message-ID.
            if round.is_multiple_of(2) {
                let ids = ids_by_uid(&mut deleter);
                if let Some((uid, id)) = ids.iter().find(|(_, i)| !i.starts_with("seed")) {
                    deleter.ok(&format!("UID STORE {uid} +FLAGS (\\Deleted)"));
                    let r = deleter.ok(&format!("UID EXPUNGE {uid}"));
                    let left = deleter.ok(&format!("UID SEARCH UID {uid}"));
                    if left.search().is_empty() {
                        removed.insert(id.clone());
                        log.push(format!("{uid} {id}: {r}"));
                    }
                }
            }
            let r = watcher.ok("NOOP");
            wm.apply(&r.untagged);
        }
        running.store(false, Ordering::SeqCst);
        nmh.join().expect("nmh loop");
    });
    injected.extend(fresh.into_inner().expect("lock"));

    // Every injected message is in exactly one folder unless removed.
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for f in ["inbox", "a", "b"] {
        for id in tree.numbers_by_id(f).into_keys() {
            if let Some(other) = seen.insert(id.clone(), f) {
                panic!("{id} in both {other} and {f}");
            }
        }
    }
    for id in &injected {
        let here = seen.contains_key(id);
        let gone = removed.contains(id);
        assert!(
            here != gone,
            "{id}: present {here} ({:?}), removed on purpose {gone}; removals {log:#?}",
            seen.get(id)
        );
    }
    assert_eq!(
        seen.len() + removed.len(),
        injected.len(),
        "unknown messages"
    );

    // Sessions converge on a fresh view; UIDs only grew per folder.
    wm.check(&mut watcher);
    for (c, folder) in [
        (&mut mover, "INBOX"),
        (&mut deleter, "b"),
        (&mut watcher, "a"),
    ] {
        let mut m = Model::load(c);
        m.check(c);
        let snap = common::snapshot(&tree, folder);
        let uids: Vec<u32> = m.uids.clone();
        assert_eq!(uids.len(), snap.messages.len(), "{folder}");
        let ids = ids_by_uid(c);
        for (uid, id) in &ids {
            assert_eq!(snap.msg(id).uid, *uid, "{folder}: {id} changed UID");
        }
        last_uid.insert(folder, uids.last().copied().unwrap_or(0));
    }
    eprintln!(
        "soak: {} injected, {} removed on purpose, {} kept; last UIDs {last_uid:?}",
        injected.len(),
        removed.len(),
        seen.len()
    );
    mover.logout();
    deleter.logout();
    watcher.logout();
}
