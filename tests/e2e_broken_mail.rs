//! Broken mail is normal (pitfall 25): FETCH of every attribute, SEARCH and
//! RFC822.SIZE never fail on it, and the answers stay well framed.

mod common;

use common::{MhTree, crlf, wire};

/// Broken messages, each with a Message-ID so the harness can find it.
fn broken() -> Vec<(&'static str, Vec<u8>)> {
    let mut long_fold = b"From: a@example.org\nMessage-ID: <fold@test>\nX-Long: start\n".to_vec();
    for i in 0..5000 {
        long_fold.extend_from_slice(format!(" continuation {i}\n").as_bytes());
    }
    long_fold.extend_from_slice(b"Subject: folded\n\nbody\n");
    vec![
        (
            "eightbit-in-7bit",
            b"From: a@example.org\nMessage-ID: <e8@test>\nSubject: 8bit\n\
Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n\
caf\xc3\xa9 na\xefve\n"
                .to_vec(),
        ),
        (
            "multipart-without-boundaries",
            b"From: a@example.org\nMessage-ID: <nob@test>\nSubject: no boundary lines\n\
MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"never\"\n\nJust text.\n"
                .to_vec(),
        ),
        (
            "multipart-without-boundary-parameter",
            b"From: a@example.org\nMessage-ID: <nop@test>\nSubject: no parameter\n\
MIME-Version: 1.0\nContent-Type: multipart/alternative\n\n--x\n\ntext\n--x--\n"
                .to_vec(),
        ),
        (
            "raw-utf8-subject",
            "From: J\u{fc}rgen <j@example.de>\nMessage-ID: <raw@test>\nSubject: Gr\u{fc}\u{df}e roh\n\nx\n"
                .as_bytes()
                .to_vec(),
        ),
        (
            "split-encoded-word",
            b"From: a@example.org\nMessage-ID: <split@test>\n\
Subject: =?UTF-8?B?R3LD?= =?UTF-8?B?vMOfZQ==?=\n\nx\n"
                .to_vec(),
        ),
        (
            "duplicate-headers",
            b"From: a@example.org\nFrom: b@example.org\nMessage-ID: <dup@test>\n\
Subject: one\nSubject: two\nDate: Mon, 2 Mar 2026 09:00:00 +0100\n\
Date: Tue, 3 Mar 2026 09:00:00 +0100\n\nx\n"
                .to_vec(),
        ),
        (
            "invalid-content-type",
            b"From: a@example.org\nMessage-ID: <ct@test>\nSubject: bad type\n\
Content-Type: this is not; a=\"type\nContent-Transfer-Encoding: x-unknown\n\nx\n"
                .to_vec(),
        ),
        ("long-folded-header", long_fold),
        (
            "absurd-date-and-hostless-address",
            b"From: undisclosed-recipients:;\nTo: localuser, @, <>\nMessage-ID: <absurd@test>\n\
Subject: absurd\nDate: Fri, 31 Feb 99999 25:61:61 +9999\n\nx\n"
                .to_vec(),
        ),
        (
            "nul-bytes-and-bare-cr",
            b"From: a@example.org\nMessage-ID: <nul@test>\nSubject: nul\x00byte\n\n\
a\x00b\rc\r\n\x00\n"
                .to_vec(),
        ),
        (
            "bad-base64-and-qp",
            b"From: a@example.org\nMessage-ID: <b64@test>\nSubject: bad encodings\n\
MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\
Content-Transfer-Encoding: base64\n\n!!!not base64 xylophone===\n--b\n\
Content-Transfer-Encoding: quoted-printable\n\nbroken =ZZ soft=\n--b--\n"
                .to_vec(),
        ),
    ]
}

#[test]
fn fetch_of_every_attribute_succeeds_on_broken_mail() {
    let tree = MhTree::new();
    let msgs = broken();
    for (i, (_, bytes)) in msgs.iter().enumerate() {
        tree.write_msg("inbox", i as u32 + 1, bytes);
    }
    let t = tree.run_script(
        "a1 EXAMINE INBOX\r\n\
         a2 FETCH 1:* (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY UID)\r\n\
         a3 FETCH 1:* (BODY.PEEK[] BODY.PEEK[HEADER] BODY.PEEK[TEXT] BODY.PEEK[1])\r\n\
         a4 NOOP\r\na5 LOGOUT\r\n",
    );
    t.reply("a2").ok();
    t.reply("a3").ok();
    t.reply("a4").ok();
    for (i, (name, bytes)) in msgs.iter().enumerate() {
        let n = i as u32 + 1;
        let meta = t.reply("a2").fetch(n);
        for attr in ["ENVELOPE", "BODYSTRUCTURE", "BODY", "INTERNALDATE"] {
            assert!(meta.try_get(attr).is_some(), "{name}: {attr} missing");
        }
        let body = t.reply("a3").fetch(n);
        let want = wire(bytes);
        assert_eq!(body.get("BODY[]").bytes(), want.as_slice(), "{name}");
        assert_eq!(meta.get("RFC822.SIZE").num() as usize, want.len(), "{name}");
    }
}

