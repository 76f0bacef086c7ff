//! Protocol hygiene through the real asimap-stdio: BAD with a reason for
//! malformed commands, limits on lines and literals (pitfall 36), LITERAL+,
//! bare LF line ends, CRLF on every tagged reply (37), prompt answers for
//! out-of-range numbers (19).

mod common;

use common::{MhTree, simple_message};

/// Malformed commands, each of which must get a tagged BAD with a reason.
const MALFORMED: &[&str] = &[
    "FROBNICATE",
    "SELECT",
    "SELECT INBOX extra",
    "FETCH 1 (FLAGS",
    "FETCH 0 FLAGS",
    "FETCH 1 NOSUCHATTR",
    "FETCH 1:x FLAGS",
    "STORE 1 +FLAGS",
    "STORE 1 FROB (\\Seen)",
    "SEARCH NOSUCHKEY",
    "SEARCH BEFORE notadate",
    "UID FROB 1",
    "CREATE",
    "LIST \"\"",
    "STATUS INBOX (NOSUCHITEM)",
    "APPEND",
    "COPY 1",
    "NOOP extra",
];

#[test]
fn malformed_commands_get_tagged_bad_with_a_reason_and_the_session_goes_on() {
    let tree = MhTree::new();
    tree.fill("inbox", 2);
    let mut c = tree.client();
    c.select("INBOX");
    for cmd in MALFORMED {
        let r = c.cmd(cmd);
        assert_eq!(r.status(), "BAD", "`{cmd}` should be BAD:\n{r}");
        assert!(
            !r.tagged.human_text().trim().is_empty(),
            "BAD without a reason for `{cmd}`"
        );
        c.ok("NOOP");
    }
    let r = c.ok("FETCH 2 UID");
    assert_eq!(r.fetches().len(), 1);
    c.logout();
}

#[test]
fn malformed_commands_in_a_script_do_not_end_the_session() {
    let tree = MhTree::new();
    let mut script = String::new();
    for (i, cmd) in MALFORMED.iter().enumerate() {
        script.push_str(&format!("b{i} {cmd}\r\n"));
    }
    script.push_str("z1 NOOP\r\nz2 LOGOUT\r\n");
    let t = tree.run_script(script);
    t.reply("z1").ok();
    t.reply("z2").ok();
}

#[test]
fn every_tagged_reply_ends_with_crlf() {
    let tree = MhTree::new();
    tree.fill("inbox", 1);
    let t = tree.run_script(
        "a1 SELECT INBOX\r\na2 FETCH 9 FLAGS\r\na3 FROB\r\na4 SELECT nosuch\r\n\
         a5 FETCH 1 (FLAGS\r\na6 LOGOUT\r\n",
    );
    for r in &t.replies {
        let mut line = r.tagged.raw.clone();
        line.extend_from_slice(b"\r\n");
        let found = t.raw.windows(line.len()).any(|w| w == line.as_slice());
        assert!(found, "tagged reply without CRLF: {:?}", r.tagged.text());
    }
    assert!(t.raw.ends_with(b"\r\n"));
}

#[test]
fn fetch_of_an_out_of_range_number_is_answered_at_once() {
    // Pitfall 19: the answer comes right away, as a tagged NO or BAD.
    let tree = MhTree::new();
    tree.fill("inbox", 2);
    let mut c = tree.client();
    c.select("INBOX");
    c.cmd("FETCH 5 FLAGS").refused();
    c.cmd("FETCH 1:5 FLAGS").refused();
    let r = c.ok("UID FETCH 999 FLAGS");
    assert!(r.fetches().is_empty(), "{r}");
    c.ok("NOOP");
    c.logout();
}

#[test]
fn oversized_synchronizing_literal_is_refused_before_it_is_sent() {
    // Pitfall 36: no "+" continuation; the tagged refusal comes at once.
    let tree = MhTree::new();
    let mut c = tree.client();
    c.send("a1 APPEND INBOX {67108865}\r\n");
    let r = c.read_reply("a1");
    assert!(
        r.continuations.is_empty(),
        "server asked for the oversized literal:\n{r}"
    );
    r.refused();
    c.ok("NOOP");
    assert!(tree.numbers("inbox").is_empty());
    c.logout();
}

#[test]
fn oversized_non_synchronizing_literal_is_discarded_and_never_parsed() {
    // Pitfall 36: the payload is read and thrown away; the commands inside
    // it never run.
    let tree = MhTree::new();
    let mut c = tree.client();
    let line = b"x1 CREATE evil\r\n";
    let size = 64 * 1024 * 1024 + 1;
    let mut payload = Vec::with_capacity(size);
    payload.push(b'x');
    while payload.len() + line.len() <= size {
        payload.extend_from_slice(line);
    }
    payload.resize(size, b'\n');
    c.send(format!("a1 APPEND INBOX {{{size}+}}\r\n"));
    c.send(&payload);
    c.send("\r\na2 NOOP\r\n");
    let r = c.read_reply("a1");
    r.refused();
    c.read_reply("a2").ok();
    let list = c.ok("LIST \"\" \"*\"");
    assert!(list.list("LIST").iter().all(|e| e.name != "evil"), "{list}");
    assert!(!tree.folder_path("evil").exists());
    assert!(tree.numbers("inbox").is_empty());
    c.logout();
}

