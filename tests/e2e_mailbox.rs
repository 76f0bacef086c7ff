//! Mailbox commands through the real asimap-stdio: LIST and LSUB, CREATE,
//! DELETE, RENAME (pitfalls 28, 29), refused names (27), INBOX as a whole
//! token (26), quoting of names (23), SUBSCRIBE, STATUS.

mod common;

use std::collections::BTreeMap;
use std::fs;

use common::{Client, MhTree, set};

/// A tree with inbox (2 messages), work (1), lists/rust (3), lists/go (0).
fn tree() -> MhTree {
    let tree = MhTree::new();
    tree.fill("inbox", 2);
    tree.fill("work", 1);
    tree.fill("lists/rust", 3);
    tree.folder("lists/go");
    tree
}

fn list(c: &mut Client, reference: &str, pattern: &str) -> BTreeMap<String, Vec<String>> {
    let r = c.ok(&format!(
        "LIST {} {}",
        common::quote(reference),
        common::quote(pattern)
    ));
    let mut out = BTreeMap::new();
    for e in r.list("LIST") {
        assert_eq!(e.delimiter.as_deref(), Some("/"), "{e:?}");
        let attrs = e.attrs.iter().map(|a| a.to_ascii_lowercase()).collect();
        assert!(
            out.insert(e.name.clone(), attrs).is_none(),
            "{} listed twice",
            e.name
        );
    }
    out
}

fn names(m: &BTreeMap<String, Vec<String>>) -> Vec<&str> {
    m.keys().map(String::as_str).collect()
}

#[test]
fn list_star_shows_every_folder_with_children_attributes() {
    let tree = tree();
    let mut c = tree.client();
    let all = list(&mut c, "", "*");
    assert_eq!(
        names(&all),
        ["INBOX", "lists", "lists/go", "lists/rust", "work"]
    );
    assert!(all["lists"].contains(&"\\haschildren".into()), "{all:?}");
    for leaf in ["lists/go", "lists/rust", "work"] {
        assert!(
            all[leaf].contains(&"\\hasnochildren".into()),
            "{leaf}: {all:?}"
        );
    }
    c.logout();
}

#[test]
fn list_percent_stops_at_the_hierarchy_delimiter() {
    let tree = tree();
    let mut c = tree.client();
    assert_eq!(names(&list(&mut c, "", "%")), ["INBOX", "lists", "work"]);
    assert_eq!(
        names(&list(&mut c, "lists/", "%")),
        ["lists/go", "lists/rust"]
    );
    assert_eq!(names(&list(&mut c, "", "lists/r*")), ["lists/rust"]);
    c.logout();
}

#[test]
fn list_with_an_empty_pattern_returns_the_delimiter() {
    let tree = tree();
    let mut c = tree.client();
    let r = c.ok("LIST \"\" \"\"");
    let entries = r.list("LIST");
    assert_eq!(entries.len(), 1, "{r}");
    assert!(entries[0].has("\\Noselect"), "{r}");
    assert_eq!(entries[0].delimiter.as_deref(), Some("/"));
    assert_eq!(entries[0].name, "");
    c.logout();
}

#[test]
fn names_with_spaces_are_quoted_and_non_ascii_names_are_modified_utf7() {
    // Pitfall 23 (quoting) and 27 (modified UTF-7 on the wire).
    let tree = tree();
    tree.folder("Old Mail");
    tree.folder("Entwürfe");
    let mut c = tree.client();
    let r = c.ok("LIST \"\" \"*\"");
    let raw = r
        .untagged
        .iter()
        .map(|l| l.text())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(raw.contains("\"Old Mail\""), "{raw}");
    let all = list(&mut c, "", "*");
    assert!(all.contains_key("Entw&APw-rfe"), "{all:?}");
    c.ok("CREATE \"Caf&AOk- cr&AOg-me\"");
    assert!(tree.folder_path("Café crème").is_dir());
    let r = c.ok("STATUS \"Old Mail\" (MESSAGES)");
    assert!(
        r.untagged("STATUS")[0].text().contains("\"Old Mail\""),
        "{r}"
    );
    c.logout();
}

#[test]
fn create_makes_the_folder_and_its_parents() {
    let tree = tree();
    let mut c = tree.client();
    c.ok("CREATE projects/y2026/q1");
    assert!(tree.folder_path("projects/y2026/q1").is_dir());
    c.ok("SELECT projects/y2026/q1");
    c.ok("CREATE trailing/");
    assert!(tree.folder_path("trailing").is_dir());
    let r = c.cmd("CREATE work");
    assert_eq!(r.status(), "NO", "CREATE of an existing folder:\n{r}");
    c.logout();
}