#[test]
fn search_succeeds_on_broken_mail() {
    let tree = MhTree::new();
    for (i, (_, bytes)) in broken().iter().enumerate() {
        tree.write_msg("inbox", i as u32 + 1, bytes);
    }
    let t = tree.run_script(
        "a1 EXAMINE INBOX\r\n\
         a2 SEARCH SUBJECT folded\r\n\
         a3 SEARCH BODY xylophone\r\n\
         a4 SEARCH TEXT caf\r\n\
         a5 SEARCH SENTBEFORE 1-Jan-2030\r\n\
         a6 SEARCH FROM example\r\n\
         a7 SEARCH HEADER X-Long continuation\r\n\
         a8 LOGOUT\r\n",
    );
    for tag in ["a2", "a3", "a4", "a5", "a6", "a7"] {
        t.reply(tag).ok();
    }
    assert_eq!(t.reply("a2").search(), vec![8]);
    assert_eq!(t.reply("a7").search(), vec![8]);
}

/// The pieces of a multipart message with NUL bytes in its header fields
/// (ENVELOPE and BODYSTRUCTURE strings among them), part headers and
/// bodies, some next to a bare LF.
struct NulMessage {
    header: &'static [u8],
    part1_mime: &'static [u8],
    part1: &'static [u8],
    part2_mime: &'static [u8],
    part2: &'static [u8],
}

const NUL_MESSAGE: NulMessage = NulMessage {
    header: b"From: \"Nul\0Name\" <a@example.org>\nTo: b@example.org\n\
Message-ID: <nul-e2e@test>\nSubject: alpha\0omega\nMIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=\"bnd\"; x-note=\"p\0q\"\n\n",
    part1_mime: b"Content-Type: text/plain; charset=us-ascii; name=\"f\0.txt\"\n\
Content-Description: desc\0ription\nContent-ID: <id\0@x>\n\n",
    part1: b"before\0needle after\n\0\ntail\0",
    part2_mime: b"Content-Type: application/octet-stream; name=\"b\0in\"\n\
Content-Disposition: attachment; filename=\"d\0.bin\"\n\
Content-Language: e\0n\nContent-Location: l\0oc\n\n",
    part2: b"\0\0\0",
};

impl NulMessage {
    /// The message body: everything after the top-level header.
    fn text(&self) -> Vec<u8> {
        [
            b"--bnd\n",
            self.part1_mime,
            self.part1,
            b"\n--bnd\n",
            self.part2_mime,
            self.part2,
            b"\n--bnd--\n",
        ]
        .concat()
    }

    /// The message file.
    fn file(&self) -> Vec<u8> {
        [self.header.to_vec(), self.text()].concat()
    }
}

/// A tree with the NUL message as 1 and a plain one as 2, so that a SEARCH
/// finding only 1 found the words around its NULs.
fn nul_tree() -> MhTree {
    let tree = MhTree::new();
    tree.write_msg("inbox", 1, NUL_MESSAGE.file());
    tree.add_simple("inbox", 2, "plain@test");
    tree
}