#[test]
fn literal_plus_append_needs_no_continuation() {
    let tree = MhTree::new();
    let msg = simple_message("lp1", "Literal plus", "body\n").replace('\n', "\r\n");
    let script = format!(
        "a1 APPEND INBOX {{{}+}}\r\n{msg}\r\na2 SELECT {{5+}}\r\nINBOX\r\na3 LOGOUT\r\n",
        msg.len()
    );
    let t = tree.run_script(script);
    let r = t.reply("a1");
    r.ok();
    assert!(
        r.continuations.is_empty(),
        "continuation sent for a {{n+}} literal:\n{r}"
    );
    assert_eq!(t.reply("a2").ok().numbered("EXISTS"), vec![1]);
    assert_eq!(
        tree.read_msg("inbox", 1),
        msg.replace("\r\n", "\n").as_bytes()
    );
}

#[test]
fn synchronizing_literal_gets_a_continuation_request() {
    let tree = MhTree::new();
    tree.fill("inbox", 1);
    let mut c = tree.client();
    c.send("a1 SELECT {5}\r\n");
    let cont = c.read_resp();
    assert!(cont.is_continuation(), "expected +, got {:?}", cont.text());
    c.send("INBOX\r\n");
    assert_eq!(c.read_reply("a1").ok().numbered("EXISTS"), vec![1]);
    c.logout();
}

#[test]
fn bare_lf_ends_a_command_line() {
    let tree = MhTree::new();
    tree.fill("inbox", 2);
    let msg = simple_message("lf1", "Bare LF", "line one\nline two\n");
    let script = format!(
        "a1 SELECT INBOX\na2 FETCH 1:* UID\na3 APPEND INBOX {{{}+}}\n{msg}\na4 LOGOUT\n",
        msg.len()
    );
    let t = tree.run_script(script);
    t.reply("a1").ok();
    assert_eq!(t.reply("a2").ok().fetches().len(), 2);
    t.reply("a3").ok();
    t.reply("a4").ok();
    assert_eq!(tree.read_msg("inbox", 3), msg.as_bytes());
}

#[test]
fn a_line_over_64_kib_is_bad_and_the_session_goes_on() {
    let tree = MhTree::new();
    tree.fill("inbox", 1);
    let mut c = tree.client();
    c.select("INBOX");
    let mut set = String::from("1");
    while set.len() < 70 * 1024 {
        set.push_str(",1");
    }
    let r = c.cmd(&format!("FETCH {set} FLAGS"));
    assert_eq!(r.status(), "BAD", "{}", r.tagged.text());
    c.ok("NOOP");
    c.logout();
}

#[test]
fn a_long_valid_line_under_the_limit_is_accepted() {
    let tree = MhTree::new();
    tree.fill("inbox", 3);
    let mut c = tree.client();
    c.select("INBOX");
    let mut set = String::from("1");
    while set.len() < 30 * 1024 {
        set.push_str(",2,3");
    }
    let r = c.ok(&format!("FETCH {set} UID"));
    let mut seen: Vec<u32> = r.fetches().iter().map(|(n, _)| *n).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen, vec![1, 2, 3]);
    c.logout();
}

#[test]
fn pipelined_commands_are_answered_in_order() {
    let tree = MhTree::new();
    tree.fill("inbox", 3);
    let mut c = tree.client();
    let msg = simple_message("pipe", "Pipelined", "x\n").replace('\n', "\r\n");
    let mut batch = String::from("p0 SELECT INBOX\r\n");
    for i in 1..=40 {
        match i % 4 {
            0 => batch.push_str(&format!("p{i} FETCH 1:* (UID FLAGS)\r\n")),
            1 => batch.push_str(&format!("p{i} NOOP\r\n")),
            2 => batch.push_str(&format!("p{i} SEARCH ALL\r\n")),
            _ => batch.push_str(&format!("p{i} APPEND work {{{}+}}\r\n{msg}\r\n", msg.len())),
        }
    }
    c.ok("CREATE work");
    c.send(batch);
    for i in 0..=40 {
        c.read_reply(&format!("p{i}")).ok();
    }
    c.logout();
    assert_eq!(tree.numbers("work").len(), 10);
}

#[test]
fn end_of_input_inside_a_literal_stores_nothing() {
    let tree = MhTree::new();
    for size in ["{100}", "{100+}"] {
        let mut c = tree.client();
        c.send(format!("a1 APPEND INBOX {size}\r\n"));
        if !size.ends_with("+}") {
            assert!(c.read_resp().is_continuation());
        }
        c.send([b'x'; 50]);
        c.close_stdin();
        c.read_to_end();
        c.wait_exit();
        let entries: Vec<String> = std::fs::read_dir(tree.folder_path("inbox"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != ".mh_sequences")
            .collect();
        assert!(entries.is_empty(), "{size}: left {entries:?}");
    }
}
