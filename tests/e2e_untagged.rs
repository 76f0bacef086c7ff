//! Untagged EXPUNGE and EXISTS caused by nmh while a session has the folder
//! selected: only where RFC 3501 section 7 allows (pitfall 15), in order
//! (14), never an EXISTS below the count (2), and a FETCH of a message
//! removed outside answered at once (16).

mod common;

use common::{MhTree, Reply, apply_expunges};

fn session() -> (MhTree, common::Client, Vec<u32>) {
    let tree = MhTree::new();
    tree.fill("inbox", 4);
    let mut c = tree.client();
    c.select("INBOX");
    let r = c.ok("FETCH 1:* UID");
    let mut f = r.fetches();
    f.sort_by_key(|(n, _)| *n);
    let uids = f.into_iter().map(|(_, f)| f.uid()).collect();
    (tree, c, uids)
}

#[track_caller]
fn assert_no_expunge(r: &Reply, what: &str) {
    assert!(
        r.numbered("EXPUNGE").is_empty(),
        "EXPUNGE during {what}:\n{r}"
    );
}

#[test]
fn no_expunge_during_fetch_store_or_search() {
    // Pitfall 15.
    let (tree, mut c, mut uids) = session();
    tree.nmh("rmm", &["+inbox", "2"]);
    assert_no_expunge(&c.cmd("FETCH 1 FLAGS"), "FETCH");
    assert_no_expunge(&c.cmd("STORE 1 +FLAGS (\\Flagged)"), "STORE");
    assert_no_expunge(&c.cmd("SEARCH ALL"), "SEARCH");
    // RFC 3501 7.4.1 allows EXPUNGE during UID commands and NOOP.
    let mut r = c.ok("UID SEARCH ALL");
    if r.numbered("EXPUNGE").is_empty() {
        r = c.ok("NOOP");
    }
    assert_eq!(r.numbered("EXPUNGE"), vec![2], "{r}");
    apply_expunges(&mut uids, &r.numbered("EXPUNGE"));
    let r = c.ok("FETCH 1:* UID");
    let mut f = r.fetches();
    f.sort_by_key(|(n, _)| *n);
    assert_eq!(
        f.into_iter().map(|(_, f)| f.uid()).collect::<Vec<_>>(),
        uids
    );
    c.logout();
}

#[test]
fn expunges_come_before_exists_and_exists_never_shrinks() {
    // Pitfalls 2, 3 and 14: rmm two, inc one, all before one NOOP.
    let (tree, mut c, mut uids) = session();
    tree.nmh("rmm", &["+inbox", "1", "3"]);
    tree.inc_mbox("inbox", &common::mbox(&["late"]));
    let r = c.ok("NOOP");
    let order: Vec<String> = r.untagged.iter().map(|l| l.word(2)).collect();
    let last_expunge = order.iter().rposition(|w| w == "EXPUNGE");
    let first_exists = order.iter().position(|w| w == "EXISTS");
    if let (Some(e), Some(x)) = (last_expunge, first_exists) {
        assert!(e < x, "EXISTS sent before a pending EXPUNGE:\n{r}");
    }
    let expunged = r.numbered("EXPUNGE");
    assert_eq!(expunged.len(), 2, "{r}");
    apply_expunges(&mut uids, &expunged);
    assert_eq!(r.numbered("EXISTS"), vec![3], "{r}");
    let r = c.ok("FETCH 1:* UID");
    assert_eq!(r.fetches().len(), 3);
    c.logout();
}

#[test]
fn fetch_of_a_message_removed_outside_is_answered_at_once() {
    // Pitfall 16: the session still has number 2; the file is gone.
    let (tree, mut c, _) = session();
    tree.nmh("rmm", &["+inbox", "2"]);
    let r = c.cmd("FETCH 2 BODY.PEEK[]");
    assert!(matches!(r.status().as_str(), "OK" | "NO"), "{r}");
    if r.status() == "NO" {
        assert_eq!(r.code().as_deref(), Some("EXPUNGEISSUED"), "{r}");
    }
    let r = c.ok("NOOP");
    assert_eq!(r.numbered("EXPUNGE"), vec![2], "{r}");
    c.logout();
}

#[test]
fn flag_changes_by_nmh_arrive_as_fetch_on_noop() {
    // Pitfall 7: mark changes only .mh_sequences.
    let (tree, mut c, _) = session();
    tree.nmh("mark", &["+inbox", "3", "-sequence", "flagged"]);
    let r = c.ok("NOOP");
    let f = r.fetch(3);
    assert!(f.flags().contains(&"\\Flagged".to_string()), "{r}");
    c.logout();
}

#[test]
fn stores_from_two_sessions_both_survive() {
    // Pitfall 8: each write is read-modify-write under the lock, never from
    // a stale copy.
    let tree = MhTree::new();
    tree.fill("inbox", 3);
    tree.write_sequences("inbox", "unseen: 1-3\n");
    let mut a = tree.client();
    let mut b = tree.client();
    a.select("INBOX");
    b.select("INBOX");
    a.ok("STORE 1 +FLAGS (\\Flagged)");
    b.ok("STORE 2 +FLAGS (\\Flagged)");
    tree.nmh("mark", &["+inbox", "3", "-sequence", "flagged"]);
    a.ok("STORE 1 +FLAGS (\\Seen)");
    b.ok("STORE 2 +FLAGS (\\Seen)");
    a.logout();
    b.logout();
    assert_eq!(tree.sequence("inbox", "flagged"), common::set(&[1, 2, 3]));
    assert_eq!(tree.sequence("inbox", "unseen"), common::set(&[3]));
}

#[test]
fn another_sessions_store_and_nmh_mark_reach_a_session_on_noop() {
    // Issue 3: FETCH FLAGS for changes made elsewhere, at the latest on NOOP.
    let tree = MhTree::new();
    tree.fill("inbox", 3);
    tree.write_sequences("inbox", "unseen: 1-3\n");
    let mut a = tree.client();
    let mut b = tree.client();
    a.select("INBOX");
    b.select("INBOX");
    a.ok("STORE 1 +FLAGS (\\Flagged)");
    tree.nmh("mark", &["+inbox", "3", "-sequence", "flagged"]);
    let r = b.ok("NOOP");
    let flagged: Vec<u32> = r
        .fetches()
        .into_iter()
        .filter(|(_, f)| f.try_get("FLAGS").is_some())
        .filter(|(_, f)| f.flags().contains(&"\\Flagged".to_string()))
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        flagged,
        vec![1, 3],
        "B not told of A's STORE and nmh's mark:\n{r}"
    );
    a.logout();
    b.logout();
}
