//! Known-answer tests for the IMAP parser: every command example of
//! RFC 3501 §6 (and RFC 9051 additions), each round-tripped through the
//! encoder and fed to the framer one byte at a time.

mod proto_common;

use asimap::proto::framer::Limits;
use asimap::proto::parse::command;
use asimap::proto::types::{
    CommandBody as C, FetchAttr, Flag, SearchCharset, SearchKey as K, Secret, Section, SectionText,
    StatusItem, StoreMode,
};
use chrono::DateTime;
use proto_common::{check, date, expected_frames, frames_at_once, frames_bytewise, mbox, set};

fn list(reference: &str, pattern: &str) -> C {
    C::List {
        reference: reference.into(),
        pattern: pattern.into(),
    }
}

fn lsub(reference: &str, pattern: &str) -> C {
    C::Lsub {
        reference: reference.into(),
        pattern: pattern.into(),
    }
}

fn search(charset: SearchCharset, keys: Vec<K>) -> C {
    C::Search {
        uid: false,
        charset,
        key: K::And(keys),
    }
}

const APPEND_MSG: &[u8] = b"Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n\
From: Fred Foobar <foobar@Blurdybloop.COM>\r\n\
Subject: afternoon meeting\r\n\
To: mooch@owatagu.siam.edu\r\n\
Message-Id: <B27397-0100000@Blurdybloop.COM>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
\r\n\
Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";

/// The RFC 3501 §6 client examples, with their meaning.
fn rfc3501_table() -> Vec<(Vec<u8>, &'static str, C)> {
    let mut append = b"A003 APPEND saved-messages (\\Seen) {".to_vec();
    append.extend_from_slice(format!("{}}}\r\n", APPEND_MSG.len()).as_bytes());
    append.extend_from_slice(APPEND_MSG);
    append.extend_from_slice(b"\r\n");
    let header_fields = FetchAttr::BodySection {
        peek: false,
        section: Section {
            part: vec![],
            text: Some(SectionText::HeaderFields(vec![
                "DATE".into(),
                "FROM".into(),
            ])),
        },
        partial: None,
    };
    let t = |s: &str| s.as_bytes().to_vec();
    vec![
        (t("abcd CAPABILITY\r\n"), "abcd", C::Capability),
        (t("a002 NOOP\r\n"), "a002", C::Noop),
        (t("A023 LOGOUT\r\n"), "A023", C::Logout),
        (t("a002 STARTTLS\r\n"), "a002", C::StartTls),
        (
            t("A001 AUTHENTICATE GSSAPI\r\n"),
            "A001",
            C::Authenticate {
                mechanism: "GSSAPI".into(),
                initial: None,
            },
        ),
        (
            t("a001 LOGIN SMITH SESAME\r\n"),
            "a001",
            C::Login {
                user: "SMITH".into(),
                password: Secret(b"SESAME".to_vec()),
            },
        ),
        (t("A142 SELECT INBOX\r\n"), "A142", C::Select(mbox("INBOX"))),
        (
            t("A932 EXAMINE blurdybloop\r\n"),
            "A932",
            C::Examine(mbox("blurdybloop")),
        ),
        (
            t("A003 CREATE owatagusiam/\r\n"),
            "A003",
            C::Create(mbox("owatagusiam/")),
        ),
        (
            t("A004 CREATE owatagusiam/blurdybloop\r\n"),
            "A004",
            C::Create(mbox("owatagusiam/blurdybloop")),
        ),
        (
            t("A683 DELETE blurdybloop\r\n"),
            "A683",
            C::Delete(mbox("blurdybloop")),
        ),
        (
            t("A685 DELETE foo/bar\r\n"),
            "A685",
            C::Delete(mbox("foo/bar")),
        ),
        (
            t("A683 RENAME blurdybloop sarasoop\r\n"),
            "A683",
            C::Rename(mbox("blurdybloop"), mbox("sarasoop")),
        ),
        (
            t("Z433 RENAME INBOX old-mail\r\n"),
            "Z433",
            C::Rename(mbox("INBOX"), mbox("old-mail")),
        ),
        (
            t("A002 SUBSCRIBE #news.comp.mail.mime\r\n"),
            "A002",
            C::Subscribe(mbox("#news.comp.mail.mime")),
        ),
        (
            t("A002 UNSUBSCRIBE #news.comp.mail.mime\r\n"),
            "A002",
            C::Unsubscribe(mbox("#news.comp.mail.mime")),
        ),
        (t("A101 LIST \"\" \"\"\r\n"), "A101", list("", "")),
        (
            t("A102 LIST #news.comp.mail.misc \"\"\r\n"),
            "A102",
            list("#news.comp.mail.misc", ""),
        ),
        (
            t("A103 LIST /usr/staff/jones \"\"\r\n"),
            "A103",
            list("/usr/staff/jones", ""),
        ),
        (t("A202 LIST ~/Mail/ %\r\n"), "A202", list("~/Mail/", "%")),
        (t("A682 LIST \"\" *\r\n"), "A682", list("", "*")),
        (
            t("A002 LSUB \"#news.\" \"comp.mail.*\"\r\n"),
            "A002",
            lsub("#news.", "comp.mail.*"),
        ),
        (
            t("A003 LSUB \"#news.\" \"comp.%\"\r\n"),
            "A003",
            lsub("#news.", "comp.%"),
        ),
        (
            t("A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n"),
            "A042",
            C::Status(
                mbox("blurdybloop"),
                vec![StatusItem::UidNext, StatusItem::Messages],
            ),
        ),
        (
            append,
            "A003",
            C::Append {
                mailbox: mbox("saved-messages"),
                flags: vec![Flag::Seen],
                date: None,
                message: APPEND_MSG.to_vec(),
            },
        ),
        (t("FXXZ CHECK\r\n"), "FXXZ", C::Check),
        (t("A341 CLOSE\r\n"), "A341", C::Close),
        (t("A202 EXPUNGE\r\n"), "A202", C::Expunge),
        (
            t("A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n"),
            "A282",
            search(
                SearchCharset::UsAscii,
                vec![
                    K::Flagged,
                    K::Since(date(1994, 2, 1)),
                    K::Not(Box::new(K::From(b"Smith".to_vec()))),
                ],
            ),
        ),
        (
            t("A283 SEARCH TEXT \"string not in mailbox\"\r\n"),
            "A283",
            search(
                SearchCharset::UsAscii,
                vec![K::Text(b"string not in mailbox".to_vec())],
            ),
        ),
        (
            b"A284 SEARCH CHARSET UTF-8 TEXT {6}\r\n\xc3\xa9t\xc3\xa9s\r\n".to_vec(),
            "A284",
            search(
                SearchCharset::Utf8,
                vec![K::Text("\u{e9}t\u{e9}s".as_bytes().to_vec())],
            ),
        ),
        (
            t("A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n"),
            "A654",
            C::Fetch {
                uid: false,
                set: set(&[(2, 4)]),
                attrs: vec![FetchAttr::Flags, header_fields],
            },
        ),
        (
            t("A003 STORE 2:4 +FLAGS (\\Deleted)\r\n"),
            "A003",
            C::Store {
                uid: false,
                set: set(&[(2, 4)]),
                mode: StoreMode::Add,
                silent: false,
                flags: vec![Flag::Deleted],
            },
        ),
        (
            t("A003 COPY 2:4 MEETING\r\n"),
            "A003",
            C::Copy {
                uid: false,
                set: set(&[(2, 4)]),
                mailbox: mbox("MEETING"),
            },
        ),
        (
            t("A999 UID FETCH 4827313:4828442 FLAGS\r\n"),
            "A999",
            C::Fetch {
                uid: true,
                set: set(&[(4827313, 4828442)]),
                attrs: vec![FetchAttr::Flags],
            },
        ),
    ]
}

