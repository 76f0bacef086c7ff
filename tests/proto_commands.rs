//! Known-answer tests beyond RFC 3501 §6: the extension commands of issue 2
//! (RFC 9051, ID, ENABLE, UNSELECT, MOVE, UIDPLUS, IDLE, SASL-IR, LITERAL+,
//! STATUS SIZE) and the finer grammar of FETCH, STORE, SEARCH and mailbox
//! names. Each case is round-tripped and framed byte by byte.

mod proto_common;

use asimap::proto::types::{
    CommandBody as C, FetchAttr as F, Flag, SearchCharset, SearchKey as K, Secret, Section,
    SectionText as T, StatusItem, StoreMode,
};
use proto_common::{check, date, mbox, set};

fn search(uid: bool, charset: SearchCharset, keys: Vec<K>) -> C {
    C::Search {
        uid,
        charset,
        key: K::And(keys),
    }
}

fn ascii(keys: Vec<K>) -> C {
    search(false, SearchCharset::UsAscii, keys)
}

fn fetch(uid: bool, s: &[(u32, u32)], attrs: Vec<F>) -> C {
    C::Fetch {
        uid,
        set: set(s),
        attrs,
    }
}

fn body(peek: bool, part: &[u32], text: Option<T>, partial: Option<(u32, u32)>) -> F {
    F::BodySection {
        peek,
        section: Section {
            part: part.to_vec(),
            text,
        },
        partial,
    }
}

fn store(uid: bool, mode: StoreMode, silent: bool, flags: Vec<Flag>) -> C {
    C::Store {
        uid,
        set: set(&[(1, 0)]),
        mode,
        silent,
        flags,
    }
}

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn run(table: Vec<(&str, C)>) {
    for (input, expected) in table {
        let (tag, _) = input.split_once(' ').unwrap();
        check(input.as_bytes(), tag, &expected);
    }
}

#[test]
fn extension_commands() {
    let id = vec![
        ("name".to_string(), Some("sodr".to_string())),
        ("version".into(), Some("19.34".into())),
        ("vendor".into(), Some("Pink Floyd Music Limited".into())),
        ("os".into(), None),
    ];
    run(vec![
        (
            "a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" \
             \"Pink Floyd Music Limited\" \"os\" NIL)\r\n",
            C::Id(Some(id)),
        ),
        ("a042 ID NIL\r\n", C::Id(None)),
        ("a043 id ()\r\n", C::Id(Some(vec![]))),
        (
            "a1 ENABLE CONDSTORE\r\n",
            C::Enable(vec!["CONDSTORE".into()]),
        ),
        (
            "t2 ENABLE condstore X-GOOD-IDEA\r\n",
            C::Enable(vec!["CONDSTORE".into(), "X-GOOD-IDEA".into()]),
        ),
        ("A001 NAMESPACE\r\n", C::Namespace),
        ("A002 IDLE\r\n", C::Idle),
        ("A342 UNSELECT\r\n", C::Unselect),
        (
            "A003 UID EXPUNGE 3000:3002\r\n",
            C::UidExpunge(set(&[(3000, 3002)])),
        ),
        (
            "A005 UID COPY 305:310 meeting\r\n",
            C::Copy {
                uid: true,
                set: set(&[(305, 310)]),
                mailbox: mbox("meeting"),
            },
        ),
        (
            "a UID MOVE 42:69 foo\r\n",
            C::Move {
                uid: true,
                set: set(&[(42, 69)]),
                mailbox: mbox("foo"),
            },
        ),
        (
            "a MOVE 1,3:* Trash\r\n",
            C::Move {
                uid: false,
                set: set(&[(1, 1), (3, 0)]),
                mailbox: mbox("Trash"),
            },
        ),
        (
            "A03 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n",
            C::Authenticate {
                mechanism: "PLAIN".into(),
                initial: Some(Secret(b("dGVzdAB0ZXN0AHRlc3Q="))),
            },
        ),
        (
            "A01 AUTHENTICATE external =\r\n",
            C::Authenticate {
                mechanism: "EXTERNAL".into(),
                initial: Some(Secret(b("="))),
            },
        ),
        (
            "s STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE)\r\n",
            C::Status(
                mbox("INBOX"),
                vec![
                    StatusItem::Messages,
                    StatusItem::Recent,
                    StatusItem::UidNext,
                    StatusItem::UidValidity,
                    StatusItem::Unseen,
                    StatusItem::Size,
                ],
            ),
        ),
        (
            "l LOGIN {4+}\r\nfred {6+}\r\nse\"c t\r\n",
            C::Login {
                user: "fred".into(),
                password: Secret(b("se\"c t")),
            },
        ),
        (
            "l2 login \"joe\" \"p\\\\w\\\"d\"\r\n",
            C::Login {
                user: "joe".into(),
                password: Secret(b("p\\w\"d")),
            },
        ),
    ]);
}

