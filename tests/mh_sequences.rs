//! `.mh_sequences` against real nmh: what `mark` writes we parse and write
//! back byte for byte; what we write `mark -list` reads; corrupt files.

mod mh_util;

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use asimap::mh::Sequences;
use asimap::mh::lock::LockMethod;
use mh_util::Lab;

const WAIT: Duration = Duration::from_secs(10);

fn set(items: &[u32]) -> BTreeSet<u32> {
    items.iter().copied().collect()
}

/// The message lists used on both sides: singletons, runs, gaps, edges.
fn cases() -> Vec<(&'static str, Vec<u32>)> {
    vec![
        ("single", vec![7]),
        ("pair", vec![3, 4]),
        ("gaps", vec![1, 3, 4, 6, 7, 8, 20]),
        ("odd", (1..=40).step_by(2).collect()),
        ("every", (1..=40).collect()),
        ("edges", vec![1, 2, 39, 40]),
    ]
}

#[test]
fn we_parse_and_rewrite_what_mark_writes_byte_for_byte() {
    let lab = Lab::new();
    let dir = lab.folder_with("sq", 40);
    for (name, members) in cases() {
        let list: Vec<String> = members.iter().map(u32::to_string).collect();
        let mut args = vec!["+sq"];
        args.extend(list.iter().map(String::as_str));
        args.extend(["-sequence", name]);
        lab.nmh("mark", &args);
    }
    lab.nmh("mark", &["+sq", "13", "-sequence", "cur"]);
    let text = std::fs::read(dir.join(".mh_sequences")).unwrap();
    let (seqs, warnings) = Sequences::parse(&text);
    assert!(warnings.is_empty(), "{warnings:?}");
    for (name, members) in cases() {
        assert_eq!(seqs.get(name), Some(&set(&members)), "{name}");
    }
    assert_eq!(seqs.get("cur"), Some(&set(&[13])));
    assert_eq!(
        String::from_utf8_lossy(&seqs.to_text()),
        String::from_utf8_lossy(&text)
    );
}

#[test]
fn mark_reads_what_we_write() {
    let lab = Lab::new();
    let dir = lab.folder_with("sq", 40);
    let path = dir.join(".mh_sequences");
    Sequences::update(&path, LockMethod::Fcntl, WAIT, |s| {
        for (name, members) in cases() {
            for n in members {
                s.add(name, n);
            }
        }
    })
    .unwrap();
    for (name, members) in cases() {
        let listed = lab.nmh("mark", &["+sq", "-list", "-sequence", name]);
        let ours = Sequences {
            entries: vec![(name.to_string(), set(&members))],
        };
        assert_eq!(listed.as_bytes(), ours.to_text(), "{name}");
    }
    // A rewrite by nmh (add and take away again) gives back our bytes.
    let before = std::fs::read(&path).unwrap();
    lab.nmh("mark", &["+sq", "5", "-sequence", "tmp"]);
    lab.nmh("mark", &["+sq", "5", "-sequence", "tmp", "-delete"]);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_long_sequence_stays_on_one_line_as_nmh_writes_it() {
    let lab = Lab::new();
    let dir = lab.folder_with("big", 1500);
    let odd: Vec<String> = (1..=1500).step_by(2).map(|n: u32| n.to_string()).collect();
    let mut args = vec!["+big"];
    args.extend(odd.iter().map(String::as_str));
    args.extend(["-sequence", "odd"]);
    lab.nmh("mark", &args);
    let text = std::fs::read(dir.join(".mh_sequences")).unwrap();
    assert_eq!(text.iter().filter(|b| **b == b'\n').count(), 1);
    let (seqs, _) = Sequences::parse(&text);
    assert_eq!(seqs.get("odd").map(BTreeSet::len), Some(750));
    assert_eq!(seqs.to_text(), text);
}

#[test]
fn continuation_lines_are_joined_like_nmh() {
    let lab = Lab::new();
    let dir = lab.folder_with("cont", 12);
    let text = "foo: 1 2\n 5 7-9\n\t11\ncur: 3 5\n";
    std::fs::write(dir.join(".mh_sequences"), text).unwrap();
    let listed = lab.nmh("mark", &["+cont", "-list", "-sequence", "foo"]);
    let (seqs, warnings) = Sequences::parse(text.as_bytes());
    assert!(warnings.is_empty(), "{warnings:?}");
    let foo = Sequences {
        entries: vec![("foo".into(), seqs.get("foo").unwrap().clone())],
    };
    assert_eq!(listed.as_bytes(), foo.to_text());
    // nmh keeps the last number of `cur: 3 5`; we keep both, and the
    // caller takes the highest, which is the same message.
    assert_eq!(seqs.get("cur").and_then(|c| c.last()), Some(&5));
}

#[test]
fn corrupt_file_is_read_leniently_and_repaired_for_nmh() {
    let lab = Lab::new();
    let dir = lab.folder_with("bad", 10);
    let path = dir.join(".mh_sequences");
    let text = "flagged: 2 4\n\ngarbage line\nfoo: 9-7 0 -3 99999999999 abc 6\nfoo: 3\n";
    std::fs::write(&path, text).unwrap();
    let out = lab.run("mark", &["+bad", "-list"]);
    assert!(!out.status.success(), "nmh should refuse the blank line");
    let (seqs, warnings) = Sequences::read(&path).unwrap();
    assert_eq!(seqs.get("flagged"), Some(&set(&[2, 4])));
    assert_eq!(
        seqs.get("foo"),
        Some(&set(&[3])),
        "duplicate name: last line wins"
    );
    assert_eq!(warnings.len(), 7, "{warnings:?}");
    Sequences::update(&path, LockMethod::Fcntl, WAIT, |s| s.add("flagged", 5)).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "flagged: 2 4-5\nfoo: 3\n"
    );
    assert_eq!(
        lab.nmh("mark", &["+bad", "-list"]),
        "flagged: 2 4-5\nfoo: 3\n"
    );
}