#[test]
fn nul_bytes_go_out_as_0x80_in_every_literal() {
    let m = &NUL_MESSAGE;
    let tree = nul_tree();
    let t = tree.run_script(
        "a1 EXAMINE INBOX\r\n\
         a2 FETCH 1 (RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE BODY.PEEK[] BODY.PEEK[HEADER] \
         BODY.PEEK[TEXT] BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[2] BODY.PEEK[2.MIME] \
         BODY.PEEK[HEADER.FIELDS (Subject From)])\r\n\
         a3 FETCH 1 (RFC822 RFC822.HEADER RFC822.TEXT)\r\n\
         a4 FETCH 1 (BODY.PEEK[]<60.200> BODY.PEEK[TEXT]<20.30> BODY.PEEK[1]<5.12>)\r\n\
         a5 LOGOUT\r\n",
    );
    for tag in ["a2", "a3", "a4"] {
        t.reply(tag).ok();
    }
    assert!(!t.raw.contains(&0), "a NUL byte on the wire:\n{}", t.text());

    let file = m.file();
    let whole = wire(&file);
    assert!(whole.contains(&0x80) && !whole.contains(&0));
    let f = t.reply("a2").fetch(1);
    assert_eq!(f.get("BODY[]").bytes(), whole.as_slice());
    assert_eq!(f.get("RFC822.SIZE").num(), crlf(&file).len() as u64);
    assert_eq!(f.get("BODY[HEADER]").bytes(), wire(m.header).as_slice());
    assert_eq!(f.get("BODY[TEXT]").bytes(), wire(&m.text()).as_slice());
    assert_eq!(f.get("BODY[1]").bytes(), wire(m.part1).as_slice());
    assert_eq!(f.get("BODY[1.MIME]").bytes(), wire(m.part1_mime).as_slice());
    assert_eq!(f.get("BODY[2]").bytes(), b"\x80\x80\x80");
    assert_eq!(f.get("BODY[2.MIME]").bytes(), wire(m.part2_mime).as_slice());
    let fields = f.get("BODY[HEADER.FIELDS (SUBJECT FROM)]").bytes();
    assert_eq!(
        fields,
        b"From: \"Nul\x80Name\" <a@example.org>\r\nSubject: alpha\x80omega\r\n\r\n"
    );

    let r = t.reply("a3").fetch(1);
    assert_eq!(r.get("RFC822").bytes(), whole.as_slice());
    assert_eq!(r.get("RFC822.HEADER").bytes(), wire(m.header).as_slice());
    assert_eq!(r.get("RFC822.TEXT").bytes(), wire(&m.text()).as_slice());

    // Offsets count in the CRLF form, which 0x80 for NUL does not change.
    let p = t.reply("a4").fetch(1);
    assert_eq!(p.get("BODY[]<60>").bytes(), &whole[60..260]);
    let text = wire(&m.text());
    assert_eq!(p.get("BODY[TEXT]<20>").bytes(), &text[20..50]);
    assert_eq!(p.get("BODY[1]<5>").bytes(), &wire(m.part1)[5..17]);
    assert!(whole[60..260].contains(&0x80), "the range spans NULs");
}

#[test]
fn envelope_and_bodystructure_strings_carry_no_nul() {
    let tree = nul_tree();
    let t = tree.run_script(
        "a1 EXAMINE INBOX\r\na2 FETCH 1 (ENVELOPE BODY BODYSTRUCTURE)\r\na3 LOGOUT\r\n",
    );
    t.reply("a2").ok();
    assert!(!t.raw.contains(&0), "{}", t.text());
    let f = t.reply("a2").fetch(1);
    let envelope = f.get("ENVELOPE");
    assert_eq!(envelope.at(1).bytes(), "alpha\u{fffd}omega".as_bytes());
    let from = envelope.at(2).at(0);
    assert_eq!(from.at(0).bytes(), "Nul\u{fffd}Name".as_bytes());
    let structure = f.get("BODYSTRUCTURE").text();
    for cleaned in [
        "f\u{fffd}.txt",
        "desc\u{fffd}ription",
        "<id\u{fffd}@x>",
        "b\u{fffd}in",
        "d\u{fffd}.bin",
        "e\u{fffd}n",
        "l\u{fffd}oc",
        "p\u{fffd}q",
    ] {
        assert!(structure.contains(cleaned), "{cleaned} in {structure}");
    }
    assert!(f.get("BODY").text().contains("desc\u{fffd}ription"));
}

#[test]
fn search_finds_words_next_to_nul_bytes() {
    let tree = nul_tree();
    let t = tree.run_script(
        "a1 EXAMINE INBOX\r\n\
         a2 SEARCH BODY needle\r\n\
         a3 SEARCH BODY before\r\n\
         a4 SEARCH BODY tail\r\n\
         a5 SEARCH SUBJECT omega\r\n\
         a6 SEARCH TEXT alpha\r\n\
         a7 SEARCH BODY xylophone\r\n\
         a8 LOGOUT\r\n",
    );
    for tag in ["a2", "a3", "a4", "a5", "a6"] {
        assert_eq!(t.reply(tag).ok().search(), vec![1], "{tag}");
    }
    assert_eq!(t.reply("a7").ok().search(), Vec::<u32>::new());
}