/// A name that is not valid modified UTF-7 would be created under one name
/// and listed under another, so it is refused (RFC 3501 §5.1.3).
#[test]
fn invalid_modified_utf7_names_are_refused() {
    for line in [
        "a CREATE \"a&b\"\r\n",
        "a CREATE \"&Jjo\"\r\n",
        "a CREATE \"&AGE-\"\r\n",
        "a CREATE \"caf\u{e9}\"\r\n",
    ] {
        let err = asimap::proto::parse::command(line.as_bytes()).unwrap_err();
        assert_eq!(err.tag.as_deref(), Some("a"), "{line:?}");
        assert!(
            err.reason.contains("modified UTF-7"),
            "{line:?}: {}",
            err.reason
        );
    }
}

#[test]
fn mailbox_names() {
    run(vec![
        ("a SELECT inbox\r\n", C::Select(mbox("INBOX"))),
        ("a SELECT \"InBoX\"\r\n", C::Select(mbox("INBOX"))),
        ("a SELECT inbox/Sub\r\n", C::Select(mbox("INBOX/Sub"))),
        ("a SELECT inbox-old\r\n", C::Select(mbox("inbox-old"))),
        ("a SELECT \"My Mail\"\r\n", C::Select(mbox("My Mail"))),
        (
            "a CREATE Entw&APw-rfe\r\n",
            C::Create(mbox("Entw\u{fc}rfe")),
        ),
        (
            "a CREATE ~peter/mail/&U,BTFw-/&ZeVnLIqe-\r\n",
            C::Create(mbox(
                "~peter/mail/\u{53f0}\u{5317}/\u{65e5}\u{672c}\u{8a9e}",
            )),
        ),
        ("a CREATE \"a&-b\"\r\n", C::Create(mbox("a&b"))),
        ("a DELETE {3}\r\nfoo\r\n", C::Delete(mbox("foo"))),
        (
            "a RENAME \"a b\" c]\r\n",
            C::Rename(mbox("a b"), mbox("c]")),
        ),
        (
            "a LIST \"\" \"%/&APw-*\"\r\n",
            C::List {
                reference: "".into(),
                pattern: "%/\u{fc}*".into(),
            },
        ),
        (
            "a LIST inbox foo]%\r\n",
            C::List {
                reference: "inbox".into(),
                pattern: "foo]%".into(),
            },
        ),
        (
            "a LSUB {0}\r\n {1}\r\n*\r\n",
            C::Lsub {
                reference: "".into(),
                pattern: "*".into(),
            },
        ),
    ]);
}