#[test]
fn rfc3501_examples_parse_and_round_trip() {
    for (input, tag, body) in rfc3501_table() {
        check(&input, tag, &body);
    }
}

#[test]
fn rfc3501_examples_frame_the_same_byte_by_byte() {
    let mut stream = Vec::new();
    let mut expected = Vec::new();
    for (input, _, _) in rfc3501_table() {
        assert_eq!(
            frames_bytewise(&input, Limits::default()),
            expected_frames(&input)
        );
        stream.extend_from_slice(&input);
        expected.extend(expected_frames(&input));
    }
    assert_eq!(frames_bytewise(&stream, Limits::default()), expected);
    assert_eq!(frames_at_once(&stream, Limits::default()), expected);
}

#[test]
fn unknown_command_is_bad_with_tag() {
    let err = command(b"A442 XPIG-LATIN\r\n").unwrap_err();
    assert_eq!(err.tag.as_deref(), Some("A442"));
    assert_eq!(err.reason, "unknown command XPIG-LATIN");
}

#[test]
fn append_with_date_and_nonsync_literal() {
    let input = b"a APPEND inbox (\\Seen $Junk) \" 7-Feb-1994 21:52:25 -0800\" {5+}\r\nhello\r\n";
    let when = DateTime::parse_from_rfc3339("1994-02-07T21:52:25-08:00").unwrap();
    let body = C::Append {
        mailbox: mbox("INBOX"),
        flags: vec![Flag::Seen, Flag::Keyword("$Junk".into())],
        date: Some(when),
        message: b"hello".to_vec(),
    };
    check(input, "a", &body);
    let one_digit = b"a APPEND x \"7-Feb-1994 21:52:25 -0800\" {0}\r\n\r\n";
    assert!(command(one_digit).is_ok());
}
