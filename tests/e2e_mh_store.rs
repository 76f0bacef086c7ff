//! The MH store as asimap-stdio sees it: which directory entries are
//! messages, symlinked folders, the profile keys that shape files on disk
//! (Msg-Protect, Folder-Protect, rmmproc, mh-sequences, Sequence-Negation),
//! UIDs that are never reused (pitfall 4), `\Recent` once per message (12),
//! and INTERNALDATE kept by MOVE (21).

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};

use common::{MhTree, set};

#[test]
fn only_numbered_regular_files_are_messages() {
    let tree = MhTree::new();
    tree.fill("inbox", 2);
    let dir = tree.folder_path("inbox");
    for name in [",3", "007", "5~", "abc", "0", ".tmp1", "#4"] {
        fs::write(
            dir.join(name),
            common::simple_message(name, "Not a message", "x\n"),
        )
        .unwrap();
    }
    fs::create_dir(dir.join("456")).unwrap();
    let mut c = tree.client();
    let r = c.select("INBOX");
    assert_eq!(r.numbered("EXISTS"), vec![2], "{r}");
    let all = c.ok("LIST \"\" \"*\"");
    assert!(
        all.list("LIST").iter().all(|e| !e.name.contains("456")),
        "{all}"
    );
    c.logout();
}

#[test]
fn symlinked_folders_are_followed_and_loops_end() {
    let tree = MhTree::new();
    tree.fill("work", 2);
    symlink(tree.folder_path("work"), tree.mail().join("linked")).unwrap();
    symlink(tree.mail(), tree.folder_path("work").join("loop")).unwrap();
    let mut c = tree.client();
    let r = c.ok("LIST \"\" \"*\"");
    let names: Vec<String> = r.list("LIST").into_iter().map(|e| e.name).collect();
    assert!(names.contains(&"linked".to_string()), "{names:?}");
    assert!(names.len() < 50, "a symlink loop was walked: {names:?}");
    let r = c.select("linked");
    assert_eq!(r.numbered("EXISTS"), vec![2]);
    c.logout();
}

#[test]
fn new_files_and_folders_get_the_default_mh_permissions() {
    let tree = MhTree::new();
    let mut c = tree.client();
    c.ok("CREATE fresh");
    let msg = common::simple_message("perm", "Perm", "x\n").replace('\n', "\r\n");
    c.append("fresh", "", msg.as_bytes()).ok();
    c.logout();
    let dir_mode = fs::metadata(tree.folder_path("fresh"))
        .unwrap()
        .permissions()
        .mode();
    let msg_mode = fs::metadata(tree.msg_path("fresh", 1))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o777, 0o700, "Folder-Protect default");
    assert_eq!(msg_mode & 0o777, 0o600, "Msg-Protect default");
}

#[test]
fn msg_protect_and_folder_protect_from_the_profile_are_used() {
    let tree = MhTree::with_profile(
        "Path: Mail\nUnseen-Sequence: unseen\nMsg-Protect: 640\nFolder-Protect: 750\n",
    );
    let mut c = tree.client();
    c.ok("CREATE shared");
    let msg = common::simple_message("perm", "Perm", "x\n").replace('\n', "\r\n");
    c.append("shared", "", msg.as_bytes()).ok();
    c.logout();
    let dir_mode = fs::metadata(tree.folder_path("shared"))
        .unwrap()
        .permissions()
        .mode();
    let msg_mode = fs::metadata(tree.msg_path("shared", 1))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o777, 0o750);
    assert_eq!(msg_mode & 0o777, 0o640);
}

#[test]
fn expunge_runs_the_profiles_rmmproc_in_the_folder() {
    let tree = MhTree::new();
    let script = tree.home().join("trash.sh");
    let log = tree.home().join("rmmproc.log");
    let trash = tree.home().join("trash");
    fs::create_dir(&trash).unwrap();
    fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$(pwd) $*\" >> {log}\nfor n in \"$@\"; do mv \"$n\" {trash}/; done\n",
            log = log.display(),
            trash = trash.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(
        tree.profile_path(),
        format!(
            "Path: Mail\nUnseen-Sequence: unseen\nrmmproc: {}\n",
            script.display()
        ),
    )
    .unwrap();
    tree.fill("inbox", 3);
    let mut c = tree.client();
    c.select("INBOX");
    c.ok("STORE 2 +FLAGS.SILENT (\\Deleted)");
    let r = c.ok("EXPUNGE");
    assert_eq!(r.numbered("EXPUNGE"), vec![2]);
    c.logout();
    let logged = fs::read_to_string(&log).expect("rmmproc was not run");
    let folder = fs::canonicalize(tree.folder_path("inbox")).unwrap();
    assert_eq!(
        logged.trim(),
        format!("{} 2", folder.display()),
        "cwd and arguments"
    );
    assert!(trash.join("2").exists());
    assert_eq!(tree.numbers("inbox"), vec![1, 3]);
}

