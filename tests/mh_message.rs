//! Message files beside real nmh: scanning, identity across nmh's
//! renumbering, adding without clobbering, copying, removing.

mod mh_util;

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use asimap::mh::message::{self, Identity, MsgFile};
use asimap::mh::{MhError, MsgNum};
use mh_util::{Lab, message};

/// number → identity of a folder.
fn identities(dir: &Path) -> BTreeMap<MsgNum, Identity> {
    message::scan(dir)
        .unwrap()
        .into_iter()
        .map(|m| (m.number, m.identity))
        .collect()
}

/// The number now holding `id`, if exactly one does.
fn number_of(now: &BTreeMap<MsgNum, Identity>, id: &Identity) -> Option<MsgNum> {
    let hits: Vec<MsgNum> = now
        .iter()
        .filter(|(_, i)| i.same_message(id))
        .map(|(n, _)| *n)
        .collect();
    (hits.len() == 1).then(|| hits[0])
}

#[test]
fn scan_lists_only_numbered_regular_files() {
    let lab = Lab::new();
    let dir = lab.folder_with("sc", 2);
    std::fs::write(dir.join("10"), message("ten")).unwrap();
    for junk in [
        "007",
        "0",
        "1a",
        ",3",
        ".hidden",
        "2147483647",
        "4294967298",
        "5~",
    ] {
        std::fs::write(dir.join(junk), message(junk)).unwrap();
    }
    std::fs::create_dir(dir.join("456")).unwrap();
    std::fs::write(lab.home().join("outside"), message("linked")).unwrap();
    std::os::unix::fs::symlink(lab.home().join("outside"), dir.join("5")).unwrap();
    std::os::unix::fs::symlink(lab.mail(), dir.join("6")).unwrap();
    std::os::unix::fs::symlink(dir.join("missing"), dir.join("7")).unwrap();

    let numbers: Vec<MsgNum> = message::scan(&dir)
        .unwrap()
        .iter()
        .map(|m| m.number)
        .collect();
    assert_eq!(numbers, [1, 2, 5, 10]);
    let missing = message::scan(&lab.folder("nope"));
    assert!(matches!(missing, Err(MhError::NoFolder(_))), "{missing:?}");
}

#[test]
fn identity_survives_folder_pack_and_sortm() {
    let lab = Lab::new();
    let dir = lab.folder("pk");
    std::fs::create_dir(&dir).unwrap();
    let dates = [
        "Tue, 5 Mar 2024",
        "Mon, 1 Jan 2024",
        "Sun, 3 Mar 2024",
        "Fri, 2 Feb 2024",
    ];
    for (i, n) in [2, 4, 7, 9].into_iter().enumerate() {
        let text = format!(
            "Date: {} 10:00:00 +0000\n{}",
            dates[i],
            message(&n.to_string())
        );
        std::fs::write(dir.join(n.to_string()), text).unwrap();
    }
    let before = identities(&dir);

    lab.nmh("folder", &["+pk", "-pack"]);
    let packed = identities(&dir);
    assert_eq!(packed.keys().copied().collect::<Vec<_>>(), [1, 2, 3, 4]);
    let moves: Vec<_> = before.values().map(|id| number_of(&packed, id)).collect();
    assert_eq!(moves, [Some(1), Some(2), Some(3), Some(4)]);

    lab.nmh("sortm", &["+pk"]);
    let sorted = identities(&dir);
    let moves: Vec<_> = before.values().map(|id| number_of(&sorted, id)).collect();
    assert_eq!(
        moves,
        [Some(4), Some(1), Some(3), Some(2)],
        "sorted by date"
    );

    // The number 1 now holds another message: opening it by the old
    // identity is refused, by the new one it works.
    let old_first = before[&2];
    let gone = message::open_checked(&dir, 1, &packed[&1]);
    assert!(matches!(gone, Err(MhError::MessageGone(1))), "{gone:?}");
    message::open_checked(&dir, 4, &old_first).unwrap();
}

#[test]
fn identity_survives_refile_and_changes_for_a_new_inc() {
    let lab = Lab::new();
    let src = lab.folder_with("src", 3);
    let dst = lab.folder_with("dst", 1);
    let moved = identities(&src)[&2];
    lab.nmh("refile", &["-src", "+src", "2", "+dst"]);
    assert_eq!(number_of(&identities(&dst), &moved), Some(2));
    assert_eq!(
        number_of(&identities(&src), &moved),
        None,
        "only a ,2 backup is left"
    );

    // rmm -unlink then inc: the new message 3 may even reuse the inode,
    // but it is another message.
    let old3 = identities(&src)[&3];
    lab.nmh("rmm", &["+src", "3", "-unlink"]);
    let mbox = lab.home().join("drop.mbox");
    std::fs::write(
        &mbox,
        format!("From x Mon Jan  1 00:00:00 2024\n{}", message("new")),
    )
    .unwrap();
    lab.nmh("inc", &["+src", "-file", mbox.to_str().unwrap(), "-silent"]);
    let incorporated = identities(&src)[&2];
    assert!(!incorporated.same_message(&old3));
    let gone = message::open_checked(&src, 2, &old3);
    assert!(matches!(gone, Err(MhError::MessageGone(2))), "{gone:?}");
    assert!(matches!(
        message::open_checked(&src, 9, &old3),
        Err(MhError::MessageGone(9))
    ));
}

