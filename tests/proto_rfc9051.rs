//! The RFC 9051 §6 client examples: those within issue 2's command set
//! parse to the expected meaning (with a round trip and byte-by-byte
//! framing); those that need IMAP4rev2-only extensions asimap does not
//! advertise (LIST-EXTENDED, ESEARCH RETURN, SEARCHRES `$`) get a BAD.

mod proto_common;

use asimap::proto::types::{CommandBody as C, Flag, SearchCharset, SearchKey as K, Secret};
use proto_common::{bad, check, mbox, set};

fn list(reference: &str, pattern: &str) -> C {
    C::List {
        reference: reference.into(),
        pattern: pattern.into(),
    }
}

#[test]
fn supported_examples() {
    let table = vec![
        (
            "A002 CREATE \"INBOX.Sent Mail\"\r\n",
            C::Create(mbox("INBOX.Sent Mail")),
        ),
        (
            "A004 CREATE \"Sent Mail\"\r\n",
            C::Create(mbox("Sent Mail")),
        ),
        (
            "A005 CREATE NonNormalized\r\n",
            C::Create(mbox("NonNormalized")),
        ),
        (
            "A006 CREATE \"#mh/Deleted Items\"\r\n",
            C::Create(mbox("#mh/Deleted Items")),
        ),
        ("A143 SELECT Drafts\r\n", C::Select(mbox("Drafts"))),
        ("A007 SELECT funny\r\n", C::Select(mbox("funny"))),
        ("1001 RENAME X Y\r\n", C::Rename(mbox("X"), mbox("Y"))),
        ("1002 SUBSCRIBE Y\r\n", C::Subscribe(mbox("Y"))),
        ("1003 UNSUBSCRIBE X\r\n", C::Unsubscribe(mbox("X"))),
        ("A002 LIST \"\" \"#Users/%\"\r\n", list("", "#Users/%")),
        (
            "A002 LIST \"\" \"Other Users/%\"\r\n",
            list("", "Other Users/%"),
        ),
        ("A002 LIST \"\" \"~mark/%\"\r\n", list("", "~mark/%")),
        ("A01 LIST \"\" \"*\"\r\n", list("", "*")),
        ("A86 LIST \"\" %\r\n", list("", "%")),
        (
            "A006 COPY 2 funny\r\n",
            C::Copy {
                uid: false,
                set: set(&[(2, 2)]),
                mailbox: mbox("funny"),
            },
        ),
        ("A01 STARTTLS\r\n", C::StartTls),
        (
            "A01 AUTHENTICATE PLAIN\r\n",
            C::Authenticate {
                mechanism: "PLAIN".into(),
                initial: None,
            },
        ),
        (
            "a004 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n",
            C::Authenticate {
                mechanism: "PLAIN".into(),
                initial: Some(Secret(b"dGVzdAB0ZXN0AHRlc3Q=".to_vec())),
            },
        ),
    ];
    for (input, expected) in table {
        let (tag, _) = input.split_once(' ').unwrap();
        check(input.as_bytes(), tag, &expected);
    }
}

#[test]
fn literal_plus_append_and_utf8_search() {
    let message = b"Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n\r\nHello Joe\r\n";
    let mut input = format!(
        "A003 APPEND saved-messages (\\Seen) {{{}+}}\r\n",
        message.len()
    )
    .into_bytes();
    input.extend_from_slice(message);
    input.extend_from_slice(b"\r\n");
    let expected = C::Append {
        mailbox: mbox("saved-messages"),
        flags: vec![Flag::Seen],
        date: None,
        message: message.to_vec(),
    };
    check(&input, "A003", &expected);

    let text = "\u{65e5}\u{672c}\u{8a9e}\u{6587}"; // 12 bytes of UTF-8
    let input = format!("A285 SEARCH CHARSET UTF-8 TEXT {{12}}\r\n{text}\r\n");
    let expected = C::Search {
        uid: false,
        charset: SearchCharset::Utf8,
        key: K::And(vec![K::Text(text.as_bytes().to_vec())]),
    };
    check(input.as_bytes(), "A285", &expected);
}

#[test]
fn unadvertised_extensions_are_bad() {
    let cases: &[(&str, &str)] = &[
        (
            "A02 LIST (SUBSCRIBED) \"\" \"*\"\r\n",
            "expected mailbox name, found \"(SUBSCRIBED) \"\" \"*\"\"",
        ),
        (
            "A01 LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN))\r\n",
            "unexpected \" RETURN (STATUS (MES...\" after LIST",
        ),
        (
            "a1 LIST \"\" (\"foo\")\r\n",
            "expected mailbox pattern, found \"(\"foo\")\"",
        ),
        (
            "A282 SEARCH RETURN (MIN COUNT) FLAGGED\r\n",
            "expected search key, found \"RETURN (MIN COUNT) F...\"",
        ),
        (
            "A283 FETCH $ (UID INTERNALDATE FLAGS BODY.PEEK[HEADER])\r\n",
            "expected sequence set, found \"$ (UID INTERNALDATE ...\"",
        ),
        (
            "F284 STORE $ +FLAGS.Silent (\\Deleted)\r\n",
            "expected sequence set, found \"$ +FLAGS.Silent (\\De...\"",
        ),
        (
            "E283 COPY $ \"Other Messages\"\r\n",
            "expected sequence set, found \"$ \"Other Messages\"\"",
        ),
    ];
    for &(input, reason) in cases {
        let tag = input.split_once(' ').unwrap().0;
        assert_eq!(bad(input.as_bytes(), Some(tag)), reason, "{input:?}");
    }
}
