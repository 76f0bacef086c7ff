//! Properties: parse(encode(cmd)) == cmd for generated commands, and the
//! framer gives the same frames however the input is split.

use asimap::proto::encode::encode;
use asimap::proto::framer::{Frame, Framer, Limits};
use asimap::proto::parse::command;
use asimap::proto::types::{
    Command, CommandBody as C, FetchAttr, Flag, MailboxName, SearchCharset, SearchKey as K, Secret,
    Section, SectionText, SeqNum, SequenceSet, StatusItem, StoreMode, Tag,
};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use proptest::prelude::*;

fn tag() -> impl Strategy<Value = Tag> {
    "[A-Za-z0-9.\\]_-]{1,8}".prop_map(|s| Tag::new(&s).unwrap())
}

/// Any text, with a bias towards the characters that need quoting or
/// encoding.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9]{0,12}",
        "[ -~]{0,12}",
        "[a-z&\"\\\\ /%*\u{e9}\u{fc}\u{65e5}\u{1f600}]{0,10}",
        any::<String>(),
    ]
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        text().prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..16)
    ]
}

fn atom() -> impl Strategy<Value = String> {
    "[A-Za-z0-9$._:+-]{1,10}"
}

fn mailbox() -> impl Strategy<Value = MailboxName> {
    prop_oneof![
        Just(MailboxName::from_utf8("INBOX")),
        "(inbox|InBox)/[a-z]{1,5}".prop_map(|s| MailboxName::from_utf8(&s)),
        text().prop_map(|s| MailboxName::from_utf8(&s)),
    ]
}

fn seq_num() -> impl Strategy<Value = SeqNum> {
    prop_oneof![1 => Just(SeqNum::Largest), 4 => (1u32..).prop_map(SeqNum::Value)]
}

fn set() -> impl Strategy<Value = SequenceSet> {
    prop::collection::vec((seq_num(), seq_num()), 1..4).prop_map(SequenceSet)
}

fn flag() -> impl Strategy<Value = Flag> {
    prop_oneof![
        Just(Flag::Answered),
        Just(Flag::Flagged),
        Just(Flag::Deleted),
        Just(Flag::Seen),
        Just(Flag::Draft),
        Just(Flag::Recent),
        atom().prop_map(Flag::Keyword),
        "X[a-z]{1,5}".prop_map(Flag::Extension),
    ]
}

fn flags() -> impl Strategy<Value = Vec<Flag>> {
    prop::collection::vec(flag(), 0..4)
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (0i32..=9999, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

fn date_time() -> impl Strategy<Value = DateTime<FixedOffset>> {
    (date(), 0u32..86400, -(23 * 60 + 59)..=(23i32 * 60 + 59)).prop_map(|(d, secs, zone)| {
        let time = chrono::NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).unwrap();
        let zone = FixedOffset::east_opt(zone * 60).unwrap();
        NaiveDateTime::new(d, time)
            .and_local_timezone(zone)
            .unwrap()
    })
}

fn names() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(text(), 1..3)
}

fn section() -> impl Strategy<Value = Section> {
    let part = prop::collection::vec(1u32..20, 0..3);
    let text = prop_oneof![
        Just(None),
        Just(Some(SectionText::Header)),
        Just(Some(SectionText::Text)),
        Just(Some(SectionText::Mime)),
        names().prop_map(|n| Some(SectionText::HeaderFields(n))),
        names().prop_map(|n| Some(SectionText::HeaderFieldsNot(n))),
    ];
    (part, text).prop_map(|(part, mut text)| {
        if part.is_empty() && text == Some(SectionText::Mime) {
            text = None;
        }
        Section { part, text }
    })
}

