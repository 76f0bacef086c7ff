//! Reading the MH profile as nmh does (`mhparam` is the oracle).

mod mh_util;

use std::path::{Path, PathBuf};

use asimap::mh::lock::LockMethod;
use asimap::mh::{Profile, Sequences};
use mh_util::Lab;

/// The value nmh reads for a profile key.
fn mhparam(lab: &Lab, key: &str) -> String {
    lab.run("mhparam", &[key])
        .stdout
        .iter()
        .map(|b| char::from(*b))
        .collect::<String>()
        .trim()
        .to_string()
}

#[test]
fn every_honoured_key_agrees_with_mhparam() {
    let lab = Lab::with_profile(concat!(
        "path: Box\n",
        "UNSEEN-SEQUENCE: unseen\n  new2\n",
        "#: Inbox: commented-out\n",
        "msg-protect: 640\n",
        "Folder-Protect: 0751\n",
        "mh-sequences: .seqs\n",
        "sequence-negation: not\n",
        "datalocking: dot\n",
        "rmmproc: /bin/echo -n\n",
        "Flist-Order: a* *\n",
        "Path: Other\n",
    ));
    let p = lab.profile();
    // The lab's own `Path: Mail` comes first and wins, as in nmh.
    assert_eq!(mhparam(&lab, "path"), "Mail");
    assert_eq!(p.path, lab.home().join("Mail"));
    let unseen = mhparam(&lab, "unseen-sequence");
    assert_eq!(p.unseen, unseen.split_whitespace().collect::<Vec<_>>());
    assert_eq!(p.unseen, ["unseen"], "first Unseen-Sequence wins");
    assert_eq!(format!("{:o}", p.msg_protect), mhparam(&lab, "msg-protect"));
    assert_eq!(
        format!("{:04o}", p.folder_protect),
        mhparam(&lab, "folder-protect")
    );
    assert_eq!(
        p.sequences_file.as_deref(),
        Some(mhparam(&lab, "mh-sequences").as_str())
    );
    assert_eq!(
        p.negation.as_deref(),
        Some(mhparam(&lab, "sequence-negation").as_str())
    );
    assert_eq!(mhparam(&lab, "datalocking"), "dot");
    assert_eq!(p.locking, LockMethod::Dot);
    assert_eq!(
        p.rmmproc.as_deref(),
        Some(mhparam(&lab, "rmmproc").as_str())
    );
    assert_eq!(p.flist_order.join(" "), mhparam(&lab, "flist-order"));
    assert_eq!(mhparam(&lab, "inbox"), "");
    assert_eq!(p.inbox, "inbox");
}

/// A home whose only profile is `text` (no lab defaults).
fn bare(text: &str) -> (tempfile::TempDir, Profile) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".mh_profile"), text).unwrap();
    let p = Profile::load(dir.path(), None, None).unwrap();
    (dir, p)
}

#[test]
fn profile_table() {
    let (h, p) = bare("Path: /abs/Mail\nUNSEEN-sequence: a b\n\tc\nInbox: in\n");
    assert_eq!(p.path, PathBuf::from("/abs/Mail"));
    assert_eq!(p.unseen, ["a", "b", "c"]);
    assert_eq!(p.inbox, "in");
    drop(h);

    let (h, p) = bare("Path: Mail\n");
    assert_eq!(p.path, h.path().join("Mail"));
    assert_eq!(p.unseen, ["unseen"], "absent: unseen");
    assert_eq!(p.sequences_file.as_deref(), Some(".mh_sequences"));
    assert_eq!((p.msg_protect, p.folder_protect), (0o600, 0o700));
    assert_eq!(p.locking, LockMethod::Fcntl);
    assert_eq!((p.negation, p.rmmproc), (None, None));
    assert!(p.flist_order.is_empty());

    let (_h, p) = bare("mh-sequences:\ndatalocking: FLOCK\nMsg-Protect: 9x\nrmmproc:\n");
    assert_eq!(
        p.sequences_file, None,
        "present but empty: no public sequences"
    );
    assert_eq!(p.locking, LockMethod::Flock);
    assert_eq!(p.msg_protect, 0o600, "malformed: default");
    assert_eq!(p.rmmproc, None);

    let (_h, p) = bare("no colon here\n\n#: Path: x\nPath: Real\n");
    assert!(p.path.ends_with("Real"));
}

#[test]
fn mh_env_and_mail_dir_override() {
    let lab = Lab::new();
    let other = lab.home().join("other_profile");
    std::fs::write(&other, "Path: Elsewhere\nInbox: box\n").unwrap();
    let p = Profile::load(lab.home(), Some(&other), None).unwrap();
    assert_eq!(p.path, lab.home().join("Elsewhere"));
    assert_eq!(p.inbox, "box");
    let p = Profile::load(lab.home(), Some(&other), Some(Path::new("/srv/mail"))).unwrap();
    assert_eq!(p.path, PathBuf::from("/srv/mail"));
    let none = tempfile::tempdir().unwrap();
    let p = Profile::load(none.path(), None, None).unwrap();
    assert_eq!(p.path, none.path().join("Mail"), "no profile: defaults");
}

#[test]
fn a_custom_sequence_file_name_is_where_nmh_writes() {
    let lab = Lab::with_profile("mh-sequences: .seqs\n");
    let dir = lab.folder_with("cs", 3);
    lab.nmh("mark", &["+cs", "2", "-sequence", "x"]);
    let path = lab.profile().sequences_path(&dir).unwrap();
    assert_eq!(path, dir.join(".seqs"));
    let (seqs, _) = Sequences::read(&path).unwrap();
    assert!(seqs.get("x").is_some_and(|x| x.contains(&2)));
}
