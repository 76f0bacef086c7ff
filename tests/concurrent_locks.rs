//! Issue 3, "Locking with nmh": the engine takes nmh's fcntl lock on
//! `.mh_sequences`, waits for another holder and carries on after it, or
//! gives up with `NO [INUSE]` long before nmh's 60 s; nmh `mark` loops
//! and IMAP STOREs running side by side both keep their changes.

mod common;
mod conc_util;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use nix::fcntl::{FcntlArg, fcntl};

use common::{MhTree, parse_sequences};
use conc_util::Model;

/// Takes nmh's lock (an fcntl write lock on the whole file), as nmh's
/// default `datalocking` does. Released when the file is closed: this
/// process must not open and close the file meanwhile (fcntl locks belong
/// to the process and any close drops them).
fn fcntl_lock(path: &Path) -> File {
    let f = File::options()
        .read(true)
        .write(true)
        .open(path)
        .expect("open .mh_sequences");
    let lock = libc::flock {
        l_type: libc::F_WRLCK as i16,
        l_whence: libc::SEEK_SET as i16,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    };
    fcntl(&f, FcntlArg::F_SETLKW(&lock)).expect("fcntl lock");
    f
}

/// The text of the locked file, read through the lock's own descriptor.
fn read_locked(f: &mut File) -> String {
    let mut s = String::new();
    f.seek(SeekFrom::Start(0)).expect("seek");
    f.read_to_string(&mut s).expect("read locked file");
    s
}

fn tree(n: u32) -> MhTree {
    let tree = MhTree::new();
    tree.fill("inbox", n);
    tree.write_sequences("inbox", &format!("unseen: 1-{n}\n"));
    tree
}

#[test]
fn store_waits_for_a_lock_held_three_seconds() {
    let tree = tree(3);
    let mut c = tree.client();
    c.select("INBOX");
    let path = tree.sequences_path("inbox");
    let (locked_tx, locked_rx) = mpsc::channel();
    let holder = std::thread::spawn(move || {
        let mut f = fcntl_lock(&path);
        locked_tx.send(()).expect("signal");
        std::thread::sleep(Duration::from_secs(3));
        // Still ours: the engine must not have written meanwhile.
        read_locked(&mut f)
    });
    locked_rx.recv().expect("lock taken");
    let r = c.cmd("STORE 1 +FLAGS (\\Flagged)");
    let during = holder.join().expect("holder thread");
    assert!(
        !during.contains("flagged"),
        "the engine wrote .mh_sequences under our lock:\n{during}"
    );
    r.ok();
    assert!(tree.sequence("inbox", "flagged").contains(&1));
    c.logout();
}

#[test]
fn store_gives_up_with_inuse_while_the_lock_stays_held() {
    // The lock is released only after the engine answers, so the answer
    // must be a refusal; the test timeout (60 s, nmh's own limit) fails
    // an engine that waits as long as nmh would.
    let tree = tree(2);
    let mut c = tree.client();
    c.select("INBOX");
    let mut f = fcntl_lock(&tree.sequences_path("inbox"));
    let r = c.cmd("STORE 2 +FLAGS (\\Answered)");
    let during = read_locked(&mut f);
    drop(f);
    r.expect_status("NO");
    assert_eq!(r.code().as_deref(), Some("INUSE"), "{r}");
    assert!(
        !during.contains("replied"),
        "written under our lock:\n{during}"
    );
    // Nothing half-done: after the release the same STORE succeeds once.
    let r = c.ok("STORE 2 +FLAGS (\\Answered)");
    assert!(
        r.fetch(2).flags().contains(&"\\Answered".to_string()),
        "{r}"
    );
    assert_eq!(tree.sequence("inbox", "replied"), common::set(&[2]));
    c.logout();
}

#[test]
fn nmh_mark_loops_and_imap_stores_both_survive() {
    let tree = tree(10);
    let mut a = tree.client();
    a.select("INBOX");
    let mut b = tree.client();
    b.select("INBOX");
    std::thread::scope(|s| {
        let nmh = s.spawn(|| {
            for k in 0..20u32 {
                let n = (k % 10 + 1).to_string();
                // tree.nmh panics when a mark fails (it must never fail).
                tree.nmh("mark", &["+inbox", &n, "-sequence", &format!("nmh{k}")]);
                if k.is_multiple_of(4) {
                    tree.nmh("mark", &["+inbox", &n, "-sequence", "unseen", "-delete"]);
                }
            }
        });
        for k in 0..20u32 {
            let n = (k + 3) % 10 + 1;
            a.ok(&format!("STORE {n} +FLAGS (kw{k})"));
            b.ok(&format!("STORE {} +FLAGS (\\Flagged)", k % 10 + 1));
        }
        nmh.join().expect("nmh mark loop");
    });

    let seqs = parse_sequences(&tree.sequences_text("inbox"));
    for k in 0..20u32 {
        let nmh_n = k % 10 + 1;
        let imap_n = (k + 3) % 10 + 1;
        let nmh_seq = seqs.get(&format!("nmh{k}"));
        assert!(
            nmh_seq.is_some_and(|s| s.contains(&nmh_n)),
            "nmh{k} lost: {seqs:?}"
        );
        let kw = seqs.get(&format!("kw{k}"));
        assert!(
            kw.is_some_and(|s| s.contains(&imap_n)),
            "kw{k} lost: {seqs:?}"
        );
    }
    let flagged = seqs.get("flagged").cloned().unwrap_or_default();
    assert_eq!(flagged, (1..=10).collect(), "flagged: {seqs:?}");
    let unseen = seqs.get("unseen").cloned().unwrap_or_default();
    for n in [1, 5, 9] {
        assert!(!unseen.contains(&n), "mark -delete of {n} lost: {seqs:?}");
    }

    // A new session reports all of it; the running ones converge to it.
    let snap = common::snapshot(&tree, "inbox");
    let m1 = snap.msg("m1@test");
    for flag in ["nmh0", "nmh10", "\\Flagged", "\\Seen", "kw7", "kw17"] {
        assert!(m1.flags.iter().any(|f| f == flag), "{flag} missing: {m1:?}");
    }
    let mut m = Model::load(&mut a);
    m.check(&mut a);
    let mut mb = Model::load(&mut b);
    let r = b.ok("NOOP");
    mb.apply(&r.untagged);
    assert_eq!(m.by_uid(), mb.by_uid(), "sessions disagree");
    a.logout();
    b.logout();
}
