//! Edge cases where a server can lose data or desynchronise a client:
//! RENAME into itself, DELETE of a folder with subfolders, names that need
//! escaping (pitfall 23), long lines inside literals, COPY into the same
//! folder, UIDNEXT after APPEND, group addresses in ENVELOPE, empty folders.

mod common;

use common::{MhTree, crlf, quote, simple_message};

fn tree() -> MhTree {
    let tree = MhTree::new();
    tree.fill("inbox", 2);
    tree.fill("lists", 1);
    tree.fill("lists/rust", 3);
    tree
}

#[test]
fn rename_into_its_own_subtree_is_refused() {
    let tree = tree();
    let mut c = tree.client();
    c.cmd("RENAME lists lists/rust/deeper").expect_status("NO");
    c.cmd("RENAME lists lists/new").expect_status("NO");
    assert_eq!(tree.numbers("lists/rust"), vec![1, 2, 3]);
    assert_eq!(tree.numbers("lists"), vec![1]);
    c.logout();
}

#[test]
fn delete_of_a_folder_with_subfolders_never_removes_the_subfolders() {
    // RFC 3501 6.3.4: either refused, or the messages go and the name stays
    // as \Noselect; the inferior mailboxes are never deleted.
    let tree = tree();
    let mut c = tree.client();
    let r = c.cmd("DELETE lists");
    assert!(r.status() == "OK" || r.status() == "NO", "{r}");
    assert_eq!(
        tree.numbers("lists/rust"),
        vec![1, 2, 3],
        "subfolder lost by DELETE"
    );
    let r = c.select("lists/rust");
    assert_eq!(r.numbered("EXISTS"), vec![3]);
    c.logout();
}

#[test]
fn names_with_quotes_and_backslashes_are_escaped_in_list_and_status() {
    // Pitfall 23.
    let tree = tree();
    let mut c = tree.client();
    c.ok(&format!("CREATE {}", quote("say \"hi\" \\ there")));
    assert!(tree.folder_path("say \"hi\" \\ there").is_dir());
    let r = c.ok("LIST \"\" \"say*\"");
    let entries = r.list("LIST");
    assert_eq!(entries.len(), 1, "{r}");
    assert_eq!(entries[0].name, "say \"hi\" \\ there");
    let r = c.ok(&format!(
        "STATUS {} (MESSAGES)",
        quote("say \"hi\" \\ there")
    ));
    let v = r.untagged("STATUS")[0].values_after(2);
    assert_eq!(v[0].text(), "say \"hi\" \\ there");
    c.logout();
}

#[test]
fn list_matches_inbox_case_insensitively() {
    let tree = tree();
    let mut c = tree.client();
    for pattern in ["INBOX", "inbox", "InBox", "IN*"] {
        let r = c.ok(&format!("LIST \"\" {}", quote(pattern)));
        let names: Vec<String> = r.list("LIST").into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["INBOX"], "LIST \"\" {pattern}");
    }
    c.logout();
}

#[test]
fn a_message_line_longer_than_the_command_limit_is_accepted_in_a_literal() {
    // The 64 KiB limit is for command lines, not for literal contents.
    let tree = MhTree::new();
    let long_line = "x".repeat(200 * 1024);
    let msg = simple_message("long", "Long line", &format!("{long_line}\n")).replace('\n', "\r\n");
    let mut c = tree.client();
    c.append("INBOX", "", msg.as_bytes()).ok();
    c.select("INBOX");
    let r = c.ok("FETCH 1 (RFC822.SIZE BODY.PEEK[])");
    let f = r.fetch(1);
    assert_eq!(f.get("BODY[]").bytes(), msg.as_bytes());
    assert_eq!(f.get("RFC822.SIZE").num() as usize, msg.len());
    c.logout();
}

#[test]
fn a_large_message_is_served_byte_for_byte() {
    let tree = MhTree::new();
    let mut body = String::new();
    for i in 0..60_000 {
        body.push_str(&format!("line {i} of a large message\n"));
    }
    tree.write_msg("inbox", 1, simple_message("big", "Big", &body));
    let t = tree.run_script(
        "a1 EXAMINE INBOX\r\na2 FETCH 1 (RFC822.SIZE BODY.PEEK[] BODY.PEEK[TEXT]<1000000.20>)\r\n\
         a3 NOOP\r\na4 LOGOUT\r\n",
    );
    let f = t.reply("a2").fetch(1);
    let want = crlf(&tree.read_msg("inbox", 1));
    assert_eq!(f.get("BODY[]").bytes(), want.as_slice());
    assert_eq!(f.get("RFC822.SIZE").num() as usize, want.len());
    let text_start = want.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let at = text_start + 1_000_000;
    assert_eq!(f.get("BODY[TEXT]<1000000>").bytes(), &want[at..at + 20]);
    t.reply("a3").ok();
}

