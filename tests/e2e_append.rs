//! Adding and removing messages through the real asimap-stdio: APPEND
//! stores bytes exactly (pitfall 21) with APPENDUID, COPY and MOVE with
//! COPYUID keep INTERNALDATE, EXPUNGE and UID EXPUNGE (18), CLOSE, UNSELECT,
//! EXAMINE read-only (17), no renumbering of the folder (6).

mod common;

use std::fs;
use std::os::unix::fs::MetadataExt;

use common::{Client, MhTree, apply_expunges, set};

fn crlf_message(id: &str) -> Vec<u8> {
    let mut m = common::simple_message(id, "Appended \u{2713}", "").replace('\n', "\r\n");
    m.push_str("First line \u{e9}t\u{e9}\r\ntrailing space \r\n\r\nlast line without end");
    m.into_bytes()
}

fn uids(c: &mut Client) -> Vec<u32> {
    let r = c.ok("FETCH 1:* UID");
    let mut f = r.fetches();
    f.sort_by_key(|(n, _)| *n);
    f.into_iter().map(|(_, f)| f.uid()).collect()
}

fn parse_code(code: &str, name: &str) -> Vec<String> {
    let words: Vec<String> = code.split(' ').map(str::to_string).collect();
    assert_eq!(words[0], name, "expected [{name} ...], got [{code}]");
    words[1..].to_vec()
}

/// Expands a UID set such as `3:5,8` into numbers.
fn uid_set(s: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for part in s.split(',') {
        match part.split_once(':') {
            Some((a, b)) => {
                let (a, b): (u32, u32) = (a.parse().unwrap(), b.parse().unwrap());
                out.extend(a.min(b)..=a.max(b));
            }
            None => out.push(part.parse().unwrap()),
        }
    }
    out
}

#[test]
fn append_stores_the_bytes_with_crlf_turned_into_lf_and_answers_appenduid() {
    // Pitfall 21.
    let tree = MhTree::new();
    tree.fill("inbox", 2);
    let mut c = tree.client();
    let uidvalidity = c.select("INBOX").ok_code_number("UIDVALIDITY");
    let msg = crlf_message("ap1");
    let r = c.append("INBOX", "", &msg);
    r.ok();
    let code = r.code().expect("APPENDUID code");
    let words = parse_code(&code, "APPENDUID");
    assert_eq!(words[0].parse::<u64>().unwrap(), uidvalidity);
    let uid: u32 = words[1].parse().unwrap();
    let want = String::from_utf8(msg.clone())
        .unwrap()
        .replace("\r\n", "\n");
    assert_eq!(tree.read_msg("inbox", 3), want.as_bytes());
    c.ok("NOOP");
    let r = c.ok("FETCH 3 (UID RFC822.SIZE BODY.PEEK[])");
    let f = r.fetch(3);
    assert_eq!(f.uid(), uid);
    assert_eq!(f.get("BODY[]").bytes(), msg.as_slice());
    assert_eq!(f.get("RFC822.SIZE").num() as usize, msg.len());
    c.logout();
    let leftovers: Vec<String> = fs::read_dir(tree.folder_path("inbox"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n != ".mh_sequences")
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left behind: {leftovers:?}"
    );
}

#[test]
fn append_with_flags_and_date_sets_sequences_and_mtime() {
    let tree = MhTree::new();
    let mut c = tree.client();
    let r = c.append(
        "INBOX",
        "(\\Seen \\Flagged) \" 7-Feb-2026 10:11:12 +0100\"",
        &crlf_message("a"),
    );
    r.ok();
    let r = c.append("INBOX", "", &crlf_message("b"));
    r.ok();
    c.select("INBOX");
    let r = c.ok("FETCH 1 INTERNALDATE");
    assert_eq!(
        r.fetch(1).get("INTERNALDATE").text(),
        " 7-Feb-2026 09:11:12 +0000"
    );
    c.logout();
    let mtime = fs::metadata(tree.msg_path("inbox", 1)).unwrap().mtime();
    assert_eq!(mtime, 1770455472, "INTERNALDATE is the file's mtime");
    assert_eq!(tree.sequence("inbox", "flagged"), set(&[1]));
    assert_eq!(
        tree.sequence("inbox", "unseen"),
        set(&[2]),
        "unflagged APPEND is unseen"
    );
}

#[test]
fn append_to_a_missing_mailbox_says_trycreate() {
    let tree = MhTree::new();
    let mut c = tree.client();
    let r = c.append("nosuch", "", &crlf_message("x"));
    r.expect_status("NO");
    assert_eq!(r.code().as_deref(), Some("TRYCREATE"), "{r}");
    assert!(!tree.folder_path("nosuch").exists());
    c.logout();
}

