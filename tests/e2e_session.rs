//! Session basics through the real asimap-stdio: greeting, CAPABILITY,
//! NOOP, LOGOUT, ID, ENABLE, NAMESPACE, the login front end's entry point,
//! scripted sessions from a file, and where the mail root and state live.

mod common;

use std::fs;

use common::{Client, MhTree};

/// Capabilities issue 2 requires, upper-cased.
const REQUIRED: &[&str] = &[
    "IMAP4REV1",
    "IDLE",
    "UIDPLUS",
    "MOVE",
    "UNSELECT",
    "CHILDREN",
    "NAMESPACE",
    "ID",
    "ENABLE",
    "LITERAL+",
    "APPENDLIMIT=67108864",
];

fn words_upper(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| w.to_ascii_uppercase())
        .collect()
}

#[track_caller]
fn assert_caps(caps: &[String]) {
    for want in REQUIRED {
        assert!(
            caps.iter().any(|c| c == want),
            "{want} missing from {caps:?}"
        );
    }
    // Only what works: no login mechanisms in a preauthenticated session.
    for c in caps {
        assert!(
            !c.starts_with("AUTH=") && c != "STARTTLS",
            "{c} advertised in {caps:?}"
        );
    }
}

#[test]
fn greeting_is_preauth_with_a_capability_code() {
    let tree = MhTree::new();
    let c = tree.client();
    let greeting = c.greeting.clone().expect("greeting");
    let code = greeting.code().expect("greeting has a response code");
    let words = words_upper(&code);
    assert_eq!(words[0], "CAPABILITY", "{:?}", greeting.text());
    assert_caps(&words[1..]);
    c.logout();
}

#[test]
fn capability_lists_what_the_greeting_announced() {
    let tree = MhTree::new();
    let mut c = tree.client();
    let code = c
        .greeting
        .as_ref()
        .and_then(|g| g.code())
        .expect("greeting code");
    let mut from_greeting = words_upper(&code)[1..].to_vec();
    let r = c.ok("CAPABILITY");
    let lines = r.untagged("CAPABILITY");
    assert_eq!(lines.len(), 1, "one * CAPABILITY line:\n{r}");
    let mut listed = words_upper(&lines[0].text())[2..].to_vec();
    assert_caps(&listed);
    from_greeting.sort();
    listed.sort();
    assert_eq!(listed, from_greeting);
    c.logout();
}

#[test]
fn noop_and_check_answer_ok() {
    let tree = MhTree::new();
    let mut c = tree.client();
    c.ok("NOOP");
    c.select("INBOX");
    c.ok("NOOP");
    c.ok("CHECK");
    c.logout();
}

#[test]
fn logout_sends_bye_before_the_tagged_ok_and_exits_cleanly() {
    let tree = MhTree::new();
    let t = tree.run_script("a1 LOGOUT\r\na2 NOOP\r\n");
    let r = t.reply("a1");
    r.ok();
    assert_eq!(r.untagged("BYE").len(), 1, "{r}");
    assert!(
        !t.tags().contains(&"a2".to_string()),
        "a command after LOGOUT was run"
    );
    assert_eq!(t.exit_code, Some(0), "log:\n{}", t.log);
}

#[test]
fn scripted_session_from_a_file_runs_every_command_to_the_end() {
    let tree = MhTree::new();
    tree.fill("inbox", 3);
    let script = "a1 CAPABILITY\r\na2 SELECT INBOX\r\na3 FETCH 1:* (UID)\r\n\
                  a4 SEARCH ALL\r\na5 NOOP\r\na6 LOGOUT\r\n";
    let t = tree.run_script(script);
    assert!(t.greeting().is_untagged() && t.greeting().status() == "PREAUTH");
    assert_eq!(t.tags(), ["a1", "a2", "a3", "a4", "a5", "a6"]);
    for r in &t.replies {
        r.ok();
    }
    assert_eq!(t.reply("a3").fetches().len(), 3);
    assert_eq!(t.reply("a4").search(), vec![1, 2, 3]);
    assert_eq!(t.exit_code, Some(0));
}

#[test]
fn end_of_input_without_logout_ends_the_session_after_answering_everything() {
    let tree = MhTree::new();
    let t = tree.run_script("a1 NOOP\r\na2 SELECT INBOX\r\n");
    assert_eq!(t.tags(), ["a1", "a2"], "{}", t.text());
    t.reply("a2").ok();
    assert_eq!(t.exit_code, Some(0), "log:\n{}", t.log);
}

#[test]
fn id_answers_with_an_id_response() {
    let tree = MhTree::new();
    let mut c = tree.client();
    let r = c.ok("ID (\"name\" \"e2e-test\" \"version\" \"1\")");
    assert_eq!(r.untagged("ID").len(), 1, "{r}");
    let r = c.ok("ID NIL");
    assert_eq!(r.untagged("ID").len(), 1, "{r}");
    c.logout();
}

#[test]
fn enable_of_an_unknown_extension_is_ok_and_enables_nothing() {
    let tree = MhTree::new();
    let mut c = tree.client();
    let r = c.ok("ENABLE X-NO-SUCH-EXTENSION");
    for line in r.untagged("ENABLED") {
        assert!(!line.text().contains("X-NO-SUCH"), "{r}");
    }
    c.logout();
}

#[test]
fn namespace_is_one_personal_namespace_with_slash() {
    let tree = MhTree::new();
    let mut c = tree.client();
    let r = c.ok("NAMESPACE");
    let lines = r.untagged("NAMESPACE");
    assert_eq!(lines.len(), 1, "{r}");
    let v = lines[0].values_after(2);
    assert_eq!(v.len(), 3, "{r}");
    let personal = v[0].at(0);
    assert_eq!(personal.at(0).text(), "");
    assert_eq!(personal.at(1).text(), "/");
    assert!(v[1].is_nil() && v[2].is_nil(), "{r}");
    c.logout();
}

