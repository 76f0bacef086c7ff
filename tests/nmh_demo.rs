//! The demo MH tree shipped in demo/ is a valid nmh tree: every folder
//! scans, sequences read back as written, and it covers the MIME shapes the
//! README promises.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{MhTree, set};

const FOLDERS: &[&str] = &[
    "inbox",
    "work",
    "lists/rust",
    "drafts",
    "sent",
    "archive/personal",
];

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("demo")
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create copy target");
    for entry in fs::read_dir(from).expect("read demo dir") {
        let entry = entry.expect("demo entry");
        let dst = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &dst);
        } else {
            fs::copy(entry.path(), &dst).expect("copy demo file");
            // A file written this moment may be one inc is still filling.
            common::backdate(&dst);
        }
    }
}

/// A temporary home holding a copy of demo/ with the demo profile.
fn demo_tree() -> MhTree {
    let profile = fs::read_to_string(demo_dir().join("mh_profile")).expect("demo/mh_profile");
    let tree = MhTree::with_profile(&profile);
    copy_tree(&demo_dir().join("Mail"), &tree.mail());
    tree
}

#[test]
fn demo_profile_uses_a_relative_path_and_unseen_sequence() {
    let profile = fs::read_to_string(demo_dir().join("mh_profile")).unwrap();
    assert!(profile.lines().any(|l| l == "Path: Mail"), "{profile}");
    assert!(
        profile.lines().any(|l| l == "Unseen-Sequence: unseen"),
        "{profile}"
    );
}

#[test]
fn every_demo_folder_scans_with_nmh() {
    let tree = demo_tree();
    let mut total = 0;
    for folder in FOLDERS {
        let out = tree.scan(folder);
        let lines = out.lines().count();
        assert_eq!(lines, tree.numbers(folder).len(), "scan +{folder}:\n{out}");
        total += lines;
    }
    assert!(
        total >= 20,
        "the demo should hold about 20 messages, has {total}"
    );
}

#[test]
fn demo_sequences_read_back_through_nmh_mark() {
    let tree = demo_tree();
    let listed = tree.nmh("mark", &["+inbox", "-list"]);
    let parsed = common::parse_sequences(&listed);
    assert_eq!(parsed.get("unseen"), Some(&set(&[6, 7, 8])), "{listed}");
    assert_eq!(parsed.get("flagged"), Some(&set(&[3])), "{listed}");
    assert_eq!(parsed.get("replied"), Some(&set(&[1, 2])), "{listed}");
    assert_eq!(tree.sequences("inbox"), parsed);
    assert_eq!(tree.sequence("drafts", "Draft"), set(&[1]));
}

#[test]
fn demo_has_no_folder_nmh_would_read_as_a_message() {
    let tree = demo_tree();
    let out = tree.nmh("folders", &["-recurse"]);
    let counts: Vec<(String, usize)> = out
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.get(1) == Some(&"has")).then(|| {
                let n = w[2].parse().unwrap_or(0);
                (w[0].trim_end_matches('+').to_string(), n)
            })
        })
        .collect();
    for folder in FOLDERS {
        let n = tree.numbers(folder).len();
        assert!(
            counts.contains(&(folder.to_string(), n)),
            "{folder}: {n} in\n{out}"
        );
    }
    // Parents of subfolders hold no messages: no directory name is numeric.
    assert!(counts.contains(&("archive".to_string(), 0)), "{out}");
    assert!(counts.contains(&("lists".to_string(), 0)), "{out}");
}

#[test]
fn demo_covers_the_mime_shapes_the_readme_promises() {
    let tree = demo_tree();
    let all: Vec<String> = FOLDERS
        .iter()
        .flat_map(|f| tree.numbers(f).into_iter().map(move |n| (*f, n)))
        .map(|(f, n)| String::from_utf8(tree.read_msg(f, n)).expect("demo mail is UTF-8"))
        .collect();
    let has = |needle: &str| all.iter().any(|m| m.contains(needle));
    assert!(has("multipart/alternative"));
    assert!(has("Content-Disposition: attachment"));
    assert!(has("Content-Type: message/rfc822"));
    assert!(has("Subject: =?UTF-8?B?"));
    assert!(has("Subject: =?ISO-8859-1?Q?"));
    assert!(has("Content-Transfer-Encoding: quoted-printable"));
}

#[test]
fn the_engine_serves_the_demo_tree_as_scripts_demo_sh_shows_it() {
    let tree = demo_tree();
    let t = tree.run_script(
        "a1 LIST \"\" \"*\"\r\na2 SELECT INBOX\r\na3 SEARCH UNSEEN\r\n\
         a4 FETCH 5 ENVELOPE\r\na5 STATUS \"lists/rust\" (MESSAGES UNSEEN)\r\na6 LOGOUT\r\n",
    );
    let mut names: Vec<String> = t
        .reply("a1")
        .list("LIST")
        .into_iter()
        .map(|e| e.name)
        .collect();
    names.sort();
    let mut want: Vec<String> = FOLDERS.iter().map(|f| f.to_string()).collect();
    want.extend(["archive".to_string(), "lists".to_string()]);
    want.iter_mut()
        .filter(|f| *f == "inbox")
        .for_each(|f| *f = "INBOX".into());
    want.sort();
    assert_eq!(names, want);
    assert_eq!(t.reply("a2").numbered("EXISTS"), vec![8]);
    assert_eq!(t.reply("a3").search(), vec![6, 7, 8]);
    let env = t.reply("a4").fetch(5);
    assert_eq!(
        env.get("ENVELOPE").at(9).text(),
        "<a7c2e91b-04d3@example.de>"
    );
    let status = t.reply("a5").untagged("STATUS")[0].text();
    assert!(
        status.contains("MESSAGES 5") && status.contains("UNSEEN 3"),
        "{status}"
    );
}
