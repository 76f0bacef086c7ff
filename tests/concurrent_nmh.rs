//! Issue 3, nmh changes while sessions have the folder selected: `inc`,
//! `rmm` and `refile` in and out arrive as EXISTS and EXPUNGE; `mark` and
//! `show` as FETCH FLAGS; `folder -pack` and `sortm` are invisible (same
//! UIDs, no EXPUNGE, no EXISTS); and a FETCH racing `folder -pack` or
//! `sortm` never serves one message's bytes under another's UID.

mod common;
mod conc_util;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{Client, MhTree, mbox, message_id};
use conc_util::{Model, assert_expunges_first, noop_until, self_naming};

fn has(flags: &[String], flag: &str) -> bool {
    flags.iter().any(|f| f == flag)
}

/// UID to Message-ID as the session serves them now.
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

#[test]
fn inc_rmm_and_refile_arrive_as_exists_and_expunge() {
    let tree = MhTree::new();
    tree.fill("inbox", 4);
    tree.write_msg("other", 1, common::simple_message("o1", "O1", "x\n"));
    tree.write_msg("other", 2, common::simple_message("o2", "O2", "x\n"));
    let mut b = tree.client();
    b.select("INBOX");
    let mut mb = Model::load(&mut b);
    let mut c = tree.client();
    c.select("other");
    let mut mc = Model::load(&mut c);

    tree.inc_mbox("inbox", &mbox(&["inc1", "inc2"]));
    noop_until(&mut b, &mut mb, |m| m.uids.len() == 6);

    let uid2 = mb.uids[1];
    tree.nmh("rmm", &["+inbox", "2"]);
    let seen = noop_until(&mut b, &mut mb, |m| !m.uids.contains(&uid2));
    assert_eq!(mb.expunged, vec![2], "{seen:?}");

    // refile into INBOX: EXISTS in B, EXPUNGE in C.
    let o1 = mc.uids[0];
    tree.nmh("refile", &["-src", "+other", "1", "+inbox"]);
    noop_until(&mut b, &mut mb, |m| m.uids.len() == 6);
    let seen = noop_until(&mut c, &mut mc, |m| !m.uids.contains(&o1));
    assert_expunges_first(&seen);

    // refile out of INBOX (its first message): the other way round.
    let first = mb.uids[0];
    tree.nmh("refile", &["-src", "+inbox", "1", "+other"]);
    noop_until(&mut b, &mut mb, |m| !m.uids.contains(&first));
    noop_until(&mut c, &mut mc, |m| m.uids.len() == 2);

    mb.check(&mut b);
    mc.check(&mut c);
    // refile leaves a ",N" backup; it is not a message.
    assert_eq!(mb.uids.len(), 5);
    b.logout();
    c.logout();
}

#[test]
fn folder_pack_and_sortm_are_invisible() {
    let tree = MhTree::new();
    // Dates run backwards, and numbers have gaps: both commands renumber.
    for (k, n) in [1u32, 3, 4, 7, 9, 10].iter().enumerate() {
        tree.write_msg("inbox", *n, self_naming(&format!("p{k}"), 20 - k as u32));
    }
    tree.write_sequences("inbox", "unseen: 3-7\nflagged: 4 9\n");
    let mut b = tree.client();
    b.select("INBOX");
    let mut m = Model::load(&mut b);
    let before = m.by_uid();
    let ids = ids_by_uid(&mut b);
    let snap = common::snapshot(&tree, "inbox");

    tree.nmh("folder", &["+inbox", "-pack"]);
    assert_eq!(tree.numbers("inbox"), vec![1, 2, 3, 4, 5, 6]);
    let r = b.ok("NOOP");
    assert!(r.numbered("EXPUNGE").is_empty(), "pack expunged: {r}");
    assert!(r.numbered("EXISTS").is_empty(), "pack announced: {r}");
    m.apply(&r.untagged);

    let order_before = tree.numbers_by_id("inbox");
    tree.nmh("sortm", &["+inbox"]);
    assert_ne!(
        tree.numbers_by_id("inbox"),
        order_before,
        "sortm did not reorder"
    );
    let r = b.ok("NOOP");
    assert!(r.numbered("EXPUNGE").is_empty(), "sortm expunged: {r}");
    assert!(r.numbered("EXISTS").is_empty(), "sortm announced: {r}");
    m.apply(&r.untagged);

    m.check(&mut b);
    assert_eq!(m.by_uid(), before, "flags or UIDs moved");
    assert_eq!(ids_by_uid(&mut b), ids, "a UID now names another message");
    let after = common::snapshot(&tree, "inbox");
    assert_eq!(after.uids(), snap.uids());
    assert_eq!(after.uidvalidity, snap.uidvalidity);
    b.logout();
}