#[test]
fn names_that_escape_the_root_or_look_like_messages_are_refused() {
    // Pitfall 27: `..`, absolute paths, all digits, a leading dot.
    let tree = tree();
    let mut c = tree.client();
    let bad = [
        "../evil",
        "work/../../evil",
        "/tmp/evil",
        "12345",
        "lists/42",
        ".hidden",
        "work/.x",
    ];
    for name in bad {
        c.cmd(&format!("CREATE {}", common::quote(name))).refused();
        c.cmd(&format!("SELECT {}", common::quote(name))).refused();
        c.cmd(&format!("RENAME work {}", common::quote(name)))
            .refused();
    }
    assert!(!tree.home().join("evil").exists());
    assert!(!tree.folder_path("12345").exists() && !tree.folder_path("lists/42").exists());
    assert!(!tree.folder_path(".hidden").exists());
    assert!(
        tree.folder_path("work").is_dir(),
        "a refused RENAME moved the folder"
    );
    c.ok("NOOP");
    c.logout();
}

#[test]
fn inbox_is_case_insensitive_and_a_whole_token() {
    // Pitfall 26.
    let tree = tree();
    let mut c = tree.client();
    let a = c.ok("SELECT inbox").ok_code_number("UIDVALIDITY");
    let b = c.ok("SELECT InBoX").ok_code_number("UIDVALIDITY");
    assert_eq!(a, b);
    c.ok("CREATE inbox-old");
    let r = c.ok("SELECT inbox-old");
    assert_eq!(
        r.numbered("EXISTS"),
        vec![0],
        "inbox-old is not INBOX:\n{r}"
    );
    c.ok("CREATE INBOX/sub");
    let r = c.ok("SELECT INBOX/sub");
    assert_eq!(
        r.numbered("EXISTS"),
        vec![0],
        "INBOX/sub is not INBOX:\n{r}"
    );
    c.logout();
}

#[test]
fn delete_removes_the_folder_and_refuses_inbox_and_unknown_names() {
    let tree = tree();
    let mut c = tree.client();
    c.ok("DELETE work");
    assert!(!tree.folder_path("work").exists());
    assert!(!list(&mut c, "", "*").contains_key("work"));
    c.cmd("DELETE nosuch").expect_status("NO");
    c.cmd("DELETE INBOX").expect_status("NO");
    c.cmd("DELETE inbox").expect_status("NO");
    assert_eq!(tree.numbers("inbox"), vec![1, 2]);
    c.logout();
}

#[test]
fn rename_moves_subfolders_and_keeps_uidvalidity_and_uids() {
    // Pitfall 28.
    let tree = tree();
    let before = common::snapshot(&tree, "lists/rust");
    let mut c = tree.client();
    c.ok("RENAME lists mylists");
    let all = list(&mut c, "", "*");
    assert!(
        all.contains_key("mylists/rust") && !all.contains_key("lists/rust"),
        "{all:?}"
    );
    c.logout();
    assert!(tree.folder_path("mylists/rust").is_dir() && !tree.folder_path("lists").exists());
    let after = common::snapshot(&tree, "mylists/rust");
    assert_eq!(after.uidvalidity, before.uidvalidity);
    assert_eq!(after.uids(), before.uids());

    let mut c = tree.client();
    c.ok("CREATE lists/rust");
    let fresh = c.ok("SELECT lists/rust").ok_code_number("UIDVALIDITY");
    assert_ne!(
        fresh, before.uidvalidity,
        "a new folder under an old name reused UIDVALIDITY"
    );
    c.logout();
}

#[test]
fn rename_to_an_existing_name_or_from_a_missing_one_is_no() {
    let tree = tree();
    let mut c = tree.client();
    c.cmd("RENAME work lists").expect_status("NO");
    c.cmd("RENAME nosuch other").expect_status("NO");
    assert!(tree.folder_path("work").is_dir());
    c.logout();
}

#[test]
fn rename_inbox_moves_its_messages_and_leaves_inbox_empty() {
    // Pitfall 29.
    let tree = tree();
    let ids: Vec<String> = common::snapshot(&tree, "INBOX")
        .messages
        .into_keys()
        .collect();
    let mut c = tree.client();
    c.ok("RENAME INBOX old-inbox");
    let r = c.ok("SELECT INBOX");
    assert_eq!(r.numbered("EXISTS"), vec![0], "{r}");
    c.logout();
    let moved = common::snapshot(&tree, "old-inbox");
    assert_eq!(moved.messages.keys().cloned().collect::<Vec<_>>(), ids);
    assert!(tree.numbers("inbox").is_empty());
}

