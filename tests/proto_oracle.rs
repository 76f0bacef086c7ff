//! imap-codec as an oracle: for commands both parsers support, both must
//! accept them and agree on what they mean. The essentials (tag, command,
//! UID, sequence set, mailboxes, store flags) are compared field by field;
//! then imap-codec's own serialisation of what it understood must parse,
//! with our parser, to exactly what we understood from the original.

use asimap::proto::parse::command;
use asimap::proto::types::{self as ours, CommandBody as C, MailboxName, SeqNum};
use asimap::proto::utf7;
use imap_codec::CommandCodec;
use imap_codec::decode::Decoder;
use imap_codec::encode::Encoder;
use imap_codec::imap_types::command::CommandBody as T;
use imap_codec::imap_types::flag::{Flag, StoreType};
use imap_codec::imap_types::mailbox::Mailbox;
use imap_codec::imap_types::sequence::{SeqOrUid, Sequence, SequenceSet};

/// What both sides must agree on.
#[derive(Debug, PartialEq, Default)]
struct Essentials {
    tag: String,
    name: String,
    uid: bool,
    set: Vec<(Option<u32>, Option<u32>)>,
    mailboxes: Vec<MailboxName>,
    store: Option<(String, bool, Vec<String>)>,
}

const COMMANDS: &[&str] = &[
    "a1 CAPABILITY\r\n",
    "a2 NOOP\r\n",
    "a3 LOGOUT\r\n",
    "a4 STARTTLS\r\n",
    "a5 LOGIN SMITH SESAME\r\n",
    "a6 LOGIN \"joe\" {6+}\r\nse cre\r\n",
    "a7 AUTHENTICATE PLAIN\r\n",
    "a8 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n",
    "a9 SELECT INBOX\r\n",
    "b1 SELECT inbox\r\n",
    "b2 EXAMINE blurdybloop\r\n",
    "b3 CREATE owatagusiam/blurdybloop\r\n",
    "b4 CREATE \"My Mail/Entw&APw-rfe\"\r\n",
    "b5 DELETE foo/bar\r\n",
    "b6 RENAME blurdybloop sarasoop\r\n",
    "b7 RENAME INBOX old-mail\r\n",
    "b8 SUBSCRIBE #news.comp.mail.mime\r\n",
    "b9 UNSUBSCRIBE \"a b\"\r\n",
    "c1 LIST \"\" *\r\n",
    "c2 LIST ~/Mail/ %\r\n",
    "c3 LSUB \"#news.\" \"comp.mail.*\"\r\n",
    "c4 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n",
    "c5 STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)\r\n",
    "c6 APPEND saved-messages (\\Seen) {5}\r\nhello\r\n",
    "c7 APPEND INBOX (\\Seen $Junk) \" 7-Feb-1994 21:52:25 -0800\" {5+}\r\nhello\r\n",
    "c8 APPEND INBOX \"17-Jul-1996 02:44:25 -0700\" {0}\r\n\r\n",
    "c9 CHECK\r\n",
    "d1 CLOSE\r\n",
    "d2 UNSELECT\r\n",
    "d3 EXPUNGE\r\n",
    "d4 UID EXPUNGE 3000:3002\r\n",
    "d5 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n",
    "d6 SEARCH CHARSET UTF-8 TEXT {6}\r\n\u{e9}t\u{e9}s\r\n",
    "d7 UID SEARCH 1:100 UID 443:557\r\n",
    "d8 SEARCH OR (SEEN FLAGGED) NOT (OR 1:3 *) LARGER 10 SMALLER 20\r\n",
    "d9 SEARCH BCC a BODY b CC c FROM d SUBJECT e TEXT f TO g HEADER X-A \"\"\r\n",
    "e1 SEARCH BEFORE 1-Feb-1994 ON 01-Mar-2000 SENTBEFORE 3-Jan-2001 SENTON 29-Feb-2004\r\n",
    "e2 SEARCH ANSWERED DELETED DRAFT NEW OLD RECENT UNANSWERED UNDELETED UNDRAFT \
     UNFLAGGED UNSEEN KEYWORD $Junk UNKEYWORD NonJunk ALL\r\n",
    "e3 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n",
    "e4 UID FETCH 4827313:4828442 FLAGS\r\n",
    "e5 FETCH 4 ALL\r\n",
    "e6 FETCH 1:* FAST\r\n",
    "e7 FETCH * FULL\r\n",
    "e8 FETCH 1,3:5 (UID RFC822 RFC822.HEADER RFC822.TEXT RFC822.SIZE BODYSTRUCTURE ENVELOPE)\r\n",
    "e9 FETCH 2 (BODY[] BODY.PEEK[]<0.1024> BODY[TEXT]<10.5> BODY[1.2.MIME])\r\n",
    "f1 FETCH 3 (BODY.PEEK[HEADER.FIELDS.NOT (Received)] BODY[4.1.HEADER] BODY[1])\r\n",
    "f2 STORE 2:4 +FLAGS (\\Deleted)\r\n",
    "f3 STORE 1:* FLAGS.SILENT (\\Seen $Forwarded)\r\n",
    "f4 UID STORE 7 -FLAGS \\Flagged \\Answered\r\n",
    "f5 COPY 2:4 MEETING\r\n",
    "f6 UID COPY 305:310 meeting\r\n",
    "f7 MOVE 1 Trash\r\n",
    "f8 UID MOVE 42:69 foo\r\n",
    "f9 IDLE\r\n",
    "g1 ENABLE CONDSTORE X-GOOD-IDEA\r\n",
    "g2 NAMESPACE\r\n",
    "g3 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"os\" NIL)\r\n",
    "g4 ID NIL\r\n",
];