#[test]
fn mark_and_show_arrive_as_fetch_flags() {
    let tree = MhTree::new();
    tree.fill("inbox", 4);
    tree.write_sequences("inbox", "unseen: 1-4\n");
    let mut b = tree.client();
    b.select("INBOX");
    let mut m = Model::load(&mut b);
    let (uid3, uid4) = (m.uids[2], m.uids[3]);

    tree.nmh("mark", &["+inbox", "3", "-sequence", "flagged"]);
    noop_until(&mut b, &mut m, |m| has(m.flags_of(uid3), "\\Flagged"));
    tree.nmh("show", &["+inbox", "4", "-showproc", "/bin/cat"]);
    noop_until(&mut b, &mut m, |m| has(m.flags_of(uid4), "\\Seen"));
    tree.nmh("mark", &["+inbox", "3", "-sequence", "flagged", "-delete"]);
    noop_until(&mut b, &mut m, |m| !has(m.flags_of(uid3), "\\Flagged"));
    tree.nmh("mark", &["+inbox", "1-2", "-sequence", "todo"]);
    let seen = noop_until(&mut b, &mut m, |m| has(m.flags_of(m.uids[1]), "todo"));
    assert!(
        seen.iter()
            .any(|r| r.word(1) == "FLAGS" && r.text().contains("todo")),
        "a new keyword comes with a new FLAGS response: {seen:?}"
    );
    m.check(&mut b);
    b.logout();
}

/// Writes `count` self-naming messages whose date order and subject order
/// differ, so that `sortm` by date and by subject both renumber; with a
/// `.mh_sequences` file when `sequences` (nmh then locks it while it
/// renames, and so does the engine while it reads the directory).
fn racing_folder(count: u32, sequences: bool) -> MhTree {
    let tree = MhTree::new();
    if sequences {
        tree.write_sequences("inbox", &format!("unseen: 2-{}\n", count * 2));
    }
    for n in 1..=count {
        // Subjects sort as n ascending, dates as n descending.
        let id = format!("r{n:03}");
        tree.write_msg("inbox", n * 2, self_naming(&id, count - n));
    }
    tree
}

/// Checks one FETCH response: the body served under a UID is that UID's
/// message. Returns whether a body was served.
#[track_caller]
fn check_body(f: &common::Fetch, ids: &BTreeMap<u32, String>) -> bool {
    let uid = f.uid();
    let want = ids.get(&uid).unwrap_or_else(|| panic!("unknown UID {uid}"));
    let body = f.get("BODY[]").text();
    if body.is_empty() {
        return false;
    }
    assert!(
        body.contains(&format!("body-of {want}")),
        "UID {uid} ({want}) served another message:\n{body}"
    );
    true
}

#[test]
fn fetch_racing_pack_and_sortm_never_serves_another_message() {
    race(true, 20);
}

/// The same in a folder without `.mh_sequences`, where neither nmh nor
/// the engine takes a lock: a sync reading the directory while sortm
/// renames must not miss a message and give it a new UID (the sync reads
/// such a folder until two reads agree).
#[test]
fn fetch_racing_sortm_without_a_sequences_file() {
    for _ in 0..5 {
        race(false, 40);
    }
}

fn race(sequences: bool, rounds: u32) {
    let tree = racing_folder(30, sequences);
    let mut c = tree.client();
    c.select("INBOX");
    let ids = ids_by_uid(&mut c);
    assert_eq!(ids.len(), 30);
    let running = AtomicBool::new(true);
    let (mut served, mut refused, mut sorts) = (0u32, 0u32, 0u32);
    std::thread::scope(|s| {
        // nmh renumbers for as long as the client fetches.
        let nmh = s.spawn(|| {
            let mut runs = 0;
            while running.load(Ordering::SeqCst) {
                tree.nmh("folder", &["+inbox", "-pack"]);
                tree.nmh("sortm", &["+inbox"]);
                tree.nmh("sortm", &["+inbox", "-textfield", "subject"]);
                runs += 2;
            }
            runs
        });
        let stop = conc_util::StopOnDrop(&running);
        for _round in 0..rounds {
            for &uid in ids.keys() {
                let r = c.cmd(&format!("UID FETCH {uid} (UID BODY.PEEK[])"));
                if r.status() != "OK" {
                    refused += 1;
                    continue;
                }
                for (_, f) in r.fetches() {
                    served += u32::from(check_body(&f, &ids));
                }
            }
            let r = c.cmd("FETCH 1:* (UID BODY.PEEK[])");
            for (_, f) in r.fetches() {
                served += u32::from(check_body(&f, &ids));
            }
        }
        drop(stop);
        sorts = nmh.join().expect("nmh loop");
    });
    assert!(served > 0, "nothing served");
    // No message was removed: once the renumbering stops, every UID is
    // served again, with its own bytes.
    let r = c.ok("UID FETCH 1:* (UID BODY.PEEK[])");
    let mut all = 0;
    for (_, f) in r.fetches() {
        assert!(check_body(&f, &ids), "UID {} empty after the race", f.uid());
        all += 1;
    }
    assert_eq!(all, 30);
    assert!(
        r.numbered("EXPUNGE").is_empty(),
        "renumbering expunged: {r}"
    );
    eprintln!("race: {served} bodies checked, {refused} refusals, {sorts} sortm runs");
    c.logout();
}
