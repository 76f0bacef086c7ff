//! Issue 3, "Updates between sessions": two asimap-stdio processes on one
//! MH tree and one SQLite file. What session A changes (STORE, APPEND,
//! COPY, MOVE, EXPUNGE) reaches session B as untagged FETCH, EXISTS and
//! EXPUNGE, in order, only where RFC 3501 §7 allows (pitfalls 14, 15), and
//! B's view stays equal to what the server says.

mod common;
mod conc_util;

use common::{MhTree, Reply, simple_message};
use conc_util::{Model, assert_expunges_first, noop_until, start_idle, stop_idle};

/// A tree with INBOX of `n` messages and an empty folder `other`; sessions
/// A and B both have INBOX selected; B's model is loaded.
fn two_sessions(n: u32) -> (MhTree, common::Client, common::Client, Model) {
    let tree = MhTree::new();
    tree.fill("inbox", n);
    tree.folder("other");
    let mut a = tree.client();
    a.select("INBOX");
    let mut b = tree.client();
    b.select("INBOX");
    let m = Model::load(&mut b);
    (tree, a, b, m)
}

#[track_caller]
fn assert_no_expunge(r: &Reply, what: &str) {
    assert!(
        r.numbered("EXPUNGE").is_empty(),
        "EXPUNGE during {what}:\n{r}"
    );
}

fn has(flags: &[String], flag: &str) -> bool {
    flags.iter().any(|f| f == flag)
}

#[test]
fn each_change_in_one_session_reaches_the_other() {
    let (_tree, mut a, mut b, mut m) = two_sessions(5);
    let uid1 = m.uids[0];

    // STORE: a FETCH FLAGS, delivered by NOOP.
    a.ok("STORE 1 +FLAGS (\\Flagged $Work)");
    noop_until(&mut b, &mut m, |m| has(m.flags_of(uid1), "\\Flagged"));
    assert!(has(m.flags_of(uid1), "$Work"), "{m:?}");

    // APPEND: an EXISTS, delivered at the end of CHECK.
    let msg = simple_message("appended", "Appended", "x\n");
    a.append("INBOX", "(\\Seen)", msg.as_bytes()).ok();
    let r = b.ok("CHECK");
    m.apply(&r.untagged);
    if m.uids.len() < 6 {
        noop_until(&mut b, &mut m, |m| m.uids.len() == 6);
    }

    // COPY into the same folder: another EXISTS, after a UID FETCH.
    a.ok("COPY 2 INBOX");
    let r = b.ok("UID FETCH 1 UID");
    m.apply(&r.untagged);
    if m.uids.len() < 7 {
        noop_until(&mut b, &mut m, |m| m.uids.len() == 7);
    }
    m.check(&mut b);

    // MOVE out: an EXPUNGE of message 3 in B.
    let uid3 = m.uids[2];
    a.ok("MOVE 3 other");
    let seen = noop_until(&mut b, &mut m, |m| !m.uids.contains(&uid3));
    assert_expunges_first(&seen);

    // STORE \Deleted then EXPUNGE: FETCH FLAGS (maybe) then EXPUNGE.
    let uid4 = m.uids[3];
    a.ok("STORE 4 +FLAGS (\\Deleted)");
    a.ok("EXPUNGE");
    noop_until(&mut b, &mut m, |m| !m.uids.contains(&uid4));
    m.check(&mut b);
    assert_eq!(m.uids.len(), 5);
    a.logout();
    b.logout();
}

#[test]
fn pending_expunges_wait_through_fetch_store_search_and_copy() {
    // Pitfall 15 and RFC 3501 §7.4.1: B has expunges pending (A removed
    // 2 and 4) and a new message; none of B's sequence-number commands may
    // carry an EXPUNGE; NOOP then delivers them, before any later EXISTS.
    let (_tree, mut a, mut b, mut m) = two_sessions(5);
    let gone = [m.uids[1], m.uids[3]];
    a.ok("STORE 2,4 +FLAGS (\\Deleted)");
    a.ok("EXPUNGE");
    let msg = simple_message("late", "Late", "x\n");
    a.append("INBOX", "", msg.as_bytes()).ok();

    let r = b.ok("FETCH 1:* FLAGS");
    assert_no_expunge(&r, "FETCH");
    m.apply(&r.untagged);
    let r = b.ok("STORE 1 +FLAGS (\\Answered)");
    assert_no_expunge(&r, "STORE");
    m.apply(&r.untagged);
    let r = b.ok("SEARCH ALL");
    assert_no_expunge(&r, "SEARCH");
    m.apply(&r.untagged);
    let r = b.cmd("COPY 1 other");
    assert_no_expunge(&r, "COPY");
    m.apply(&r.untagged);
    // Still every number B knows, including the two expunged.
    assert!(m.uids.contains(&gone[0]) && m.uids.contains(&gone[1]));

    let seen = noop_until(&mut b, &mut m, |m| {
        !m.uids.contains(&gone[0]) && !m.uids.contains(&gone[1]) && m.uids.len() == 4
    });
    assert_expunges_first(&seen);
    assert_eq!(m.expunged.len(), 2, "{seen:?}");
    m.check(&mut b);
    a.logout();
    b.logout();
}

