//! Several sessions (stores on one state file) and nmh working on one
//! folder at the same time: every message ends up with exactly one UID,
//! and a UID handed to a client is never taken back by another session's
//! stale view of the folder.

mod state_common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use state_common::{Tree, flags, uid_subjects};

const APPENDS: usize = 15;

#[test]
fn appends_syncs_and_refile_at_once_keep_every_uid() {
    let t = Arc::new(Tree::new());
    t.inc("inbox", &["first"]);
    t.inc("other", &["refiled 0", "refiled 1", "refiled 2"]);
    // Written a while ago: a refiled file written this moment could be one
    // inc is still filling, which a sync holds back (mh-compat.md §4).
    t.settle("other");
    let done = Arc::new(AtomicBool::new(false));
    // The appender starts once the syncer is under way (else a quick
    // appender could be done before the syncer's first round).
    let started = Arc::new(AtomicBool::new(false));

    let appender = {
        let (t, started) = (Arc::clone(&t), Arc::clone(&started));
        std::thread::spawn(move || {
            let mut s = t.store();
            while !started.load(Ordering::SeqCst) {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            let mut got = Vec::new();
            for i in 0..APPENDS {
                let msg = format!("From: a@example.org\nSubject: append {i}\n\nx\n");
                let (_, uid) = s
                    .append("INBOX", msg.as_bytes(), &flags(&[]), None)
                    .unwrap();
                got.push((uid, format!("append {i}")));
            }
            got
        })
    };
    let syncer = {
        let (t, done) = (Arc::clone(&t), Arc::clone(&done));
        let started = Arc::clone(&started);
        std::thread::spawn(move || {
            let mut s = t.store();
            let mut rounds = 0;
            while !done.load(Ordering::SeqCst) {
                s.sync("INBOX").unwrap();
                rounds += 1;
                started.store(true, Ordering::SeqCst);
            }
            rounds
        })
    };
    // refile links into the next free number as APPEND does. (inc's
    // overwrite of a number taken after its readdir, mh-compat.md §4, has
    // its own tests in crash_inc_race.rs.)
    for n in 1..=3 {
        t.nmh("refile", &["-src", "+other", &n.to_string(), "+inbox"]);
    }
    let appended = appender.join().unwrap();
    done.store(true, Ordering::SeqCst);
    let rounds = syncer.join().unwrap();
    assert!(rounds > 0);

    let mut s = t.store();
    let all = uid_subjects(&mut s, "INBOX");
    assert_eq!(all.len(), 1 + APPENDS + 3, "{all:?}");
    let uids: HashSet<u32> = all.iter().map(|(u, _)| *u).collect();
    assert_eq!(uids.len(), all.len(), "a UID was given twice");
    for (uid, subject) in &appended {
        assert!(
            all.contains(&(*uid, subject.clone())),
            "{uid} {subject} lost: {all:?}"
        );
    }
    let rows = s.messages("INBOX").unwrap();
    let numbers: HashSet<u32> = rows.iter().map(|r| r.number).collect();
    assert_eq!(numbers.len(), rows.len(), "two rows claim one file");
    assert_eq!(t.scan("inbox").len(), all.len());
}

#[test]
fn dot_locking_does_not_defeat_the_fast_path() {
    let t = Tree::with_profile("datalocking: dot\n");
    t.inc("inbox", &["a", "b"]);
    t.settle("inbox");
    let mut s = t.store();
    s.sync("INBOX").unwrap();
    s.sync("INBOX").unwrap();
    assert_eq!(s.scans(), 1, "our own dot lock must not look like a change");
    t.nmh("mark", &["+inbox", "2", "-sequence", "flagged", "-add"]);
    s.sync("INBOX").unwrap();
    assert_eq!(s.messages("INBOX").unwrap()[1].flags, ["\\Flagged"]);
    assert!(!t.mail().join("inbox/.mh_sequences.lock").exists());
}