#[test]
fn append_of_zero_bytes_says_no_and_adds_no_file() {
    let tree = MhTree::new();
    tree.fill("inbox", 1);
    let mut c = tree.client();
    let r = c.append("INBOX", "(\\Seen)", b"");
    r.expect_status("NO");
    assert!(r.to_string().contains("zero byte"), "{r}");
    assert!(!tree.msg_path("inbox", 2).exists());
    // The session goes on, and the folder is as it was.
    let r = c.select("INBOX");
    assert_eq!(r.numbered("EXISTS"), vec![1], "{r}");
    c.logout();
}

#[test]
fn copy_answers_copyuid_and_keeps_bytes_and_internaldate() {
    let tree = MhTree::new();
    tree.fill("inbox", 3);
    tree.set_mtime_secs(&tree.msg_path("inbox", 2), 1772701445);
    tree.folder("work");
    let mut c = tree.client();
    c.select("INBOX");
    let src = uids(&mut c);
    let r = c.ok("COPY 2:3 work");
    let words = parse_code(&r.code().expect("COPYUID"), "COPYUID");
    let dst_validity: u64 = words[0].parse().unwrap();
    assert_eq!(uid_set(&words[1]), src[1..3].to_vec());
    let dst_uids = uid_set(&words[2]);
    assert_eq!(dst_uids.len(), 2);
    let r = c.select("work");
    assert_eq!(r.ok_code_number("UIDVALIDITY"), dst_validity);
    assert_eq!(uids(&mut c), dst_uids);
    c.logout();
    assert_eq!(tree.numbers("work"), vec![1, 2]);
    assert_eq!(tree.read_msg("work", 1), tree.read_msg("inbox", 2));
    let mtime = fs::metadata(tree.msg_path("work", 1)).unwrap().mtime();
    assert_eq!(mtime, 1772701445, "COPY keeps INTERNALDATE");
    assert_eq!(
        tree.numbers("inbox"),
        vec![1, 2, 3],
        "COPY left the source alone"
    );
}

#[test]
fn uid_copy_to_a_missing_mailbox_says_trycreate() {
    let tree = MhTree::new();
    tree.fill("inbox", 1);
    let mut c = tree.client();
    c.select("INBOX");
    let r = c.cmd("UID COPY 1:* nosuch");
    r.expect_status("NO");
    assert_eq!(r.code().as_deref(), Some("TRYCREATE"), "{r}");
    c.logout();
}

#[test]
fn move_sends_copyuid_then_expunges_from_the_source() {
    let tree = MhTree::new();
    tree.fill("inbox", 4);
    tree.folder("archive");
    let mut c = tree.client();
    c.select("INBOX");
    let mut src = uids(&mut c);
    let moved = vec![src[1], src[3]];
    let r = c.ok(&format!("UID MOVE {},{} archive", moved[0], moved[1]));
    let mut codes = r.ok_codes();
    codes.extend(r.code());
    let code = codes.into_iter().find(|c| c.starts_with("COPYUID"));
    let code = code.unwrap_or_else(|| panic!("no * OK [COPYUID ...]:\n{r}"));
    let words = parse_code(&code, "COPYUID");
    assert_eq!(uid_set(&words[1]), moved);
    let expunged = r.numbered("EXPUNGE");
    assert_eq!(expunged.len(), 2, "{r}");
    apply_expunges(&mut src, &expunged);
    assert_eq!(uids(&mut c), src);
    let r = c.select("archive");
    assert_eq!(r.numbered("EXISTS"), vec![2]);
    c.logout();
    assert_eq!(common::snapshot(&tree, "archive").messages.len(), 2);
    let left: Vec<String> = common::snapshot(&tree, "INBOX")
        .messages
        .into_keys()
        .collect();
    assert_eq!(left, ["m1@test", "m3@test"]);
}

#[test]
fn expunge_removes_deleted_messages_without_renumbering_the_folder() {
    // Pitfall 6: MH numbers of the survivors stay as they were.
    let tree = MhTree::new();
    tree.fill("inbox", 5);
    tree.write_sequences("inbox", "unseen: 1-5\nflagged: 2 4 5\n");
    let mut c = tree.client();
    c.select("INBOX");
    let mut before = uids(&mut c);
    c.ok("STORE 2,4 +FLAGS.SILENT (\\Deleted)");
    let r = c.ok("EXPUNGE");
    let expunged = r.numbered("EXPUNGE");
    assert_eq!(expunged.len(), 2, "{r}");
    apply_expunges(&mut before, &expunged);
    assert_eq!(uids(&mut c), before);
    c.logout();
    assert_eq!(tree.numbers("inbox"), vec![1, 3, 5]);
    let seqs = tree.sequences("inbox");
    assert_eq!(
        seqs["flagged"],
        set(&[5]),
        "expunged numbers leave every sequence"
    );
    assert_eq!(seqs["unseen"], set(&[1, 3, 5]));
    assert!(seqs.get("Deleted").is_none_or(|s| s.is_empty()), "{seqs:?}");
    tree.scan("inbox");
}

