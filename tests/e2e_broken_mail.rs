//! Broken mail is normal (pitfall 25): FETCH of every attribute, SEARCH and
//! RFC822.SIZE never fail on it, and the answers stay well framed.

mod common;

use common::{MhTree, crlf};

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
        let want = crlf(bytes);
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