#[test]
fn fetch_attributes() {
    use F::*;
    let fields = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    run(vec![
        (
            "A003 FETCH 4 ALL\r\n",
            fetch(
                false,
                &[(4, 4)],
                vec![Flags, InternalDate, Rfc822Size, Envelope],
            ),
        ),
        (
            "a fetch 1:* fast\r\n",
            fetch(false, &[(1, 0)], vec![Flags, InternalDate, Rfc822Size]),
        ),
        (
            "a FETCH * FULL\r\n",
            fetch(
                false,
                &[(0, 0)],
                vec![Flags, InternalDate, Rfc822Size, Envelope, Body],
            ),
        ),
        (
            "a UID FETCH 1:4,9 (UID RFC822 RFC822.HEADER RFC822.TEXT RFC822.SIZE \
             BODY BODYSTRUCTURE ENVELOPE)\r\n",
            fetch(
                true,
                &[(1, 4), (9, 9)],
                vec![
                    Uid,
                    Rfc822,
                    Rfc822Header,
                    Rfc822Text,
                    Rfc822Size,
                    Body,
                    BodyStructure,
                    Envelope,
                ],
            ),
        ),
        (
            "A283 FETCH 1 (UID INTERNALDATE FLAGS BODY.PEEK[HEADER])\r\n",
            fetch(
                false,
                &[(1, 1)],
                vec![
                    Uid,
                    InternalDate,
                    Flags,
                    body(true, &[], Some(T::Header), None),
                ],
            ),
        ),
        (
            "a FETCH 2 (BODY[] BODY.PEEK[]<0.1024> body[text]<10.5>)\r\n",
            fetch(
                false,
                &[(2, 2)],
                vec![
                    body(false, &[], None, None),
                    body(true, &[], None, Some((0, 1024))),
                    body(false, &[], Some(T::Text), Some((10, 5))),
                ],
            ),
        ),
        (
            "a FETCH 3 (BODY[1] BODY[1.2.3] BODY[2.MIME] BODY[4.1.HEADER] BODY.PEEK[3.TEXT])\r\n",
            fetch(
                false,
                &[(3, 3)],
                vec![
                    body(false, &[1], None, None),
                    body(false, &[1, 2, 3], None, None),
                    body(false, &[2], Some(T::Mime), None),
                    body(false, &[4, 1], Some(T::Header), None),
                    body(true, &[3], Some(T::Text), None),
                ],
            ),
        ),
        (
            "a FETCH 4 (BODY.PEEK[HEADER.FIELDS.NOT (Received \"X-Spam\")] \
             BODY[1.HEADER.FIELDS (Subject)])\r\n",
            fetch(
                false,
                &[(4, 4)],
                vec![
                    body(
                        true,
                        &[],
                        Some(T::HeaderFieldsNot(fields(&["Received", "X-Spam"]))),
                        None,
                    ),
                    body(
                        false,
                        &[1],
                        Some(T::HeaderFields(fields(&["Subject"]))),
                        None,
                    ),
                ],
            ),
        ),
        ("a FETCH 5 body\r\n", fetch(false, &[(5, 5)], vec![Body])),
    ]);
}

#[test]
fn store_forms() {
    let kw = |s: &str| Flag::Keyword(s.into());
    run(vec![
        (
            "a STORE 1:* FLAGS (\\Seen)\r\n",
            store(false, StoreMode::Replace, false, vec![Flag::Seen]),
        ),
        (
            "a STORE 1:* +FLAGS.SILENT (\\Answered $Forwarded)\r\n",
            store(
                false,
                StoreMode::Add,
                true,
                vec![Flag::Answered, kw("$Forwarded")],
            ),
        ),
        (
            "a UID STORE 1:* -flags \\deleted \\Flagged\r\n",
            store(
                true,
                StoreMode::Remove,
                false,
                vec![Flag::Deleted, Flag::Flagged],
            ),
        ),
        (
            "a STORE 1:* FLAGS ()\r\n",
            store(false, StoreMode::Replace, false, vec![]),
        ),
        (
            "a STORE 1:* flags.silent (\\Draft \\Recent \\X-Ext)\r\n",
            store(
                false,
                StoreMode::Replace,
                true,
                vec![Flag::Draft, Flag::Recent, Flag::Extension("X-Ext".into())],
            ),
        ),
    ]);
}