/// Commands both must refuse.
const REFUSED: &[&str] = &[
    "a FETCH 0 FLAGS\r\n",
    "a FETCH 1:0 FLAGS\r\n",
    "a NOOP x\r\n",
    "a SELECT\r\n",
    "a  NOOP\r\n",
    "+a NOOP\r\n",
    "a FETCH 1 (FLAGS ALL)\r\n",
    "a FETCH 1 BODY[MIME]\r\n",
    "a STORE 1 FLAGZ (\\Seen)\r\n",
    "a SEARCH FOO\r\n",
    "a SEARCH SINCE 31-Feb-2000\r\n",
    "a LOGIN a\r\n",
    "a SELECT \"unterminated\r\n",
];

fn ours(input: &[u8]) -> Essentials {
    let cmd = command(input).unwrap_or_else(|e| panic!("{}: {e}", show(input)));
    let mut e = Essentials {
        tag: cmd.tag.as_str().into(),
        name: cmd.body.name().into(),
        ..Default::default()
    };
    let seq = |s: &ours::SequenceSet| {
        let n = |v: SeqNum| match v {
            SeqNum::Value(v) => Some(v),
            SeqNum::Largest => None,
        };
        s.0.iter().map(|&(a, b)| (n(a), n(b))).collect()
    };
    match &cmd.body {
        C::Select(m)
        | C::Examine(m)
        | C::Create(m)
        | C::Delete(m)
        | C::Subscribe(m)
        | C::Unsubscribe(m)
        | C::Status(m, _) => e.mailboxes = vec![m.clone()],
        C::Append { mailbox, .. } => e.mailboxes = vec![mailbox.clone()],
        C::Rename(a, b) => e.mailboxes = vec![a.clone(), b.clone()],
        C::UidExpunge(s) => e.set = seq(s),
        C::Search { uid, .. } => e.uid = *uid,
        C::Fetch { uid, set, .. } => (e.uid, e.set) = (*uid, seq(set)),
        C::Copy { uid, set, mailbox } | C::Move { uid, set, mailbox } => {
            (e.uid, e.set, e.mailboxes) = (*uid, seq(set), vec![mailbox.clone()]);
        }
        C::Store {
            uid,
            set,
            mode,
            silent,
            flags,
        } => {
            (e.uid, e.set) = (*uid, seq(set));
            let flags = flags
                .iter()
                .map(|f| f.to_wire().to_ascii_lowercase())
                .collect();
            e.store = Some((format!("{mode:?}"), *silent, flags));
        }
        _ => {}
    }
    e
}