#[test]
fn an_idling_session_sees_store_append_and_expunge_in_order() {
    let (_tree, mut a, mut b, mut m) = two_sessions(3);
    let (uid1, uid2) = (m.uids[0], m.uids[1]);
    start_idle(&mut b, "i1");

    a.ok("STORE 1 +FLAGS (\\Flagged)");
    conc_util::idle_until(&mut b, &mut m, |m| has(m.flags_of(uid1), "\\Flagged"));
    let msg = simple_message("idle-new", "New", "x\n");
    a.append("INBOX", "", msg.as_bytes()).ok();
    conc_util::idle_until(&mut b, &mut m, |m| m.uids.len() == 4);
    a.ok("STORE 2 +FLAGS (\\Deleted)");
    a.ok("EXPUNGE");
    let seen = conc_util::idle_until(&mut b, &mut m, |m| !m.uids.contains(&uid2));
    assert_expunges_first(&seen);

    stop_idle(&mut b, &mut m, "i1");
    m.check(&mut b);
    assert_eq!(m.uids.len(), 3);
    a.logout();
    b.logout();
}

#[test]
fn expunge_issued_once_then_empty_data_and_noop_delivers() {
    // RFC 2180 §4.1.3 and RFC 5530, pitfall 16: B still has message 2,
    // which A expunged. The first FETCH of it is NO [EXPUNGEISSUED], a
    // retry gets OK (so a client that loops on FETCH stops), and NOOP
    // delivers the EXPUNGE.
    let (_tree, mut a, mut b, mut m) = two_sessions(3);
    let gone = m.uids[1];
    a.ok("STORE 2 +FLAGS (\\Deleted)");
    a.ok("EXPUNGE");

    let first = b.cmd("FETCH 2 BODY.PEEK[]");
    assert_no_expunge(&first, "FETCH");
    first.expect_status("NO");
    assert_eq!(first.code().as_deref(), Some("EXPUNGEISSUED"), "{first}");

    // A client that keeps retrying instead of sending NOOP: bounded.
    let mut tries = 0;
    let last = loop {
        tries += 1;
        let r = b.cmd("FETCH 2 BODY.PEEK[]");
        assert_no_expunge(&r, "FETCH");
        if r.status() == "OK" || tries == 10 {
            break r;
        }
    };
    assert_eq!(last.status(), "OK", "the FETCH loop never ends: {last}");
    assert_eq!(tries, 1, "more than one refusal");

    // A FETCH that names a live and a gone message: OK, live data intact.
    let r = b.ok("FETCH 1:3 (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
    assert_no_expunge(&r, "FETCH");
    let id1 = r.fetch(1).get("BODY[HEADER.FIELDS (MESSAGE-ID)]").text();
    assert!(id1.contains("m1@test"), "{r}");

    let r = b.ok("NOOP");
    m.apply(&r.untagged);
    assert_eq!(r.numbered("EXPUNGE"), vec![2], "{r}");
    assert!(!m.uids.contains(&gone));
    // After the EXPUNGE the policy starts afresh and old numbers are gone.
    let r = b.ok("UID FETCH 1:* (UID FLAGS)");
    assert_eq!(r.fetches().len(), 2, "{r}");
    m.check(&mut b);
    a.logout();
    b.logout();
}

#[test]
fn uid_commands_may_carry_pending_expunges() {
    // RFC 3501 §7.4.1: UID FETCH, UID STORE, UID SEARCH may report them.
    let (_tree, mut a, mut b, mut m) = two_sessions(4);
    let gone = m.uids[2];
    a.ok("STORE 3 +FLAGS (\\Deleted)");
    a.ok("EXPUNGE");
    let r = b.ok("UID SEARCH ALL");
    m.apply(&r.untagged);
    // The view is brought up to date first: the EXPUNGE comes before the
    // results, which no longer list the UID.
    assert!(!m.uids.contains(&gone), "no EXPUNGE with UID SEARCH:\n{r}");
    assert!(!r.search().contains(&gone), "{r}");
    assert_eq!(r.search().len(), 3, "{r}");
    m.check(&mut b);
    a.logout();
    b.logout();
}

#[test]
fn search_sees_a_message_appended_elsewhere_after_its_exists() {
    let (_tree, mut a, mut b, mut m) = two_sessions(2);
    let msg = b"From: x@example.org\r\nSubject: late\r\n\r\nnew\r\n";
    a.append("INBOX", "", msg).ok();
    let r = b.ok("SEARCH SUBJECT late");
    m.apply(&r.untagged);
    let at = |what: &str, i: usize| r.untagged.iter().position(|u| u.word(i) == what);
    let (exists, search) = (at("EXISTS", 2), at("SEARCH", 1));
    assert!(exists.is_some() && exists < search, "EXISTS first:\n{r}");
    assert_eq!(r.numbered("EXISTS"), vec![3], "{r}");
    assert_eq!(r.search(), vec![3], "{r}");
    m.check(&mut b);
    a.logout();
    b.logout();
}

#[test]
fn three_sessions_interleaving_converge() {
    // A and C change INBOX in turns while B only sends NOOP; B's model,
    // applying every response as a client must, ends equal to the server.
    let tree = MhTree::new();
    tree.fill("inbox", 6);
    let mut a = tree.client();
    a.select("INBOX");
    let mut c = tree.client();
    c.select("INBOX");
    let mut b = tree.client();
    b.select("INBOX");
    let mut m = Model::load(&mut b);
    for round in 0..6 {
        let msg = simple_message(&format!("r{round}"), "Round", "x\n");
        a.append("INBOX", "", msg.as_bytes()).ok();
        c.ok(&format!("UID STORE 1:* +FLAGS (kw{round})"));
        c.ok("STORE 1 +FLAGS (\\Deleted)");
        c.ok("EXPUNGE");
        let r = b.ok(if round % 2 == 0 { "NOOP" } else { "CHECK" });
        m.apply(&r.untagged);
        assert_expunges_first(&r.untagged);
    }
    noop_until(&mut b, &mut m, |m| m.uids.len() == 6);
    m.check(&mut b);
    a.logout();
    b.logout();
    c.logout();
}

/// Session A deletes and re-creates `work` (a new UIDVALIDITY) and
/// appends to it; UID 1 now names another message.
fn recreate_work(tree: &MhTree) {
    let mut a = tree.client();
    a.ok("DELETE work");
    a.ok("CREATE work");
    let msg = simple_message("reborn", "Reborn", "x\n");
    a.append("work", "", msg.as_bytes()).ok();
    a.logout();
}

#[test]
fn a_recreated_mailbox_ends_the_other_session_with_bye() {
    // B must not carry on with old UIDs under the new UIDVALIDITY: its
    // message 1 (UID 1) would silently become another message.
    let tree = MhTree::new();
    tree.fill("work", 3);
    let mut b = tree.client();
    b.select("work");
    recreate_work(&tree);
    let r = b.cmd("NOOP");
    assert!(!r.untagged("BYE").is_empty(), "no BYE: {r}");
    assert!(r.untagged("FETCH").is_empty(), "old numbers reused: {r}");
    b.close_stdin();
    assert!(b.read_to_end().is_empty(), "output after BYE");
    assert!(b.wait_exit().success());
}

#[test]
fn a_recreated_mailbox_ends_an_idling_session_with_bye() {
    let tree = MhTree::new();
    tree.fill("work", 2);
    let mut b = tree.client();
    b.select("work");
    start_idle(&mut b, "i1");
    recreate_work(&tree);
    let r = b.read_reply("i1");
    assert!(!r.untagged("BYE").is_empty(), "no BYE: {r}");
    b.close_stdin();
    assert!(b.read_to_end().is_empty(), "output after IDLE ended");
    assert!(b.wait_exit().success());
}

#[test]
fn uid_expunge_after_numbers_shifted_by_another_session() {
    // Pitfall 18: A expunged message 1, which B has not heard of yet; B's
    // UID EXPUNGE of the message it knows as 4 must name the right
    // numbers, which the model checks as it applies them.
    let (_tree, mut a, mut b, mut m) = two_sessions(5);
    let (uid1, uid4) = (m.uids[0], m.uids[3]);
    a.ok("STORE 1 +FLAGS (\\Deleted)");
    a.ok("EXPUNGE");
    let r = b.ok("UID STORE 1:* FLAGS (\\Seen)");
    m.apply(&r.untagged);
    let r = b.ok(&format!("UID STORE {uid4} +FLAGS (\\Deleted)"));
    m.apply(&r.untagged);
    let r = b.ok(&format!("UID EXPUNGE {uid4}"));
    m.apply(&r.untagged);
    if m.uids.contains(&uid1) || m.uids.contains(&uid4) {
        noop_until(&mut b, &mut m, |m| {
            !m.uids.contains(&uid1) && !m.uids.contains(&uid4)
        });
    }
    assert_eq!(m.uids.len(), 3);
    m.check(&mut b);
    a.logout();
    b.logout();
}

#[test]
fn sessions_starting_together_on_a_new_state_file_all_open_it() {
    // Each round a new tree: the first process makes the state file,
    // switches it to WAL and creates the schema while the others try the
    // same (SQLite answers some of them "busy" without waiting).
    for _ in 0..6 {
        let tree = std::sync::Arc::new(common::MhTree::new());
        let start = std::sync::Arc::new(std::sync::Barrier::new(8));
        let sessions: Vec<_> = (0..8)
            .map(|_| {
                let (tree, start) = (tree.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    let t = tree.run_script("a SELECT INBOX\r\nb LOGOUT\r\n");
                    t.reply("a").ok();
                })
            })
            .collect();
        for s in sessions {
            s.join().expect("a session failed to start");
        }
    }
}
