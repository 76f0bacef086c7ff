//! Many folders: LIST and STATUS of every folder work at 1,000+ folders
//! (pitfall 31), and the engine keeps no open file per folder, so a low
//! descriptor limit does not break it (34). Function only, never timing.

mod common;

use std::path::Path;

use common::MhTree;

const PRLIMIT: &str = "/usr/bin/prlimit";

fn many_folders(count: u32) -> MhTree {
    let tree = MhTree::new();
    tree.fill("inbox", 1);
    for i in 0..count {
        let folder = format!("f{:02}/box{i}", i % 40);
        tree.write_msg(
            &folder,
            1,
            common::simple_message(&format!("x{i}"), "x", "x\n"),
        );
        if i % 3 == 0 {
            tree.write_sequences(&folder, "unseen: 1\n");
        }
    }
    tree
}

#[test]
fn list_and_status_of_twelve_hundred_folders() {
    let tree = many_folders(1200);
    let mut script = String::from("a1 LIST \"\" \"*\"\r\n");
    for i in 0..1200 {
        script.push_str(&format!(
            "s{i} STATUS f{:02}/box{i} (MESSAGES UNSEEN)\r\n",
            i % 40
        ));
    }
    script.push_str("z LOGOUT\r\n");
    let t = tree.run_script(script);
    let listed = t.reply("a1").ok().list("LIST");
    assert_eq!(
        listed.len(),
        1 + 40 + 1200,
        "INBOX, 40 parents, 1200 folders"
    );
    for i in 0..1200 {
        let r = t.reply(&format!("s{i}"));
        r.ok();
        let status = r.untagged("STATUS")[0].text();
        let unseen = if i % 3 == 0 { 1 } else { 0 };
        assert!(status.contains(&format!("UNSEEN {unseen}")), "{status}");
        assert!(status.contains("MESSAGES 1"), "{status}");
    }
}

#[test]
fn a_low_descriptor_limit_does_not_break_walking_many_folders() {
    // Pitfall 34: no descriptor held per folder.
    assert!(
        Path::new(PRLIMIT).exists(),
        "{PRLIMIT} (util-linux) is missing"
    );
    let tree = many_folders(300);
    let mut script = String::from("a1 LIST \"\" \"*\"\r\n");
    for i in 0..300 {
        let folder = format!("f{:02}/box{i}", i % 40);
        script.push_str(&format!(
            "s{i} SELECT {folder}\r\nt{i} FETCH 1 (FLAGS BODY.PEEK[])\r\n"
        ));
        script.push_str(&format!("u{i} STORE 1 +FLAGS (\\Flagged)\r\n"));
    }
    script.push_str("z LOGOUT\r\n");
    let t = tree.run_script_wrapped(&[PRLIMIT, "--nofile=64:64", "--"], &[], script);
    t.reply("a1").ok();
    for i in 0..300 {
        t.reply(&format!("s{i}")).ok();
        t.reply(&format!("t{i}")).ok();
        t.reply(&format!("u{i}")).ok();
    }
    t.reply("z").ok();
}