#[test]
fn concurrent_adds_and_rcvstore_never_clobber() {
    let lab = Lab::new();
    let dir = lab.folder_with("cc", 0);
    let profile = lab.profile();
    let ours = std::thread::scope(|s| {
        let nmh = s.spawn(|| {
            for i in 0..10 {
                let mut child = lab
                    .cmd("/usr/lib/mh/rcvstore", &["+cc"])
                    .stdin(Stdio::piped())
                    .spawn()
                    .expect("rcvstore");
                let body = message(&format!("rcvstore {i}"));
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(body.as_bytes())
                    .unwrap();
                assert!(child.wait().unwrap().success());
            }
        });
        let adders: Vec<_> = (0..4)
            .map(|t| {
                let (dir, profile) = (&dir, &profile);
                s.spawn(move || {
                    (0..25)
                        .map(|i| {
                            let text = message(&format!("thread {t} add {i}"));
                            message::add(dir, profile, text.as_bytes(), SystemTime::now()).unwrap()
                        })
                        .collect::<Vec<MsgFile>>()
                })
            })
            .collect();
        let added: Vec<MsgFile> = adders.into_iter().flat_map(|h| h.join().unwrap()).collect();
        nmh.join().unwrap();
        added
    });
    let on_disk = message::scan(&dir).unwrap();
    assert_eq!(on_disk.len(), 110);
    let mut bodies: Vec<String> = on_disk
        .iter()
        .map(|m| std::fs::read_to_string(dir.join(m.number.to_string())).unwrap())
        .collect();
    bodies.sort();
    bodies.dedup();
    assert_eq!(bodies.len(), 110, "every message exactly once");
    for added in &ours {
        let found = on_disk.iter().find(|m| m.number == added.number).unwrap();
        assert!(found.identity.same_message(&added.identity));
    }
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        leftovers.iter().all(|n| n == ".mh_sequences"),
        "{leftovers:?}"
    );
}

#[test]
fn add_keeps_bytes_mtime_and_mode_and_nmh_sees_it() {
    let lab = Lab::with_profile("Msg-Protect: 0640\n");
    let dir = lab.folder_with("ad", 3);
    std::fs::remove_file(dir.join("2")).unwrap();
    let when = SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
    let bytes = b"Subject: added\n\nline\r\nwith a stray CR and \0 a NUL\n";
    let added = message::add(&dir, &lab.profile(), bytes, when).unwrap();
    assert_eq!(added.number, 4, "after the highest, not in a gap");
    let path = dir.join("4");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.modified().unwrap(), when);
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    assert!(Identity::from_metadata(&meta).same_message(&added.identity));
    let scan = lab.nmh("scan", &["+ad", "4", "-format", "%(msg) %{subject}"]);
    assert_eq!(scan.trim(), "4 added");
}