#[test]
fn search_keys() {
    let s = |x: &str| b(x);
    let every_simple = "ALL ANSWERED DELETED DRAFT FLAGGED NEW OLD RECENT SEEN UNANSWERED \
                        UNDELETED UNDRAFT UNFLAGGED UNSEEN";
    let simple = vec![
        K::All,
        K::Answered,
        K::Deleted,
        K::Draft,
        K::Flagged,
        K::New,
        K::Old,
        K::Recent,
        K::Seen,
        K::Unanswered,
        K::Undeleted,
        K::Undraft,
        K::Unflagged,
        K::Unseen,
    ];
    let every_simple_cmd = format!("a SEARCH {every_simple}\r\n");
    run(vec![
        (every_simple_cmd.as_str(), ascii(simple)),
        (
            "a SEARCH BCC a BODY \"b c\" CC {1}\r\nc FROM d SUBJECT e TEXT f TO g\r\n",
            ascii(vec![
                K::Bcc(s("a")),
                K::Body(s("b c")),
                K::Cc(s("c")),
                K::From(s("d")),
                K::Subject(s("e")),
                K::Text(s("f")),
                K::To(s("g")),
            ]),
        ),
        (
            "a SEARCH BEFORE 1-Feb-1994 ON \"01-mar-2000\" SINCE 31-Dec-1999 \
             SENTBEFORE \"3-Jan-2001\" SENTON 29-Feb-2004 SENTSINCE 9-Sep-2009\r\n",
            ascii(vec![
                K::Before(date(1994, 2, 1)),
                K::On(date(2000, 3, 1)),
                K::Since(date(1999, 12, 31)),
                K::SentBefore(date(2001, 1, 3)),
                K::SentOn(date(2004, 2, 29)),
                K::SentSince(date(2009, 9, 9)),
            ]),
        ),
        (
            "a SEARCH LARGER 4096 SMALLER 0 KEYWORD $Junk UNKEYWORD NonJunk \
             HEADER Message-ID \"<x@y>\" HEADER X-Empty \"\"\r\n",
            ascii(vec![
                K::Larger(4096),
                K::Smaller(0),
                K::Keyword("$Junk".into()),
                K::Unkeyword("NonJunk".into()),
                K::Header("Message-ID".into(), s("<x@y>")),
                K::Header("X-Empty".into(), s("")),
            ]),
        ),
        (
            "A301 UID SEARCH 1:100 UID 443:557\r\n",
            search(
                true,
                SearchCharset::UsAscii,
                vec![K::SequenceSet(set(&[(1, 100)])), K::Uid(set(&[(443, 557)]))],
            ),
        ),
        (
            "a SEARCH OR (SEEN FLAGGED) NOT (OR 1:3 *) NOT NOT UNSEEN\r\n",
            ascii(vec![
                K::Or(
                    Box::new(K::And(vec![K::Seen, K::Flagged])),
                    Box::new(K::Not(Box::new(K::And(vec![K::Or(
                        Box::new(K::SequenceSet(set(&[(1, 3)]))),
                        Box::new(K::SequenceSet(set(&[(0, 0)]))),
                    )])))),
                ),
                K::Not(Box::new(K::Not(Box::new(K::Unseen)))),
            ]),
        ),
        ("a SEARCH CHARSET us-ascii ALL\r\n", ascii(vec![K::All])),
        (
            "B283 SEARCH CHARSET KOI8-R SUBJECT x\r\n",
            search(
                false,
                SearchCharset::Other("KOI8-R".into()),
                vec![K::Subject(s("x"))],
            ),
        ),
        (
            "P283 SEARCH CHARSET UTF-8 (OR 2 1,3000:3021) TEXT {8+}\r\n\u{436}\u{438}\u{437}\u{43d}\r\n",
            search(
                false,
                SearchCharset::Utf8,
                vec![
                    K::And(vec![K::Or(
                        Box::new(K::SequenceSet(set(&[(2, 2)]))),
                        Box::new(K::SequenceSet(set(&[(1, 1), (3000, 3021)]))),
                    )]),
                    K::Text("\u{436}\u{438}\u{437}\u{43d}".as_bytes().to_vec()),
                ],
            ),
        ),
    ]);
}