fn fetch_attr() -> impl Strategy<Value = FetchAttr> {
    use FetchAttr::*;
    prop_oneof![
        prop::sample::select(vec![
            Envelope,
            Flags,
            InternalDate,
            Rfc822,
            Rfc822Header,
            Rfc822Size,
            Rfc822Text,
            Body,
            BodyStructure,
            Uid,
        ]),
        (
            any::<bool>(),
            section(),
            prop::option::of((any::<u32>(), 1u32..))
        )
            .prop_map(|(peek, section, partial)| BodySection {
                peek,
                section,
                partial
            }),
    ]
}

fn search_key() -> impl Strategy<Value = K> {
    let leaf = prop_oneof![
        prop::sample::select(vec![
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
        ]),
        bytes().prop_map(K::Bcc),
        bytes().prop_map(K::Body),
        bytes().prop_map(K::Subject),
        bytes().prop_map(K::Text),
        date().prop_map(K::Before),
        date().prop_map(K::SentOn),
        any::<u32>().prop_map(K::Larger),
        atom().prop_map(K::Keyword),
        atom().prop_map(K::Unkeyword),
        (text(), bytes()).prop_map(|(f, v)| K::Header(f, v)),
        set().prop_map(K::Uid),
        set().prop_map(K::SequenceSet),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|k| K::Not(Box::new(k))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| K::Or(Box::new(a), Box::new(b))),
            prop::collection::vec(inner, 1..3).prop_map(K::And),
        ]
    })
}

fn body() -> impl Strategy<Value = C> {
    let simple = prop::sample::select(vec![
        C::Capability,
        C::Noop,
        C::Logout,
        C::Namespace,
        C::StartTls,
        C::Check,
        C::Close,
        C::Unselect,
        C::Expunge,
        C::Idle,
    ]);
    let charset = prop_oneof![
        Just(SearchCharset::UsAscii),
        Just(SearchCharset::Utf8),
        "X-[A-Z0-9]{1,6}".prop_map(SearchCharset::Other),
    ];
    let status = prop::collection::vec(
        prop::sample::select(vec![
            StatusItem::Messages,
            StatusItem::Recent,
            StatusItem::UidNext,
            StatusItem::UidValidity,
            StatusItem::Unseen,
            StatusItem::Size,
        ]),
        1..4,
    );
    let mode = prop::sample::select(vec![StoreMode::Replace, StoreMode::Add, StoreMode::Remove]);
    prop_oneof![
        simple,
        prop::option::of(prop::collection::vec(
            (text(), prop::option::of(text())),
            0..3
        ))
        .prop_map(C::Id),
        prop::collection::vec(atom().prop_map(|a| a.to_ascii_uppercase()), 1..3)
            .prop_map(C::Enable),
        (text(), bytes()).prop_map(|(user, p)| C::Login {
            user,
            password: Secret(p)
        }),
        (
            "[A-Z0-9-]{1,10}",
            prop::option::of("[A-Za-z0-9+/]{0,8}={0,2}".prop_filter("", |s| !s.is_empty()))
        )
            .prop_map(|(mechanism, i)| C::Authenticate {
                mechanism,
                initial: i.map(|s| Secret(s.into_bytes()))
            }),
        mailbox().prop_map(C::Select),
        mailbox().prop_map(C::Examine),
        mailbox().prop_map(C::Create),
        mailbox().prop_map(C::Delete),
        (mailbox(), mailbox()).prop_map(|(a, b)| C::Rename(a, b)),
        mailbox().prop_map(C::Subscribe),
        mailbox().prop_map(C::Unsubscribe),
        (text(), text()).prop_map(|(reference, pattern)| C::List { reference, pattern }),
        (text(), text()).prop_map(|(reference, pattern)| C::Lsub { reference, pattern }),
        (mailbox(), status).prop_map(|(m, s)| C::Status(m, s)),
        (
            mailbox(),
            flags(),
            prop::option::of(date_time()),
            prop::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(mailbox, flags, date, message)| C::Append {
                mailbox,
                flags,
                date,
                message
            }),
        set().prop_map(C::UidExpunge),
        (
            any::<bool>(),
            charset,
            prop::collection::vec(search_key(), 1..4)
        )
            .prop_map(|(uid, charset, keys)| C::Search {
                uid,
                charset,
                key: K::And(keys)
            }),
        (
            any::<bool>(),
            set(),
            prop::collection::vec(fetch_attr(), 1..4)
        )
            .prop_map(|(uid, set, attrs)| C::Fetch { uid, set, attrs }),
        (any::<bool>(), set(), mode, any::<bool>(), flags()).prop_map(
            |(uid, set, mode, silent, flags)| C::Store {
                uid,
                set,
                mode,
                silent,
                flags
            }
        ),
        (any::<bool>(), set(), mailbox()).prop_map(|(uid, set, mailbox)| C::Copy {
            uid,
            set,
            mailbox
        }),
        (any::<bool>(), set(), mailbox()).prop_map(|(uid, set, mailbox)| C::Move {
            uid,
            set,
            mailbox
        }),
    ]
}