#[test]
fn copy_makes_a_new_file_with_the_same_bytes_and_mtime() {
    let lab = Lab::new();
    let src = lab.folder_with("from", 2);
    let dst = lab.folder_with("to", 5);
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    std::fs::File::options()
        .write(true)
        .open(src.join("2"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    let copied = message::copy(&src.join("2"), &dst, &lab.profile()).unwrap();
    assert_eq!(copied.number, 6);
    let (a, b) = (
        std::fs::metadata(src.join("2")).unwrap(),
        std::fs::metadata(dst.join("6")).unwrap(),
    );
    assert_ne!(a.ino(), b.ino());
    assert_eq!(b.modified().unwrap(), old);
    assert_eq!(
        std::fs::read(src.join("2")).unwrap(),
        std::fs::read(dst.join("6")).unwrap()
    );
}

#[test]
fn copy_batch_adds_consecutive_numbers_keeping_bytes_and_mtimes() {
    let lab = Lab::new();
    let src = lab.folder_with("bsrc", 3);
    let dst = lab.folder_with("bdst", 2);
    // A gap below the highest number is not reused, as nmh would not.
    std::fs::remove_file(dst.join("1")).unwrap();
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_200_000_000);
    let opened: Vec<std::fs::File> = (1..=3)
        .map(|n| {
            let f = std::fs::File::options()
                .read(true)
                .write(true)
                .open(src.join(n.to_string()));
            let f = f.unwrap();
            f.set_modified(old).unwrap();
            f
        })
        .collect();

    let copied = message::copy_batch(opened, &dst, &lab.profile()).unwrap();

    let numbers: Vec<MsgNum> = copied.iter().map(|c| c.number).collect();
    assert_eq!(numbers, vec![3, 4, 5]);
    for (k, n) in numbers.iter().enumerate() {
        let source = src.join((k + 1).to_string());
        let copy = dst.join(n.to_string());
        assert_eq!(
            std::fs::read(&source).unwrap(),
            std::fs::read(&copy).unwrap()
        );
        assert_eq!(std::fs::metadata(&copy).unwrap().modified().unwrap(), old);
    }
    let leftovers: Vec<_> = std::fs::read_dir(&dst)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    let scan = lab.nmh("scan", &["+bdst", "-format", "%(msg)"]);
    assert_eq!(
        scan.split_whitespace().collect::<Vec<_>>(),
        ["2", "3", "4", "5"]
    );
}

#[test]
fn remove_unlinks_and_tolerates_missing_files() {
    let lab = Lab::new();
    let dir = lab.folder_with("rm", 4);
    message::remove(&dir, &lab.profile(), &[2, 3, 9]).unwrap();
    let left: Vec<MsgNum> = message::scan(&dir)
        .unwrap()
        .iter()
        .map(|m| m.number)
        .collect();
    assert_eq!(left, [1, 4]);
}

#[test]
fn remove_runs_rmmproc_in_the_folder_with_its_arguments() {
    let lab = Lab::new();
    let script = lab.home().join("rmmproc.sh");
    let log = lab.home().join("rmmproc.log");
    let text = format!(
        "#!/bin/sh\necho \"$(pwd) $*\" > {}\nshift\nfor n; do mv \"$n\" \",$n\"; done\n",
        log.display()
    );
    std::fs::write(&script, text).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let profile_line = format!("rmmproc: {} extra\n", script.display());
    let lab2 = Lab::with_profile(&profile_line);
    let dir = lab2.folder_with("rp", 5);
    message::remove(&dir, &lab2.profile(), &[1, 5]).unwrap();
    let logged = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        logged.trim(),
        format!("{} extra 1 5", dir.canonicalize().unwrap().display())
    );
    assert!(dir.join(",1").exists() && dir.join(",5").exists());
    assert_eq!(message::scan(&dir).unwrap().len(), 3);

    let failing = Lab::with_profile("rmmproc: /bin/false\n");
    let dir = failing.folder_with("rf", 1);
    let err = message::remove(&dir, &failing.profile(), &[1]);
    assert!(matches!(err, Err(MhError::Rmmproc(_))), "{err:?}");
}

#[test]
fn clean_temporaries_removes_only_abandoned_ones() {
    let lab = Lab::new();
    let dir = lab.folder_with("tmp", 1);
    let dead = dir.join(".asimap-tmp.999999999.abc");
    let dead_lock = dir.join(".lk.asimap.999999999.1");
    let mine = dir.join(format!(".asimap-tmp.{}.def", std::process::id()));
    let other = dir.join(".other-dot-file");
    for p in [&dead, &dead_lock, &mine, &other] {
        std::fs::write(p, "x").unwrap();
    }
    assert_eq!(
        message::clean_temporaries(&dir, 3600).unwrap(),
        0,
        "all are too young"
    );
    assert_eq!(message::clean_temporaries(&dir, 0).unwrap(), 2);
    assert!(!dead.exists() && !dead_lock.exists() && mine.exists() && other.exists());
}

#[test]
fn list_numbers_reads_names_and_inodes_without_stat() {
    let lab = Lab::new();
    let dir = lab.folder_with("ln", 3);
    std::fs::create_dir(dir.join("456")).unwrap();
    std::fs::write(dir.join("x1"), "x").unwrap();
    let listed = message::list_numbers(&dir).unwrap();
    let numbers: Vec<MsgNum> = listed.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, [1, 2, 3, 456]);
    for (n, ino) in &listed[..3] {
        let m = message::stat_message(&dir, *n).unwrap().unwrap();
        assert_eq!(m.identity.ino, *ino);
    }
    assert_eq!(
        message::stat_message(&dir, 456).unwrap(),
        None,
        "a directory"
    );
    assert_eq!(message::stat_message(&dir, 9).unwrap(), None, "missing");
}

#[test]
fn add_into_a_missing_folder_is_no_folder() {
    let lab = Lab::new();
    let err = message::add(
        &lab.folder("absent"),
        &lab.profile(),
        b"x",
        SystemTime::now(),
    );
    assert!(matches!(err, Err(MhError::NoFolder(_))), "{err:?}");
}