#[test]
fn update_rewrites_in_place_and_only_on_change() {
    let lab = Lab::new();
    let dir = lab.folder_with("ip", 5);
    lab.nmh("mark", &["+ip", "1", "-sequence", "a"]);
    let path = dir.join(".mh_sequences");
    let before = std::fs::metadata(&path).unwrap();
    Sequences::update(&path, LockMethod::Fcntl, WAIT, |s| s.add("b", 2)).unwrap();
    let after = std::fs::metadata(&path).unwrap();
    assert_eq!(
        before.ino(),
        after.ino(),
        "rewritten in place, not replaced"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "a: 1\nb: 2\n");

    let changed = Sequences::update(&path, LockMethod::Fcntl, WAIT, |s| s.get("a").cloned());
    assert_eq!(changed.unwrap(), Some(set(&[1])));
    let untouched = std::fs::metadata(&path).unwrap();
    assert_eq!(
        (untouched.mtime(), untouched.mtime_nsec()),
        (after.mtime(), after.mtime_nsec())
    );
}

#[test]
fn update_unlinks_the_file_when_no_sequence_remains() {
    let lab = Lab::new();
    let dir = lab.folder_with("un", 5);
    lab.nmh("mark", &["+un", "1", "3", "-sequence", "a"]);
    let path = dir.join(".mh_sequences");
    Sequences::update(&path, LockMethod::Fcntl, WAIT, |s| {
        s.remove_everywhere(1);
        s.remove("a", 3);
    })
    .unwrap();
    assert!(!path.exists());
    // A folder without the file: a read-only update leaves none behind.
    Sequences::update(&path, LockMethod::Fcntl, WAIT, |_| ()).unwrap();
    assert!(!path.exists());
    assert_eq!(lab.nmh("mark", &["+un", "-list"]), "");
}

mod properties {
    use std::collections::BTreeSet;

    use asimap::mh::Sequences;
    use proptest::prelude::*;

    fn sequences() -> impl Strategy<Value = Sequences> {
        let members = proptest::collection::btree_set(1u32..5000, 1..60);
        proptest::collection::btree_map("[A-Za-z][A-Za-z0-9]{0,8}", members, 0..8).prop_map(|m| {
            Sequences {
                entries: m.into_iter().collect(),
            }
        })
    }

    /// Arbitrary bytes, with the characters of the format made common.
    fn junk() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            any::<u8>(),
            Just(b':'),
            Just(b'\n'),
            Just(b' '),
            Just(b'-'),
            Just(b'7')
        ];
        proptest::collection::vec(byte, 0..400)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn text_round_trips(seqs in sequences()) {
            let text = seqs.to_text();
            let (back, warnings) = Sequences::parse(&text);
            prop_assert!(warnings.is_empty());
            prop_assert_eq!(back, seqs);
            prop_assert!(!text.windows(2).any(|w| w == b"\n\n"), "no blank line");
        }

        #[test]
        fn any_bytes_parse_into_writable_text(bytes in junk()) {
            let (seqs, _) = Sequences::parse(&bytes);
            let text = seqs.to_text();
            // What we write has no blank line and a colon on every line.
            for line in text.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                prop_assert!(line.contains(&b':'));
                prop_assert!(!line.starts_with(b" ") && !line.starts_with(b"\t"));
            }
            let members = seqs.entries.iter().flat_map(|(_, m): &(String, BTreeSet<u32>)| m);
            prop_assert!(members.into_iter().all(|n| *n > 0));
        }
    }
}
