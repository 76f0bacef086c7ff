//! Locking `.mh_sequences` beside real nmh (mh-compat.md §3): nmh waits for
//! our lock, we wait for nmh's, and both sides' updates survive, for each
//! `datalocking` method.

mod mh_util;

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use asimap::mh::lock::{FileLock, LockMethod};
use asimap::mh::{MhError, Sequences};
use mh_util::{Lab, in_sleep, wait_until};

const WAIT: Duration = Duration::from_secs(20);

/// Holds our lock with `method` until `mark` is seen sleeping in its retry
/// loop, writes our own sequence under that lock, releases it, and checks
/// that mark then finishes and both sequences are in the file.
fn mark_waits_for_us(method: LockMethod, profile_line: &str) {
    let lab = Lab::with_profile(profile_line);
    let dir = lab.folder_with("lk", 6);
    lab.nmh("mark", &["+lk", "1", "-sequence", "before"]);
    let path = dir.join(".mh_sequences");
    let mut lock = FileLock::acquire(&path, method, WAIT).unwrap();

    let mut mark = lab.spawn("mark", &["+lk", "2", "-sequence", "fromnmh"]);
    wait_until(30, "mark to sleep on the lock", || in_sleep(mark.id()));
    assert_eq!(
        mark.try_wait().unwrap(),
        None,
        "mark finished despite our lock"
    );
    Sequences::update_locked(&mut lock, &path, |s| s.add("fromserver", 3)).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "before: 1\nfromserver: 3\n"
    );
    drop(lock);

    let out = mark.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "mark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = lab.nmh("mark", &["+lk", "-list"]);
    assert_eq!(text, "before: 1\nfromserver: 3\nfromnmh: 2\n");
}

#[test]
fn mark_waits_for_our_fcntl_lock_and_both_updates_survive() {
    mark_waits_for_us(LockMethod::Fcntl, "");
}

#[test]
fn mark_waits_for_our_lockf_lock() {
    mark_waits_for_us(LockMethod::Lockf, "datalocking: lockf\n");
}

#[test]
fn mark_waits_for_our_flock_lock() {
    mark_waits_for_us(LockMethod::Flock, "datalocking: flock\n");
}

#[test]
fn mark_waits_for_our_dot_lock() {
    mark_waits_for_us(LockMethod::Dot, "datalocking: dot\n");
}

/// True when `/proc/locks` shows a POSIX lock on inode `ino`.
fn posix_lock_on(ino: u64) -> bool {
    let locks = std::fs::read_to_string("/proc/locks").unwrap_or_default();
    locks.lines().any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.get(1) == Some(&"POSIX")
            && f.get(5).and_then(|d| d.rsplit(':').next()) == Some(&ino.to_string())
    })
}

#[test]
fn we_wait_for_nmh_holding_its_lock_and_both_updates_survive() {
    let lab = Lab::new();
    let dir = lab.folder_with("nl", 6);
    lab.nmh("mark", &["+nl", "1", "-sequence", "before"]);
    let path = dir.join(".mh_sequences");
    let ino = std::fs::metadata(&path).unwrap().ino();
    // strace stalls mark for 2 s inside its locked rewrite.
    let mut mark = Command::new("strace")
        .args(["-f", "-o", "/dev/null", "-e", "trace=ftruncate"])
        .args(["-e", "inject=ftruncate:delay_enter=2000000"])
        .arg(Path::new(mh_util::NMH_BIN).join("mark"))
        .args(["+nl", "2", "-sequence", "fromnmh"])
        .env("HOME", lab.home())
        .env_remove("MH")
        .spawn()
        .expect("strace must be installed (apt-get install strace)");
    wait_until(30, "mark to hold its lock", || posix_lock_on(ino));

    let busy = FileLock::acquire(&path, LockMethod::Fcntl, Duration::from_millis(50));
    assert!(matches!(busy, Err(MhError::LockBusy(_))), "{busy:?}");
    Sequences::update(&path, LockMethod::Fcntl, WAIT, |s| s.add("fromserver", 3)).unwrap();

    assert!(mark.wait().unwrap().success());
    let text = lab.nmh("mark", &["+nl", "-list"]);
    assert_eq!(text, "before: 1\nfromnmh: 2\nfromserver: 3\n");
}

#[test]
fn a_second_lock_times_out_with_lock_busy() {
    let lab = Lab::new();
    let path = lab.folder_with("tb", 1).join(".mh_sequences");
    for method in [LockMethod::Fcntl, LockMethod::Flock, LockMethod::Dot] {
        let held = FileLock::acquire(&path, method, WAIT).unwrap();
        let again = FileLock::acquire(&path, method, Duration::from_millis(30));
        assert!(
            matches!(again, Err(MhError::LockBusy(_))),
            "{method:?}: {again:?}"
        );
        drop(held);
        FileLock::acquire(&path, method, Duration::ZERO).unwrap();
    }
}