#[test]
fn copy_into_the_same_folder_adds_a_message_with_a_new_uid() {
    let tree = tree();
    let mut c = tree.client();
    c.select("INBOX");
    let r = c.ok("COPY 1 INBOX");
    let code = r.code().expect("COPYUID");
    let new_uid: u32 = code.split(' ').nth(3).unwrap().parse().unwrap();
    let mut exists = r.numbered("EXISTS");
    exists.extend(c.ok("NOOP").numbered("EXISTS"));
    assert_eq!(
        exists,
        vec![3],
        "EXISTS after COPY, or at the latest on NOOP"
    );
    let r = c.ok("FETCH 3 UID");
    assert_eq!(r.fetch(3).uid(), new_uid);
    c.logout();
    assert_eq!(tree.numbers("inbox"), vec![1, 2, 3]);
    assert_eq!(tree.read_msg("inbox", 3), tree.read_msg("inbox", 1));
}

#[test]
fn uidnext_follows_appenduid() {
    let tree = tree();
    let mut c = tree.client();
    let msg = simple_message("n", "N", "x\n").replace('\n', "\r\n");
    let r = c.append("lists", "", msg.as_bytes());
    let uid: u64 = r
        .code()
        .unwrap()
        .split(' ')
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    let r = c.ok("STATUS lists (UIDNEXT MESSAGES)");
    let v = r.untagged("STATUS")[0].values_after(2);
    let items: Vec<String> = v[1].as_list().iter().map(|x| x.text()).collect();
    let pos = items
        .iter()
        .position(|x| x.eq_ignore_ascii_case("UIDNEXT"))
        .unwrap();
    assert!(
        items[pos + 1].parse::<u64>().unwrap() > uid,
        "{items:?} after UID {uid}"
    );
    c.logout();
}

#[test]
fn group_addresses_use_the_rfc3501_group_form() {
    let tree = MhTree::new();
    tree.write_msg(
        "inbox",
        1,
        "From: a@example.org\nTo: undisclosed-recipients:;\n\
         Cc: Team: x@example.org, y@example.org;\nMessage-ID: <g@test>\nSubject: g\n\nx\n",
    );
    let t = tree.run_script("a1 EXAMINE INBOX\r\na2 FETCH 1 ENVELOPE\r\na3 LOGOUT\r\n");
    let env = t.reply("a2").fetch(1).get("ENVELOPE").clone();
    let to = env.at(5).as_list().to_vec();
    assert_eq!(to.len(), 2, "group start and end: {to:?}");
    assert!(
        to[0]
            .at(2)
            .text()
            .eq_ignore_ascii_case("undisclosed-recipients")
    );
    assert!(to[0].at(3).is_nil() && to[1].at(2).is_nil() && to[1].at(3).is_nil());
    let cc = env.at(6).as_list().to_vec();
    assert_eq!(cc.len(), 4, "start, two members, end: {cc:?}");
    assert_eq!(cc[1].at(2).text(), "x");
    assert_eq!(cc[1].at(3).text(), "example.org");
}

#[test]
fn an_empty_folder_answers_fetch_search_and_uid_commands() {
    let tree = MhTree::new();
    tree.folder("empty");
    let t = tree.run_script(
        "a1 SELECT empty\r\na2 UID FETCH 1:* FLAGS\r\na3 SEARCH ALL\r\n\
         a4 UID SEARCH ALL\r\na5 EXPUNGE\r\na6 LOGOUT\r\n",
    );
    let r = t.reply("a1");
    r.ok();
    assert_eq!(r.numbered("EXISTS"), vec![0]);
    t.reply("a2").ok();
    assert!(t.reply("a2").fetches().is_empty());
    assert_eq!(t.reply("a3").ok().search(), Vec::<u32>::new());
    assert_eq!(t.reply("a4").ok().search(), Vec::<u32>::new());
    t.reply("a5").ok();
}

#[test]
fn a_parent_folder_that_holds_messages_is_selectable() {
    let tree = tree();
    let mut c = tree.client();
    let r = c.select("lists");
    assert_eq!(r.numbered("EXISTS"), vec![1]);
    c.logout();
}