#[test]
fn uid_expunge_after_an_earlier_expunge_removes_only_the_given_uids() {
    // Pitfall 18: sequence numbers have shifted; UID EXPUNGE takes UIDs.
    let tree = MhTree::new();
    tree.fill("inbox", 5);
    let mut c = tree.client();
    c.select("INBOX");
    let mut cur = uids(&mut c);
    c.ok("STORE 1 +FLAGS.SILENT (\\Deleted)");
    let r = c.ok("EXPUNGE");
    apply_expunges(&mut cur, &r.numbered("EXPUNGE"));
    assert_eq!(cur.len(), 4);
    let (keep, drop) = (cur[1], cur[2]);
    c.ok(&format!(
        "UID STORE {keep},{drop} +FLAGS.SILENT (\\Deleted)"
    ));
    let r = c.ok(&format!("UID EXPUNGE {drop}"));
    assert_eq!(r.numbered("EXPUNGE"), vec![3], "{r}");
    apply_expunges(&mut cur, &r.numbered("EXPUNGE"));
    assert_eq!(uids(&mut c), cur);
    let r = c.ok(&format!("UID FETCH {keep} FLAGS"));
    assert!(r.fetches()[0].1.flags().contains(&"\\Deleted".to_string()));
    c.logout();
    assert_eq!(tree.numbers("inbox").len(), 3);
}

#[test]
fn close_expunges_silently_and_unselect_does_not_expunge() {
    let tree = MhTree::new();
    tree.fill("inbox", 3);
    let mut c = tree.client();
    c.select("INBOX");
    c.ok("STORE 1 +FLAGS.SILENT (\\Deleted)");
    let r = c.ok("UNSELECT");
    assert!(r.numbered("EXPUNGE").is_empty(), "{r}");
    assert_eq!(tree.numbers("inbox"), vec![1, 2, 3]);
    c.select("INBOX");
    let r = c.ok("CLOSE");
    assert!(
        r.numbered("EXPUNGE").is_empty(),
        "CLOSE sends no EXPUNGE:\n{r}"
    );
    assert_eq!(tree.numbers("inbox"), vec![2, 3]);
    c.cmd("FETCH 1 FLAGS").refused();
    c.logout();
}

#[test]
fn examine_is_read_only() {
    // Pitfall 17: no STORE, no implicit \Seen, no expunge on CLOSE.
    let tree = MhTree::new();
    tree.fill("inbox", 2);
    tree.write_sequences("inbox", "unseen: 1-2\nDeleted: 2\n");
    let before = tree.sequences_text("inbox");
    let mut c = tree.client();
    let r = c.ok("EXAMINE INBOX");
    assert_eq!(r.code().as_deref(), Some("READ-ONLY"), "{r}");
    c.cmd("STORE 1 +FLAGS (\\Flagged)").expect_status("NO");
    let r = c.ok("FETCH 1 BODY[]");
    for (_, f) in r.fetches() {
        if f.try_get("FLAGS").is_some() {
            assert!(!f.flags().contains(&"\\Seen".to_string()), "{r}");
        }
    }
    c.cmd("EXPUNGE").expect_status("NO");
    c.ok("CLOSE");
    c.logout();
    assert_eq!(tree.numbers("inbox"), vec![1, 2]);
    assert_eq!(tree.sequences_text("inbox"), before);
}

#[test]
fn pipelined_appends_to_the_selected_mailbox_are_announced_once_after_them() {
    let tree = MhTree::new();
    tree.fill("inbox", 2);
    let msg = |i: u32| format!("From: x@example.org\r\nSubject: p{i}\r\n\r\nbody {i}\r\n");
    let mut script = String::from("a SELECT INBOX\r\n");
    for i in 1..=3 {
        let m = msg(i);
        script.push_str(&format!("b{i} APPEND INBOX {{{}+}}\r\n{m}\r\n", m.len()));
    }
    script.push_str("c NOOP\r\nd LOGOUT\r\n");
    let t = tree.run_script(script);
    let mut uids = Vec::new();
    for i in 1..=3 {
        let r = t.reply(&format!("b{i}"));
        r.ok();
        let code = r.code().expect("APPENDUID");
        uids.push(code.rsplit(' ').next().unwrap().parse::<u32>().unwrap());
        // The client has sent more: the update waits for the last command.
        assert!(r.numbered("EXISTS").is_empty(), "{r}");
    }
    assert!(uids.windows(2).all(|w| w[0] < w[1]), "{uids:?}");
    let noop = t.reply("c");
    assert_eq!(noop.numbered("EXISTS"), vec![5], "{noop}");
    assert_eq!(tree.numbers("inbox").len(), 5);
}
