//! nmh's lock on `.mh_sequences` held by someone else: every operation
//! that needs it fails with `InUse` after the configured wait, and a COPY
//! or APPEND that fails so leaves nothing behind (pitfall 33).

mod state_common;

use std::time::Duration;

use asimap::mh::lock::FileLock;
use asimap::state::{FlagOp, StateError};
use state_common::{Tree, flags};

#[test]
fn busy_lock_means_in_use_and_no_half_done_copy() {
    let t = Tree::new();
    t.inc("inbox", &["a"]);
    t.inc("dst", &["old"]);
    t.settle("dst");
    let mut s = t.store();
    s.set_lock_wait(Duration::from_millis(200));
    s.sync("INBOX").unwrap();
    let before = s.sync("dst").unwrap();
    let src_uid = s.messages("INBOX").unwrap()[0].uid;
    let dst_uid = s.messages("dst").unwrap()[0].uid;
    let seq = t.mail().join("dst/.mh_sequences");
    let seq_text = std::fs::read(&seq).unwrap();

    let held = FileLock::acquire(&seq, t.profile.locking, Duration::from_secs(1)).unwrap();
    let in_use = |r: Result<_, StateError>| matches!(r, Err(StateError::InUse));
    assert!(in_use(s.copy("INBOX", &[src_uid], "dst").map(|_| ())));
    assert!(in_use(s.append("dst", b"x\n", &[], None).map(|_| ())));
    let seen = flags(&["\\Seen"]);
    assert!(in_use(s.store_flags("dst", &[dst_uid], FlagOp::Add, &seen)));
    assert!(in_use(s.expunge("dst", &[dst_uid]).map(|_| ())));
    let mut fresh = t.store();
    fresh.set_lock_wait(Duration::from_millis(200));
    assert!(
        in_use(fresh.sync("dst").map(|_| ())),
        "a first sync needs the lock"
    );
    drop(held);

    let mut names: Vec<String> = std::fs::read_dir(t.mail().join("dst"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [".mh_sequences", "1"],
        "a failed COPY or APPEND left a file"
    );
    assert_eq!(std::fs::read(&seq).unwrap(), seq_text);
    let after = s.sync("dst").unwrap();
    assert_eq!((after.exists, after.uidnext), (1, before.uidnext));
    assert_eq!(fresh.sync("dst").unwrap().exists, 1);
}
