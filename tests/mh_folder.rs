//! Folder discovery, creation, deletion and renaming, checked against
//! nmh's own view of the tree.

mod mh_util;

use std::os::unix::fs::{PermissionsExt, symlink};

use asimap::mh::folder::{self, FolderEntry};
use asimap::mh::{FolderName, MhError};
use mh_util::Lab;

fn name(s: &str) -> FolderName {
    FolderName::new(s).unwrap()
}

fn names(list: &[FolderEntry]) -> Vec<&str> {
    list.iter().map(|e| e.name.as_str()).collect()
}

/// A tree with hidden, all-digit, symlinked and oddly named folders.
fn tree(lab: &Lab) {
    for dir in [
        "a/b/c",
        "a-x",
        "ab",
        "z/in-z",
        "with space",
        ".hidden/sub",
        "123",
        "a/45",
    ] {
        std::fs::create_dir_all(lab.folder(dir)).unwrap();
    }
    std::fs::write(lab.folder("a/notadir"), "x").unwrap();
    symlink(lab.folder("z"), lab.folder("link")).unwrap();
}

#[test]
fn list_matches_flist_and_follows_symlinks() {
    let lab = Lab::new();
    tree(&lab);
    let list = folder::list(&lab.profile()).unwrap();
    let expected = [
        "a",
        "a-x",
        "a/b",
        "a/b/c",
        "ab",
        "link",
        "link/in-z",
        "with space",
        "z",
        "z/in-z",
    ];
    assert_eq!(names(&list), expected);
    let parents: Vec<&str> = list
        .iter()
        .filter(|e| e.has_children)
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(parents, ["a", "a/b", "link", "z"]);
    // flist skips the same names but does not descend into a symlinked
    // folder; `folders -recurse` does descend but lists dot and digit names.
    let flist = lab.nmh("flist", &["-all", "-recurse", "-fast"]);
    let ours_top: Vec<&str> = expected
        .iter()
        .copied()
        .filter(|n| !n.starts_with("link/"))
        .collect();
    assert_eq!(flist.lines().collect::<Vec<_>>(), ours_top);
    let folders = lab.nmh("folders", &["-fast", "-recurse"]);
    let mut shown: Vec<&str> = folders
        .lines()
        .filter(|n| {
            n.split('/')
                .all(|c| !c.starts_with('.') && !c.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    shown.sort_unstable();
    assert_eq!(shown, expected, "same set as folders -recurse");
}

#[test]
fn list_survives_a_symlink_loop() {
    let lab = Lab::new();
    tree(&lab);
    symlink(lab.folder("a"), lab.folder("a/b/up")).unwrap();
    symlink(lab.mail(), lab.folder("root")).unwrap();
    symlink("self", lab.folder("self")).unwrap();
    let list = folder::list(&lab.profile()).unwrap();
    assert_eq!(
        names(&list),
        [
            "a",
            "a-x",
            "a/b",
            "a/b/c",
            "ab",
            "link",
            "link/in-z",
            "with space",
            "z",
            "z/in-z"
        ]
    );
}

#[test]
fn list_honours_flist_order() {
    let lab = Lab::with_profile("Flist-Order: z* * a*\n");
    tree(&lab);
    let list = folder::list(&lab.profile()).unwrap();
    let flist = lab.nmh("flist", &["-all", "-recurse", "-fast", "-noalpha"]);
    let ours: Vec<&str> = names(&list)
        .into_iter()
        .filter(|n| !n.starts_with("link/"))
        .collect();
    assert_eq!(ours, flist.lines().collect::<Vec<_>>());
    assert_eq!(names(&list)[..2], ["z", "z/in-z"]);
}

#[test]
fn create_makes_parents_with_folder_protect() {
    let lab = Lab::with_profile("Folder-Protect: 0750\n");
    let profile = lab.profile();
    folder::create(&profile, &name("new/sub")).unwrap();
    for dir in ["new", "new/sub"] {
        let mode = std::fs::metadata(lab.folder(dir))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o750, "{dir}");
    }
    let again = folder::create(&profile, &name("new/sub"));
    assert!(matches!(again, Err(MhError::FolderExists(_))), "{again:?}");
    assert!(folder::exists(&profile, &name("new/sub")));
    let out = lab.nmh("folder", &["+new/sub", "-fast"]);
    assert_eq!(out.trim(), "new/sub");
}

#[test]
fn delete_removes_what_rmf_removes_and_keeps_subfolders() {
    let lab = Lab::new();
    let dir = lab.folder_with("del", 3);
    lab.nmh("mark", &["+del", "1", "-sequence", "x"]);
    lab.nmh("rmm", &["+del", "2"]);
    std::fs::write(dir.join(".asimap-tmp.1.2"), "tmp").unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    let profile = lab.profile();

    assert!(
        !folder::delete(&profile, &name("del")).unwrap(),
        "kept for its subfolder"
    );
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["sub"]);
    std::fs::remove_dir(dir.join("sub")).unwrap();
    assert!(folder::delete(&profile, &name("del")).unwrap());
    assert!(!dir.exists());
    let missing = folder::delete(&profile, &name("del"));
    assert!(matches!(missing, Err(MhError::NoFolder(_))), "{missing:?}");

    let target = lab.folder_with("target", 2);
    symlink(&target, lab.folder("alias")).unwrap();
    assert!(folder::delete(&profile, &name("alias")).unwrap());
    assert!(!lab.folder("alias").exists() && target.join("2").exists());

    let foreign = lab.folder_with("keep", 1);
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    assert!(!folder::delete(&profile, &name("keep")).unwrap());
    assert!(foreign.join("notes.txt").exists() && !foreign.join("1").exists());
}

#[test]
fn rename_moves_the_subtree_and_never_replaces() {
    let lab = Lab::new();
    lab.folder_with("old", 2);
    lab.folder_with("old/child", 1);
    lab.folder_with("taken", 0);
    let profile = lab.profile();

    folder::rename(&profile, &name("old"), &name("deep/new")).unwrap();
    assert!(!lab.folder("old").exists());
    let scan = lab.nmh("scan", &["+deep/new/child", "-format", "%(msg)"]);
    assert_eq!(scan.trim(), "1");

    let taken = folder::rename(&profile, &name("deep/new"), &name("taken"));
    assert!(matches!(taken, Err(MhError::FolderExists(_))), "{taken:?}");
    let inside = folder::rename(&profile, &name("deep"), &name("deep/new/x"));
    assert!(matches!(inside, Err(MhError::BadName(_))), "{inside:?}");
    let missing = folder::rename(&profile, &name("nope"), &name("other"));
    assert!(matches!(missing, Err(MhError::NoFolder(_))), "{missing:?}");
    assert_eq!(
        lab.nmh("scan", &["+deep/new", "-format", "%(msg)"])
            .lines()
            .count(),
        2
    );
}

#[test]
fn folder_names_are_refused_as_the_issue_lists() {
    for bad in [
        "", "..", ".", "../x", "a/..", "/etc", "a//b", ".hid", "a/.b", "42", "2024", "a/7", "x\0y",
        "a/",
    ] {
        let err = FolderName::new(bad);
        assert!(matches!(err, Err(MhError::BadName(_))), "{bad:?}: {err:?}");
    }
    for good in ["inbox", "a/b", "x.y", "Sent Items", "Ärger", "a,b", "1a"] {
        let ok = FolderName::new(good);
        assert!(ok.is_ok(), "{good:?}: {ok:?}");
    }
}