#[test]
fn authenticated_entry_point_answers_the_login_tag_without_a_greeting() {
    let tree = MhTree::new();
    tree.fill("inbox", 2);
    let mut c = Client::spawn(&tree, &["--authenticated", "L7", "--imap-user", "sam"]);
    let first = c.read_resp();
    assert_eq!(
        first.tag(),
        b"L7",
        "first output must be the tagged OK: {:?}",
        first.text()
    );
    assert_eq!(first.status(), "OK");
    let code = first.code().expect("OK [CAPABILITY ...]");
    let words = words_upper(&code);
    assert_eq!(words[0], "CAPABILITY");
    assert_caps(&words[1..]);
    let r = c.select("INBOX");
    assert_eq!(r.numbered("EXISTS"), vec![2]);
    c.logout();
}

#[test]
fn commands_needing_a_selected_mailbox_are_refused_before_select() {
    let tree = MhTree::new();
    tree.fill("inbox", 1);
    let mut c = tree.client();
    for cmd in [
        "FETCH 1 FLAGS",
        "STORE 1 +FLAGS (\\Seen)",
        "SEARCH ALL",
        "EXPUNGE",
        "CLOSE",
    ] {
        c.cmd(cmd).refused();
    }
    c.ok("NOOP");
    c.logout();
}

#[test]
fn mail_root_defaults_to_home_mail_without_a_profile() {
    let tree = MhTree::new();
    fs::remove_file(tree.profile_path()).unwrap();
    tree.fill("inbox", 2);
    let mut c = Client::spawn(&tree, &[]);
    let g = c.read_resp();
    assert_eq!(g.status(), "PREAUTH", "{:?}", g.text());
    assert_eq!(c.select("INBOX").numbered("EXISTS"), vec![2]);
    c.logout();
}

#[test]
fn profile_path_and_inbox_keys_choose_the_folders() {
    let tree = MhTree::with_profile("path: Post\nINBOX: in\nUnseen-Sequence: unseen\n");
    tree.write_msg(
        "../Post/in",
        1,
        common::simple_message("p1", "In Post", "x\n"),
    );
    let t = tree.run_script("a1 SELECT INBOX\r\na2 FETCH 1 ENVELOPE\r\na3 LOGOUT\r\n");
    assert_eq!(t.reply("a1").ok().numbered("EXISTS"), vec![1]);
    let env = t.reply("a2").fetch(1);
    assert_eq!(env.get("ENVELOPE").at(1).text(), "In Post");
}

#[test]
fn mail_dir_option_overrides_the_profile() {
    let tree = MhTree::new();
    tree.fill("inbox", 1);
    tree.fill("../Other/inbox", 3);
    let other = tree.home().join("Other");
    let dir = other.to_str().unwrap();
    let t = tree.run_script_args(&["--mail-dir", dir], "a1 SELECT INBOX\r\na2 LOGOUT\r\n");
    assert_eq!(t.reply("a1").ok().numbered("EXISTS"), vec![3]);
    assert!(
        other.join(".asimap.sqlite").exists(),
        "state file defaults to the mail root"
    );
}

#[test]
fn state_file_defaults_to_the_mail_root_and_moves_with_state_option() {
    let tree = MhTree::new();
    tree.fill("inbox", 1);
    tree.run_script("a1 SELECT INBOX\r\na2 LOGOUT\r\n")
        .reply("a1")
        .ok();
    assert!(tree.mail().join(".asimap.sqlite").exists());

    let tree = MhTree::new();
    tree.fill("inbox", 1);
    let state = tree.home().join("state").join("my.sqlite");
    fs::create_dir_all(state.parent().unwrap()).unwrap();
    let args = ["--state", state.to_str().unwrap()];
    tree.run_script_args(&args, "a1 SELECT INBOX\r\na2 LOGOUT\r\n")
        .reply("a1")
        .ok();
    assert!(state.exists(), "--state file not created");
    assert!(
        !tree.mail().join(".asimap.sqlite").exists(),
        "state written to the mail root"
    );
}

#[test]
fn a_trace_switched_on_by_the_control_file_records_and_replays_the_session() {
    // Pitfall 39.
    let tree = MhTree::new();
    tree.fill("inbox", 2);
    fs::write(tree.mail().join(".asimap-trace"), "").unwrap();
    let script = "a1 SELECT INBOX\r\na2 FETCH 1:* (UID FLAGS)\r\na3 LOGOUT\r\n";
    let first = tree.run_script_args(&["--session-id", "e2e1"], script);
    let dir = tree.mail().join(".asimap-traces");
    let sent = fs::read(dir.join("e2e1.in")).expect("client side of the trace");
    let answered = fs::read(dir.join("e2e1.out")).expect("server side of the trace");
    assert_eq!(sent, script.as_bytes());
    assert!(
        common::resp::find(&answered, b"a2 OK").is_some(),
        "{answered:?}"
    );
    let replay = tree.run_script(sent);
    assert_eq!(replay.tags(), first.tags());
    assert_eq!(replay.reply("a2").fetches().len(), 2);

    fs::remove_file(tree.mail().join(".asimap-trace")).unwrap();
    tree.run_script_args(&["--session-id", "e2e2"], script);
    assert!(
        !dir.join("e2e2.in").exists(),
        "traced with the control file removed"
    );
}
