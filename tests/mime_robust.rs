//! Arbitrary and mangled input never panics in any mime entry point, and
//! the serialised structures stay balanced IMAP lists.

use std::path::PathBuf;

use proptest::prelude::*;

use asimap::mime::{self, Meta};
use asimap::proto::{Section, SectionText};

fn fixtures() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mime");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            (path.extension()? == "eml").then(|| std::fs::read(path).unwrap())
        })
        .collect();
    assert!(out.len() >= 15, "fixtures missing in {}", dir.display());
    out.sort();
    out
}

fn sections() -> Vec<Section> {
    let texts = [
        None,
        Some(SectionText::Header),
        Some(SectionText::Text),
        Some(SectionText::Mime),
        Some(SectionText::HeaderFields(vec![
            "subject".into(),
            "from".into(),
        ])),
        Some(SectionText::HeaderFieldsNot(vec!["to".into()])),
    ];
    let parts: [&[u32]; 5] = [&[], &[1], &[2], &[1, 1], &[2, 1, 3]];
    let mut out = Vec::new();
    for p in parts {
        for t in &texts {
            out.push(Section {
                part: p.to_vec(),
                text: t.clone(),
            });
        }
    }
    out
}

fn exercise(raw: &[u8]) {
    let meta = Meta::analyze(raw);
    assert_eq!(meta.size, mime::wire_len(raw));
    for s in [&meta.envelope, &meta.body, &meta.bodystructure] {
        assert_eq!(s.first(), Some(&b'('));
        assert_eq!(s.last(), Some(&b')'));
    }
    assert_eq!(Meta::from_blob(&meta.to_blob()).as_ref(), Some(&meta));
    for s in sections() {
        if let Some(bytes) = mime::section(raw, &s) {
            assert!(bytes.len() as u64 <= mime::wire_len(raw) + 4);
        }
    }
    let _ = mime::body_text(raw);
    let _ = mime::header_text(raw, "subject");
    let _ = mime::headers_text(raw);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_bytes(raw in proptest::collection::vec(any::<u8>(), 0..600)) {
        exercise(&raw);
    }

    #[test]
    fn mangled_fixtures(
        which in 0usize..100,
        cuts in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        truncate in any::<prop::sample::Index>(),
    ) {
        let all = fixtures();
        let mut raw = all[which % all.len()].clone();
        for (at, byte) in cuts {
            if !raw.is_empty() {
                let i = at.index(raw.len());
                raw[i] = byte;
            }
        }
        if !raw.is_empty() {
            raw.truncate(truncate.index(raw.len() + 1));
        }
        exercise(&raw);
    }
}

#[test]
fn every_prefix_of_every_fixture() {
    for raw in fixtures() {
        for n in (0..raw.len()).step_by(7) {
            exercise(&raw[..n]);
        }
    }
}
