//! Issue 3, IDLE: an idling session learns at once of nmh's changes
//! (`inc`, `rmm`, `refile`, `mark`, `sortm`) and of other sessions'
//! commits, with inotify and, when it is switched off
//! (`ASIMAP_NO_INOTIFY=1`, the same path as running out of inotify
//! instances), through the data_version poll and the periodic rescan.
//! Timing never decides: each test waits for the responses it needs.

mod common;
mod conc_util;

use common::{MhTree, mbox};
use conc_util::{Conn, EnvClient, Model, assert_expunges_first, idle_until, start_idle, stop_idle};

fn has(flags: &[String], flag: &str) -> bool {
    flags.iter().any(|f| f == flag)
}

/// Runs the same script of outside changes against an idling session and
/// checks each arrives, in order, and the view ends equal to the server's.
fn nmh_changes_reach(tree: &MhTree, c: &mut impl Conn) {
    c.ok_cmd("SELECT INBOX");
    let mut m = Model::load(c);
    let (uid1, uid2) = (m.uids[0], m.uids[1]);
    start_idle(c, "i1");

    tree.nmh("mark", &["+inbox", "1", "-sequence", "flagged"]);
    idle_until(c, &mut m, |m| has(m.flags_of(uid1), "\\Flagged"));

    tree.inc_mbox("inbox", &mbox(&["idle-inc"]));
    idle_until(c, &mut m, |m| m.uids.len() == 4);

    tree.nmh("rmm", &["+inbox", "2"]);
    let seen = idle_until(c, &mut m, |m| !m.uids.contains(&uid2));
    assert_expunges_first(&seen);

    tree.nmh("refile", &["-src", "+other", "1", "+inbox"]);
    idle_until(c, &mut m, |m| m.uids.len() == 4);

    // Invisible: no EXPUNGE, no EXISTS; the model would fail on either
    // being wrong, and the check below on a changed UID.
    tree.nmh("folder", &["+inbox", "-pack"]);
    tree.nmh("sortm", &["+inbox"]);
    let expunged = m.expunged.len();
    let r = stop_idle(c, &mut m, "i1");
    assert_eq!(m.expunged.len(), expunged, "pack or sortm expunged: {r}");
    m.check(c);
}

fn tree() -> MhTree {
    let tree = MhTree::new();
    tree.fill("inbox", 3);
    tree.write_msg("other", 1, common::simple_message("o1", "O1", "x\n"));
    tree.write_sequences("inbox", "unseen: 1-3\n");
    tree
}

#[test]
fn idle_with_inotify_sees_inc_rmm_refile_and_mark() {
    let tree = tree();
    let mut c = tree.client();
    nmh_changes_reach(&tree, &mut c);
    c.logout();
}

#[test]
fn idle_without_inotify_falls_back_to_polling() {
    let tree = tree();
    let mut c = EnvClient::start(&tree, &[("ASIMAP_NO_INOTIFY", "1")]);
    nmh_changes_reach(&tree, &mut c);
    assert!(
        c.log().contains("ASIMAP_NO_INOTIFY set"),
        "the switch was not read:\n{}",
        c.log()
    );
    c.logout();
}

/// Another session's STORE, APPEND and EXPUNGE reach an idling session.
fn session_changes_reach(tree: &MhTree, c: &mut impl Conn) {
    c.ok_cmd("SELECT INBOX");
    let mut m = Model::load(c);
    let uid3 = m.uids[2];
    start_idle(c, "i1");
    let mut a = tree.client();
    a.select("INBOX");
    a.ok("STORE 3 +FLAGS (\\Answered $Later)");
    idle_until(c, &mut m, |m| has(m.flags_of(uid3), "$Later"));
    let msg = common::simple_message("from-a", "A", "x\n");
    a.append("INBOX", "", msg.as_bytes()).ok();
    idle_until(c, &mut m, |m| m.uids.len() == 4);
    a.ok("STORE 3 +FLAGS (\\Deleted)");
    a.ok("EXPUNGE");
    idle_until(c, &mut m, |m| !m.uids.contains(&uid3));
    stop_idle(c, &mut m, "i1");
    m.check(c);
    a.logout();
}

#[test]
fn idle_sees_other_sessions_with_inotify() {
    let tree = tree();
    let mut c = tree.client();
    session_changes_reach(&tree, &mut c);
    c.logout();
}

#[test]
fn idle_sees_other_sessions_without_inotify() {
    let tree = tree();
    let mut c = EnvClient::start(&tree, &[("ASIMAP_NO_INOTIFY", "1")]);
    session_changes_reach(&tree, &mut c);
    c.logout();
}

#[test]
fn idle_ends_cleanly_after_many_changes() {
    // A burst of 30 inc runs while idling: every message is announced,
    // EXISTS only grows, and DONE still ends IDLE with OK.
    let tree = tree();
    let mut c = tree.client();
    c.select("INBOX");
    let mut m = Model::load(&mut c);
    start_idle(&mut c, "i1");
    for k in 0..30 {
        tree.inc_mbox("inbox", &mbox(&[&format!("burst{k}")]));
    }
    idle_until(&mut c, &mut m, |m| m.uids.len() == 33);
    stop_idle(&mut c, &mut m, "i1");
    m.check(&mut c);
    c.logout();
}
