//! IDLE through the real asimap-stdio: continuation, DONE, and changes
//! made elsewhere reported while idling.

mod common;

use common::MhTree;

#[test]
fn idle_is_acknowledged_and_done_ends_it_with_ok() {
    let tree = MhTree::new();
    tree.fill("inbox", 1);
    let mut c = tree.client();
    c.select("INBOX");
    c.send("i1 IDLE\r\n");
    let cont = c.read_resp();
    assert!(
        cont.is_continuation(),
        "IDLE must answer +, got {:?}",
        cont.text()
    );
    c.send("DONE\r\n");
    c.read_reply("i1").ok();
    c.ok("NOOP");
    c.logout();
}

#[test]
fn idle_in_a_scripted_session_reads_done_from_the_file() {
    let tree = MhTree::new();
    let t = tree.run_script("a0 SELECT INBOX\r\na1 IDLE\r\nDONE\r\na2 NOOP\r\na3 LOGOUT\r\n");
    t.reply("a1").ok();
    assert_eq!(t.reply("a1").continuations.len(), 1);
    t.reply("a2").ok();
}

#[test]
fn done_in_lower_case_also_ends_idle() {
    let tree = MhTree::new();
    let mut c = tree.client();
    c.select("INBOX");
    c.send("i1 IDLE\r\n");
    assert!(c.read_resp().is_continuation());
    c.send("done\r\n");
    c.read_reply("i1").ok();
    c.logout();
}

#[test]
fn idle_reports_a_message_appended_by_another_session() {
    // Issue 3: cross-session updates arrive during IDLE.
    let tree = MhTree::new();
    tree.fill("inbox", 1);
    let mut idler = tree.client();
    idler.select("INBOX");
    idler.send("i1 IDLE\r\n");
    assert!(idler.read_resp().is_continuation());
    let mut other = tree.client();
    other
        .append(
            "INBOX",
            "",
            common::simple_message("new", "New", "x\n").as_bytes(),
        )
        .ok();
    other.logout();
    let r = idler.read_resp();
    assert_eq!(
        r.numbered(),
        Some((2, "EXISTS".to_string())),
        "{:?}",
        r.text()
    );
    idler.send("DONE\r\n");
    idler.read_reply("i1").ok();
    idler.logout();
}

#[test]
fn idle_reports_an_nmh_mark_as_fetch_flags() {
    // Issue 3 and pitfall 7: mark changes only .mh_sequences.
    let tree = MhTree::new();
    tree.fill("inbox", 2);
    tree.write_sequences("inbox", "unseen: 1-2\n");
    let mut idler = tree.client();
    idler.select("INBOX");
    idler.send("i1 IDLE\r\n");
    assert!(idler.read_resp().is_continuation());
    tree.nmh("mark", &["+inbox", "2", "-sequence", "flagged"]);
    let r = idler.read_resp();
    let (n, f) = r
        .fetch()
        .unwrap_or_else(|| panic!("expected FETCH, got {:?}", r.text()));
    assert_eq!(n, 2);
    assert!(f.flags().contains(&"\\Flagged".to_string()));
    idler.send("DONE\r\n");
    idler.read_reply("i1").ok();
    idler.logout();
}