#[test]
fn subscribe_and_unsubscribe_drive_lsub() {
    let tree = tree();
    let mut c = tree.client();
    c.ok("SUBSCRIBE work");
    c.ok("SUBSCRIBE lists/rust");
    let r = c.ok("LSUB \"\" \"*\"");
    let mut subscribed: Vec<String> = r.list("LSUB").into_iter().map(|e| e.name).collect();
    subscribed.sort();
    assert_eq!(subscribed, ["lists/rust", "work"]);
    c.ok("UNSUBSCRIBE work");
    let r = c.ok("LSUB \"\" \"*\"");
    let names: Vec<String> = r.list("LSUB").into_iter().map(|e| e.name).collect();
    assert_eq!(names, ["lists/rust"]);
    c.logout();
    // Subscriptions are kept between sessions.
    let t = tree.run_script("a1 LSUB \"\" \"*\"\r\na2 LOGOUT\r\n");
    let names: Vec<String> = t
        .reply("a1")
        .list("LSUB")
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["lists/rust"]);
}

#[test]
fn status_reports_counts_from_the_folder_and_its_sequences() {
    let tree = tree();
    tree.fill("work", 4);
    tree.write_sequences("work", "unseen: 2-3\nflagged: 1\n");
    let mut c = tree.client();
    let r = c.ok("STATUS work (MESSAGES UNSEEN UIDNEXT UIDVALIDITY RECENT)");
    let lines = r.untagged("STATUS");
    assert_eq!(lines.len(), 1, "{r}");
    let v = lines[0].values_after(2);
    assert_eq!(v[0].text(), "work");
    let items: BTreeMap<String, u64> = v[1]
        .as_list()
        .chunks(2)
        .map(|kv| (kv[0].text().to_ascii_uppercase(), kv[1].num()))
        .collect();
    assert_eq!(items["MESSAGES"], 4);
    assert_eq!(items["UNSEEN"], 2);
    let sel = c.select("work");
    assert_eq!(items["UIDNEXT"], sel.ok_code_number("UIDNEXT"));
    assert_eq!(items["UIDVALIDITY"], sel.ok_code_number("UIDVALIDITY"));
    c.cmd("STATUS nosuch (MESSAGES)").expect_status("NO");
    c.logout();
    assert_eq!(
        tree.sequence("work", "unseen"),
        set(&[2, 3]),
        "STATUS changed sequences"
    );
}

#[test]
fn select_reports_exists_flags_uidvalidity_uidnext_and_permanentflags() {
    let tree = tree();
    let mut c = tree.client();
    let r = c.select("lists/rust");
    assert_eq!(r.numbered("EXISTS"), vec![3]);
    assert_eq!(r.untagged("FLAGS").len(), 1, "{r}");
    let codes = r.ok_codes().join(" | ");
    assert!(codes.contains("PERMANENTFLAGS"), "{codes}");
    assert!(codes.contains("\\*"), "keywords may be created: {codes}");
    assert!(r.ok_code_number("UIDVALIDITY") > 0);
    assert!(r.ok_code_number("UIDNEXT") > 3);
    assert_eq!(r.code().as_deref(), Some("READ-WRITE"), "{r}");
    c.cmd("SELECT nosuch").expect_status("NO");
    c.logout();
    assert!(fs::metadata(tree.folder_path("lists/rust")).is_ok());
}

#[test]
fn a_folder_deleted_and_created_again_gets_a_new_uidvalidity() {
    // Pitfall 28: no (UIDVALIDITY, UID) pair may point at another message.
    let tree = tree();
    let before = common::snapshot(&tree, "work");
    let mut c = tree.client();
    c.ok("DELETE work");
    c.ok("CREATE work");
    let msg = common::simple_message("other", "Other", "x\n").replace('\n', "\r\n");
    c.append("work", "", msg.as_bytes()).ok();
    c.logout();
    let after = common::snapshot(&tree, "work");
    assert_ne!(after.uidvalidity, before.uidvalidity);
}

#[test]
fn status_of_the_selected_mailbox_agrees_with_select() {
    let tree = tree();
    let mut c = tree.client();
    let sel = c.select("lists/rust");
    let r = c.ok("STATUS lists/rust (MESSAGES UIDNEXT UIDVALIDITY)");
    let text = r.untagged("STATUS")[0].text();
    assert!(text.contains("MESSAGES 3"), "{text}");
    let validity = sel.ok_code_number("UIDVALIDITY");
    assert!(text.contains(&format!("UIDVALIDITY {validity}")), "{text}");
    c.logout();
}
