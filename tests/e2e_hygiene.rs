//! Protocol and privacy hygiene found by the end-to-end suite: IDLE without
//! a selected mailbox, a private state file, names that are not modified
//! UTF-7.

mod common;

use common::MhTree;

#[test]
fn idle_is_valid_in_the_authenticated_state() {
    // RFC 2177 (command_auth) and RFC 9051 section 6.3: no mailbox needed.
    let tree = MhTree::new();
    let t = tree.run_script("a1 IDLE\r\nDONE\r\na2 NOOP\r\na3 LOGOUT\r\n");
    t.reply("a1").ok();
    assert_eq!(t.reply("a1").continuations.len(), 1);
    t.reply("a2").ok();
}

#[test]
fn the_state_file_is_readable_by_its_owner_only() {
    // It caches envelopes (subjects, addresses) of the user's mail.
    use std::os::unix::fs::PermissionsExt;
    let tree = MhTree::new();
    tree.fill("inbox", 1);
    tree.run_script("a1 SELECT INBOX\r\na2 FETCH 1 ENVELOPE\r\na3 LOGOUT\r\n");
    for suffix in ["", "-wal", "-shm"] {
        let path = tree.mail().join(format!(".asimap.sqlite{suffix}"));
        if let Ok(meta) = std::fs::metadata(&path) {
            let mode = meta.permissions().mode() & 0o777;
            assert_eq!(mode & 0o077, 0, "{} has mode {mode:o}", path.display());
        }
    }
}

#[test]
fn invalid_modified_utf7_names_are_refused() {
    // RFC 3501 5.1.3: "&Jjo" is unterminated; "&AGE-" encodes a printable
    // ASCII character, which must represent itself. Accepting them creates
    // a folder that LIST shows under another name ("&-Jjo").
    let tree = MhTree::new();
    let mut c = tree.client();
    for name in ["&Jjo", "&AGE-", "&-&"] {
        c.cmd(&format!("CREATE {}", common::quote(name))).refused();
    }
    let r = c.ok("LIST \"\" \"*\"");
    let names: Vec<String> = r.list("LIST").into_iter().map(|e| e.name).collect();
    assert_eq!(names, ["INBOX"], "{r}");
    c.logout();
}

#[test]
fn star_ranges_in_an_empty_mailbox_name_nothing_but_numbers_are_bad() {
    // Another session may empty the mailbox just before `STORE 1:*`; the
    // client cannot know, so a range with `*` is no error. A plain number
    // beyond the mailbox still is (pitfall 19: answered at once).
    let tree = MhTree::new();
    tree.folder("empty");
    let t = tree.run_script(
        "a1 SELECT empty\r\na2 FETCH 1:* FLAGS\r\na3 STORE 1:* +FLAGS (\\Seen)\r\n\
         a4 FETCH 1 FLAGS\r\na5 LOGOUT\r\n",
    );
    t.reply("a1").ok();
    assert!(t.reply("a2").ok().fetches().is_empty());
    t.reply("a3").ok();
    t.reply("a4").expect_status("BAD");
}