/// The frames of `input` pushed in the given chunk sizes (cycled).
fn frames(input: &[u8], chunks: &[usize], limits: Limits) -> Vec<Frame> {
    let mut framer = Framer::new(limits);
    let mut out = Vec::new();
    let mut rest = input;
    for &n in chunks.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (piece, tail) = rest.split_at(n.clamp(1, rest.len()));
        framer.push(piece);
        out.extend(std::iter::from_fn(|| framer.next_frame()));
        rest = tail;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_of_encode_is_identity(tag in tag(), body in body()) {
        let cmd = Command { tag, body };
        let wire = encode(&cmd);
        let parsed = command(&wire);
        prop_assert_eq!(parsed, Ok(cmd.clone()), "{}", String::from_utf8_lossy(&wire));
        // The encoded command is exactly one frame (after its Continues).
        let got = frames(&wire, &[wire.len()], Limits::default());
        prop_assert_eq!(got.last(), Some(&Frame::Command(wire.clone())));
        let bytewise = frames(&wire, &[1], Limits::default());
        prop_assert_eq!(bytewise, got);
    }

    #[test]
    fn framing_does_not_depend_on_the_split(
        parts in prop::collection::vec(prop_oneof![
            Just(b"a NOOP\r\n".to_vec()),
            Just(b"b LOGIN {3}\r\n".to_vec()),
            Just(b"{5+}\r\n".to_vec()),
            Just(b"{40+}\n".to_vec()),
            Just(b"{99}\r\n".to_vec()),
            Just(b"xyz".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"\n".to_vec()),
            Just(vec![b'q'; 50]),
            prop::collection::vec(any::<u8>(), 0..10),
        ], 0..20),
        chunks in prop::collection::vec(1usize..9, 1..5),
    ) {
        let input = parts.concat();
        let limits = Limits { max_line: 40, max_literal: 30 };
        let whole = frames(&input, &[input.len().max(1)], limits);
        prop_assert_eq!(frames(&input, &chunks, limits), whole.clone());
        for frame in whole {
            if let Frame::Command(bytes) = frame {
                let _ = command(&bytes);
            }
        }
    }

    #[test]
    fn bad_reasons_are_safe_to_echo(
        input in prop::collection::vec(prop_oneof![
            Just(b"a ".to_vec()),
            Just(b"FETCH ".to_vec()),
            Just(b"SEARCH ".to_vec()),
            Just(b"\"\r\n".to_vec()),
            Just(b"{3}\r\n".to_vec()),
            prop::collection::vec(any::<u8>(), 0..8),
        ], 0..8),
    ) {
        if let Err(e) = command(&input.concat()) {
            prop_assert!(!e.reason.is_empty());
            prop_assert!(e.reason.bytes().all(|b| (0x20..0x7f).contains(&b)), "{:?}", e.reason);
            if let Some(tag) = e.tag {
                prop_assert!(tag.bytes().all(|b| b.is_ascii_graphic()));
            }
        }
    }
}