#[test]
fn acquiring_creates_without_truncating_and_dot_lock_is_removed() {
    let lab = Lab::new();
    let dir = lab.folder_with("cr", 1);
    let path = dir.join(".mh_sequences");
    drop(FileLock::acquire(&path, LockMethod::Fcntl, WAIT).unwrap());
    assert_eq!(std::fs::read(&path).unwrap(), b"");
    std::fs::write(&path, "a: 1\n").unwrap();
    for method in [
        LockMethod::Fcntl,
        LockMethod::Lockf,
        LockMethod::Flock,
        LockMethod::Dot,
    ] {
        drop(FileLock::acquire(&path, method, WAIT).unwrap());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "a: 1\n",
            "{method:?}"
        );
    }
    assert!(!dir.join(".mh_sequences.lock").exists());
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "only 1 and .mh_sequences: {names:?}");
}

#[test]
fn a_stale_dot_lock_is_broken() {
    let lab = Lab::new();
    let dir = lab.folder_with("st", 1);
    let path = dir.join(".mh_sequences");
    let stale = std::fs::File::create(dir.join(".mh_sequences.lock")).unwrap();
    stale
        .set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    let lock = FileLock::acquire(&path, LockMethod::Dot, WAIT).unwrap();
    drop(lock);
    assert!(!dir.join(".mh_sequences.lock").exists());
    // A fresh one is respected.
    std::fs::File::create(dir.join(".mh_sequences.lock")).unwrap();
    let busy = FileLock::acquire(&path, LockMethod::Dot, Duration::from_millis(30));
    assert!(matches!(busy, Err(MhError::LockBusy(_))), "{busy:?}");
}

#[test]
fn acquire_existing_never_creates_and_still_excludes_nmh() {
    let lab = Lab::new();
    let dir = lab.folder_with("ex", 3);
    let path = dir.join(".mh_sequences");
    for method in [LockMethod::Fcntl, LockMethod::Flock, LockMethod::Dot] {
        assert!(
            FileLock::acquire_existing(&path, method, WAIT)
                .unwrap()
                .is_none()
        );
        assert!(!path.exists(), "{method:?} created the file");
        assert!(!dir.join(".mh_sequences.lock").exists());
    }
    lab.nmh("mark", &["+ex", "1", "-sequence", "a"]);
    let mut lock = FileLock::acquire_existing(&path, LockMethod::Fcntl, WAIT)
        .unwrap()
        .unwrap();
    let mut mark = lab.spawn("mark", &["+ex", "2", "-sequence", "b"]);
    wait_until(30, "mark to sleep on the lock", || in_sleep(mark.id()));
    let (seqs, raw) = Sequences::read_locked(&mut lock, &path).unwrap();
    assert_eq!((raw.as_slice(), seqs.get("b")), (&b"a: 1\n"[..], None));
    drop(lock);
    assert!(mark.wait().unwrap().success());
    assert_eq!(lab.nmh("mark", &["+ex", "-list"]), "a: 1\nb: 2\n");
}

/// `mark` in a loop and our updates in a loop on the same folder: every
/// change of both sides is in the file at the end.
fn interleaved_updates_all_survive(method: LockMethod, profile_line: &str) {
    let lab = Lab::with_profile(profile_line);
    let dir = lab.folder_with("loop", 15);
    let path = dir.join(".mh_sequences");
    std::thread::scope(|s| {
        s.spawn(|| {
            for n in 1..=15 {
                lab.nmh("mark", &["+loop", &n.to_string(), "-sequence", "nmh"]);
            }
        });
        for n in 1..=15 {
            Sequences::update(&path, method, WAIT, |seqs| seqs.add("ours", n)).unwrap();
        }
    });
    let (seqs, warnings) = Sequences::read(&path).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let all: std::collections::BTreeSet<u32> = (1..=15).collect();
    assert_eq!(seqs.get("nmh"), Some(&all));
    assert_eq!(seqs.get("ours"), Some(&all));
}

#[test]
fn interleaved_fcntl_updates_all_survive() {
    interleaved_updates_all_survive(LockMethod::Fcntl, "");
}

#[test]
fn interleaved_flock_updates_all_survive() {
    interleaved_updates_all_survive(LockMethod::Flock, "datalocking: flock\n");
}