fn theirs(input: &[u8]) -> (Essentials, Vec<u8>) {
    let (rest, cmd) = CommandCodec::default()
        .decode(input)
        .unwrap_or_else(|e| panic!("imap-codec refused {}: {e:?}", show(input)));
    assert!(rest.is_empty(), "imap-codec left {:?}", show(rest));
    let mut e = Essentials {
        tag: cmd.tag.inner().into(),
        name: cmd.body.name().into(),
        ..Default::default()
    };
    let seq = |s: &SequenceSet| {
        let n = |v: &SeqOrUid| match v {
            SeqOrUid::Value(v) => Some(v.get()),
            SeqOrUid::Asterisk => None,
        };
        let range = |s: &Sequence| match s {
            Sequence::Single(v) => (n(v), n(v)),
            Sequence::Range(a, b) => (n(a), n(b)),
        };
        s.0.as_ref().iter().map(range).collect()
    };
    match &cmd.body {
        T::Select { mailbox: m, .. }
        | T::Examine { mailbox: m, .. }
        | T::Create { mailbox: m }
        | T::Delete { mailbox: m }
        | T::Subscribe { mailbox: m }
        | T::Unsubscribe { mailbox: m }
        | T::Status { mailbox: m, .. }
        | T::Append { mailbox: m, .. } => e.mailboxes = vec![mailbox(m)],
        T::Rename { from, to } => e.mailboxes = vec![mailbox(from), mailbox(to)],
        T::ExpungeUid { sequence_set } => {
            e.name = "UID EXPUNGE".into();
            e.set = seq(sequence_set);
        }
        T::Search { uid, .. } => e.uid = *uid,
        T::Fetch {
            uid, sequence_set, ..
        } => (e.uid, e.set) = (*uid, seq(sequence_set)),
        T::Copy {
            uid,
            sequence_set,
            mailbox: m,
        }
        | T::Move {
            uid,
            sequence_set,
            mailbox: m,
        } => {
            (e.uid, e.set, e.mailboxes) = (*uid, seq(sequence_set), vec![mailbox(m)]);
        }
        T::Store {
            uid,
            sequence_set,
            kind,
            response,
            flags,
            ..
        } => {
            (e.uid, e.set) = (*uid, seq(sequence_set));
            let mode = match kind {
                StoreType::Replace => "Replace",
                StoreType::Add => "Add",
                StoreType::Remove => "Remove",
            };
            let silent = format!("{response:?}") == "Silent";
            let flags = flags
                .iter()
                .map(|f: &Flag| f.to_string().to_ascii_lowercase())
                .collect();
            e.store = Some((mode.into(), silent, flags));
        }
        _ => {}
    }
    (e, CommandCodec::default().encode(&cmd).dump())
}

/// imap-codec's mailbox (still modified UTF-7) as we name it.
fn mailbox(m: &Mailbox) -> MailboxName {
    match m {
        Mailbox::Inbox => MailboxName::from_utf8("INBOX"),
        Mailbox::Other(other) => {
            let raw = other.as_ref();
            let name = utf7::decode(raw).unwrap_or_else(|| String::from_utf8_lossy(raw).into());
            MailboxName::from_utf8(&name)
        }
    }
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn both_accept_and_agree() {
    for input in COMMANDS {
        let input = input.as_bytes();
        let (their_view, their_wire) = theirs(input);
        assert_eq!(ours(input), their_view, "{}", show(input));
        let reparsed = command(&their_wire)
            .unwrap_or_else(|e| panic!("{} (from {}): {e}", show(&their_wire), show(input)));
        assert_eq!(reparsed, command(input).unwrap(), "{}", show(&their_wire));
    }
}

#[test]
fn both_refuse() {
    for input in REFUSED {
        assert!(command(input.as_bytes()).is_err(), "we accepted {input:?}");
        let theirs = CommandCodec::default().decode(input.as_bytes());
        let refused = match theirs {
            Err(_) => true,
            Ok((rest, _)) => !rest.is_empty(),
        };
        assert!(refused, "imap-codec accepted {input:?}");
    }
}
