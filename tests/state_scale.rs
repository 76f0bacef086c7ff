//! A folder of 10,000 messages: the first sync gives every file a UID in
//! one transaction, later calls read rows only. Timings are printed for
//! the record (run with `--nocapture`); they never decide the outcome.

mod state_common;

use std::time::Instant;

use asimap::state::FlagOp;
use state_common::Tree;

const COUNT: u32 = 10_000;

#[test]
fn ten_thousand_messages() {
    let t = Tree::new();
    let dir = t.mail().join("big");
    std::fs::create_dir(&dir).unwrap();
    for n in 1..=COUNT {
        let text = format!("From: a@example.org\nSubject: m{n}\n\nbody {n}\n");
        std::fs::write(dir.join(n.to_string()), text).unwrap();
    }
    std::fs::write(
        dir.join(".mh_sequences"),
        "unseen: 2-9999\nflagged: 5000-5010\n",
    )
    .unwrap();
    t.settle("big");
    let mut s = t.store();

    let clock = Instant::now();
    let first = s.sync("big").unwrap();
    let first_ms = clock.elapsed().as_millis();
    assert_eq!(
        (first.exists, first.unseen, first.uidnext),
        (COUNT, 9998, COUNT + 1)
    );

    let clock = Instant::now();
    let again = s.sync("big").unwrap();
    let again_us = clock.elapsed().as_micros();
    assert_eq!(again, first);
    assert_eq!(s.scans(), 1, "the unchanged folder was read again");

    let clock = Instant::now();
    let rows = s.messages("big").unwrap();
    let rows_ms = clock.elapsed().as_millis();
    assert_eq!(rows.len(), COUNT as usize);
    assert!(rows.windows(2).all(|w| w[0].uid < w[1].uid));
    assert_eq!(rows[4999].flags, ["\\Flagged"]);
    assert_eq!(rows[0].flags, ["\\Seen"]);

    let uids: Vec<u32> = rows.iter().map(|r| r.uid).collect();
    let blobs: Vec<(u32, Vec<u8>)> = uids.iter().map(|u| (*u, blob(*u))).collect();
    let clock = Instant::now();
    s.set_cached("big", &blobs).unwrap();
    let set_ms = clock.elapsed().as_millis();
    let clock = Instant::now();
    let cached = s.cached("big", &uids).unwrap();
    let cached_ms = clock.elapsed().as_millis();
    assert!(
        cached
            .iter()
            .zip(&uids)
            .all(|(b, u)| b.as_deref() == Some(&blob(*u)[..]))
    );

    let clock = Instant::now();
    assert_eq!(s.messages("big").unwrap(), rows);
    let cached_rows_ms = clock.elapsed().as_millis();

    let clock = Instant::now();
    let one = [rows[7].uid];
    s.store_flags("big", &one, FlagOp::Add, &["\\Flagged".to_string()])
        .unwrap();
    let store_ms = clock.elapsed().as_millis();
    assert_eq!(s.messages("big").unwrap()[7].flags, ["\\Flagged"]);

    eprintln!(
        "10k: first sync {first_ms} ms, unchanged sync {again_us} us, messages {rows_ms} ms, \
         set_cached {set_ms} ms, cached {cached_ms} ms, messages with cache {cached_rows_ms} ms, \
         STORE of one {store_ms} ms"
    );
}

/// A cache blob of the size ENVELOPE plus BODYSTRUCTURE usually take.
fn blob(uid: u32) -> Vec<u8> {
    let mut b = uid.to_le_bytes().to_vec();
    b.resize(1500, b'x');
    b
}