#[test]
fn the_profiles_mh_sequences_name_is_used() {
    let tree = MhTree::with_profile("Path: Mail\nUnseen-Sequence: unseen\nmh-sequences: .seqs\n");
    tree.fill("inbox", 2);
    fs::write(tree.folder_path("inbox").join(".seqs"), "flagged: 1\n").unwrap();
    let snap = common::snapshot(&tree, "INBOX");
    assert!(
        snap.msg("m1@test").flags.contains(&"\\Flagged".to_string()),
        "{snap:#?}"
    );
    let mut c = tree.client();
    c.select("INBOX");
    c.ok("STORE 2 +FLAGS (\\Flagged)");
    c.logout();
    let text = fs::read_to_string(tree.folder_path("inbox").join(".seqs")).unwrap();
    assert_eq!(
        common::parse_sequences(&text)["flagged"],
        set(&[1, 2]),
        "{text}"
    );
    assert!(
        !tree.sequences_path("inbox").exists(),
        "wrote .mh_sequences anyway"
    );
}

#[test]
fn keywords_never_create_sequences_that_start_with_the_negation_prefix() {
    let tree =
        MhTree::with_profile("Path: Mail\nUnseen-Sequence: unseen\nSequence-Negation: not\n");
    tree.fill("inbox", 1);
    let mut c = tree.client();
    c.select("INBOX");
    c.ok("STORE 1 +FLAGS (notes)");
    c.logout();
    let text = tree.sequences_text("inbox");
    assert!(!text.lines().any(|l| l.starts_with("not")), "{text}");
    tree.nmh("mark", &["+inbox", "-list"]);
    let snap = common::snapshot(&tree, "INBOX");
    assert!(
        snap.msg("m1@test").flags.contains(&"notes".to_string()),
        "{snap:#?}"
    );
}

#[test]
fn append_takes_the_number_after_the_highest_and_touches_no_other_file() {
    let tree = MhTree::new();
    tree.add_simple("inbox", 1, "a");
    tree.add_simple("inbox", 10, "b");
    let before = (tree.read_msg("inbox", 1), tree.read_msg("inbox", 10));
    let mut c = tree.client();
    let msg = common::simple_message("c", "C", "x\n").replace('\n', "\r\n");
    c.append("INBOX", "", msg.as_bytes()).ok();
    c.logout();
    assert_eq!(tree.numbers("inbox"), vec![1, 10, 11]);
    assert_eq!(
        (tree.read_msg("inbox", 1), tree.read_msg("inbox", 10)),
        before
    );
}

#[test]
fn uids_are_never_reused_after_expunge() {
    // Pitfall 4.
    let tree = MhTree::new();
    tree.fill("inbox", 2);
    let msg = |id: &str| common::simple_message(id, "U", "x\n").replace('\n', "\r\n");
    let mut c = tree.client();
    c.select("INBOX");
    let r = c.append("INBOX", "", msg("x1").as_bytes());
    let first: u32 = r
        .code()
        .unwrap()
        .split(' ')
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    c.ok("NOOP");
    c.ok(&format!("UID STORE {first} +FLAGS.SILENT (\\Deleted)"));
    c.ok("EXPUNGE");
    c.logout();
    let mut c = tree.client();
    let r = c.append("INBOX", "", msg("x2").as_bytes());
    let second: u32 = r
        .code()
        .unwrap()
        .split(' ')
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    assert!(second > first, "UID {first} reused or went down: {second}");
    c.logout();
}

#[test]
fn recent_belongs_to_the_first_session_that_sees_a_message() {
    // Pitfall 12.
    let tree = MhTree::new();
    tree.fill("inbox", 2);
    let first = tree.run_script("a1 SELECT INBOX\r\na2 LOGOUT\r\n");
    assert_eq!(first.reply("a1").numbered("RECENT"), vec![2]);
    tree.add_simple("inbox", 3, "m3");
    let second = tree.run_script("a1 SELECT INBOX\r\na2 SEARCH RECENT\r\na3 LOGOUT\r\n");
    assert_eq!(second.reply("a1").numbered("RECENT"), vec![1]);
    assert_eq!(second.reply("a2").search(), vec![3]);
    let third = tree.run_script("a1 SELECT INBOX\r\na2 LOGOUT\r\n");
    assert_eq!(third.reply("a1").numbered("RECENT"), vec![0]);
}

#[test]
fn move_keeps_internaldate() {
    // Pitfall 21.
    let tree = MhTree::new();
    tree.fill("inbox", 1);
    tree.folder("archive");
    tree.set_mtime_secs(&tree.msg_path("inbox", 1), 1772701445);
    let mut c = tree.client();
    c.select("INBOX");
    c.ok("MOVE 1 archive");
    c.logout();
    let mtime = fs::metadata(tree.msg_path("archive", 1)).unwrap().mtime();
    assert_eq!(mtime, 1772701445);
}

#[test]
fn dot_datalocking_leaves_no_lock_file_and_nmh_still_works() {
    let tree = MhTree::with_profile("Path: Mail\nUnseen-Sequence: unseen\ndatalocking: dot\n");
    tree.fill("inbox", 3);
    tree.write_sequences("inbox", "unseen: 1-3\n");
    let mut c = tree.client();
    c.select("INBOX");
    c.ok("STORE 1 +FLAGS (\\Seen \\Flagged)");
    c.ok("STORE 2 +FLAGS.SILENT (\\Deleted)");
    c.ok("EXPUNGE");
    c.logout();
    let names: Vec<String> = fs::read_dir(tree.folder_path("inbox"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.ends_with(".lock") && !n.starts_with(".lk")),
        "lock file left behind: {names:?}"
    );
    assert_eq!(tree.sequence("inbox", "flagged"), set(&[1]));
    tree.nmh("mark", &["+inbox", "3", "-sequence", "flagged"]);
    assert_eq!(tree.sequence("inbox", "flagged"), set(&[1, 3]));
}
