//! FETCH through the real asimap-stdio: every attribute, sections and
//! partials including inside message/rfc822, BODY.PEEK labelled BODY (24),
//! UID once (24), INTERNALDATE format (22), bytes served from the file with
//! LF turned into CRLF (20), 8-bit and NUL bytes within framing (23, 25),
//! implicit \Seen.

mod common;

use common::{MhTree, Value, crlf, wire};

const PLAIN: &str = "From: Maria Lopez <maria@example.org>\n\
To: Sam Carter <sam@example.net>, team@example.org\n\
Cc: \"Ops, IT\" <ops@example.org>\n\
Subject: He said \"hi\" \\o/\n\
Date: Thu, 5 Mar 2026 10:04:05 +0100\n\
Message-ID: <f1@test>\n\
In-Reply-To: <f0@test>\n\
MIME-Version: 1.0\n\
Content-Type: text/plain; charset=us-ascii\n\
\n\
Line one.\n\
Line two.\n";

const MULTIPART: &str = "From: a@example.org\n\
To: b@example.org\n\
Subject: Forward test\n\
Date: Sun, 15 Mar 2026 23:59:58 +0000\n\
Message-ID: <f2@test>\n\
MIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=\"xyz\"\n\
\n\
preamble\n\
--xyz\n\
Content-Type: text/plain; charset=utf-8\n\
Content-Transfer-Encoding: quoted-printable\n\
\n\
Gr=C3=BC=C3=9Fe\n\
--xyz\n\
Content-Type: message/rfc822\n\
\n\
From: inner@example.org\n\
Subject: Inner\n\
Message-ID: <inner@test>\n\
Content-Type: text/plain\n\
\n\
Inner body.\n\
--xyz--\n";

const HEADERS_ONLY: &str = "From: x@example.org\nSubject: No body\nMessage-ID: <f4@test>\n";

/// Message 3: raw UTF-8 in a header, NUL and 0xFF in the body, and a line
/// that looks like a tagged response.
fn eight_bit() -> Vec<u8> {
    let mut m = b"From: x@example.org\nSubject: Gr\xc3\xbc\xc3\x9fe raw\nMessage-ID: <f3@test>\n\
Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n"
        .to_vec();
    m.extend_from_slice(b"caf\xc3\xa9 \x00 nul \xff byte\nt9 OK fake tagged line\n)\n");
    m
}

fn tree() -> MhTree {
    let tree = MhTree::new();
    let p1 = tree.write_msg("inbox", 1, PLAIN);
    tree.set_mtime_secs(&p1, 1772701445); // 2026-03-05 09:04:05 UTC
    let p2 = tree.write_msg("inbox", 2, MULTIPART);
    tree.set_mtime_secs(&p2, 1773619198); // 2026-03-15 23:59:58 UTC
    tree.write_msg("inbox", 3, eight_bit());
    tree.write_msg("inbox", 4, HEADERS_ONLY);
    tree.write_sequences("inbox", "unseen: 1-4\n");
    tree
}

#[test]
fn internaldate_has_a_space_padded_day() {
    // Pitfall 22: exactly "dd-Mon-yyyy hh:mm:ss +zzzz", day padded with a space.
    let tree = tree();
    let t = tree.run_script("a1 EXAMINE INBOX\r\na2 FETCH 1:2 INTERNALDATE\r\na3 LOGOUT\r\n");
    let r = t.reply("a2");
    let d1 = r.fetch(1).get("INTERNALDATE").bytes().to_vec();
    let d2 = r.fetch(2).get("INTERNALDATE").bytes().to_vec();
    assert_eq!(String::from_utf8(d1).unwrap(), " 5-Mar-2026 09:04:05 +0000");
    assert_eq!(String::from_utf8(d2).unwrap(), "15-Mar-2026 23:59:58 +0000");
    let raw = t.text();
    assert!(
        raw.contains("INTERNALDATE \" 5-Mar-2026 09:04:05 +0000\""),
        "{raw}"
    );
}

#[test]
fn body_and_size_are_the_file_with_lf_turned_into_crlf() {
    // Pitfall 20.
    let tree = tree();
    let script = "a1 EXAMINE INBOX\r\n\
                  a2 FETCH 1:4 (RFC822.SIZE BODY.PEEK[])\r\n\
                  a3 FETCH 1:4 RFC822\r\na4 LOGOUT\r\n";
    let t = tree.run_script(script);
    let peek = t.reply("a2");
    let full = t.reply("a3");
    for n in 1..=4 {
        let want = wire(&tree.read_msg("inbox", n));
        let f = peek.fetch(n);
        assert_eq!(f.get("BODY[]").bytes(), want.as_slice(), "message {n}");
        assert_eq!(
            f.get("RFC822.SIZE").num() as usize,
            want.len(),
            "message {n}"
        );
        assert_eq!(
            full.fetch(n).get("RFC822").bytes(),
            want.as_slice(),
            "message {n}"
        );
    }
}

#[test]
fn body_peek_is_answered_as_body() {
    // Pitfall 24.
    let tree = tree();
    let t = tree.run_script(
        "a1 SELECT INBOX\r\na2 FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT]<0.4>)\r\n\
         a3 LOGOUT\r\n",
    );
    let r = t.reply("a2");
    let f = r.fetch(1);
    assert_eq!(
        f.get("BODY[HEADER.FIELDS (SUBJECT)]").bytes(),
        b"Subject: He said \"hi\" \\o/\r\n\r\n"
    );
    assert_eq!(f.get("BODY[TEXT]<0>").bytes(), b"Line");
    assert!(
        !t.text().to_ascii_uppercase().contains("PEEK"),
        "{}",
        t.text()
    );
}

#[test]
fn uid_appears_once_in_a_uid_fetch_reply() {
    // Pitfall 24.
    let tree = tree();
    let t = tree.run_script(
        "a1 EXAMINE INBOX\r\na2 UID FETCH 1:* (UID FLAGS)\r\na3 UID FETCH 1:* FLAGS\r\na4 LOGOUT\r\n",
    );
    for tag in ["a2", "a3"] {
        let r = t.reply(tag);
        assert_eq!(r.fetches().len(), 4, "{r}");
        for (_, f) in r.fetches() {
            assert_eq!(f.count("UID"), 1, "{tag}: {:?}", f.names());
        }
    }
}

#[test]
fn envelope_fields_are_quoted_and_structured() {
    // Pitfall 23: quotes and backslashes in a subject survive.
    let tree = tree();
    let t = tree.run_script("a1 EXAMINE INBOX\r\na2 FETCH 1 ENVELOPE\r\na3 LOGOUT\r\n");
    let env = t.reply("a2").fetch(1).get("ENVELOPE").clone();
    assert_eq!(env.as_list().len(), 10, "{env:?}");
    assert_eq!(env.at(0).text(), "Thu, 5 Mar 2026 10:04:05 +0100");
    assert_eq!(env.at(1).bytes(), b"He said \"hi\" \\o/");
    let from = env.at(2).at(0);
    assert_eq!(from.at(0).text(), "Maria Lopez");
    assert_eq!(
        (from.at(2).text(), from.at(3).text()),
        ("maria".into(), "example.org".into())
    );
    // Sender and Reply-To default to From.
    assert_eq!(env.at(3), env.at(2));
    assert_eq!(env.at(4), env.at(2));
    assert_eq!(env.at(5).as_list().len(), 2, "two To addresses");
    assert_eq!(env.at(6).at(0).at(0).text(), "Ops, IT");
    assert!(env.at(7).is_nil(), "no Bcc");
    assert_eq!(env.at(8).text(), "<f0@test>");
    assert_eq!(env.at(9).text(), "<f1@test>");
}

#[test]
fn sections_and_partials_address_parts_and_nested_messages() {
    let tree = tree();
    let script = "a1 EXAMINE INBOX\r\n\
        a2 FETCH 2 (BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[2] BODY.PEEK[2.HEADER] \
        BODY.PEEK[2.TEXT] BODY.PEEK[2.1] BODY.PEEK[HEADER.FIELDS (SUBJECT TO)] \
        BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT TO DATE MESSAGE-ID MIME-VERSION CONTENT-TYPE)] \
        BODY.PEEK[]<0.6> BODY.PEEK[]<100000.10> BODY.PEEK[2.HEADER.FIELDS (SUBJECT)])\r\n\
        a3 LOGOUT\r\n";
    let t = tree.run_script(script);
    let f = t.reply("a2").fetch(2);
    let s = |name: &str| String::from_utf8_lossy(f.get(name).bytes()).into_owned();
    assert_eq!(s("BODY[1]"), "Gr=C3=BC=C3=9Fe");
    assert_eq!(
        s("BODY[1.MIME]"),
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    );
    let inner_header = "From: inner@example.org\r\nSubject: Inner\r\nMessage-ID: <inner@test>\r\nContent-Type: text/plain\r\n\r\n";
    assert_eq!(s("BODY[2]"), format!("{inner_header}Inner body."));
    assert_eq!(s("BODY[2.HEADER]"), inner_header);
    assert_eq!(s("BODY[2.TEXT]"), "Inner body.");
    assert_eq!(s("BODY[2.1]"), "Inner body.");
    assert_eq!(
        s("BODY[HEADER.FIELDS (SUBJECT TO)]"),
        "To: b@example.org\r\nSubject: Forward test\r\n\r\n"
    );
    assert_eq!(
        s("BODY[HEADER.FIELDS.NOT (SUBJECT TO DATE MESSAGE-ID MIME-VERSION CONTENT-TYPE)]"),
        "From: a@example.org\r\n\r\n"
    );
    assert_eq!(s("BODY[]<0>"), "From: ");
    assert_eq!(s("BODY[]<100000>"), "", "a partial past the end is empty");
    assert_eq!(
        s("BODY[2.HEADER.FIELDS (SUBJECT)]"),
        "Subject: Inner\r\n\r\n"
    );
}

#[test]
fn rfc822_header_and_text_split_at_the_blank_line() {
    let tree = tree();
    let t = tree.run_script(
        "a1 EXAMINE INBOX\r\na2 FETCH 1 (RFC822.HEADER RFC822.TEXT BODY.PEEK[HEADER])\r\na3 LOGOUT\r\n",
    );
    let f = t.reply("a2").fetch(1);
    let whole = crlf(PLAIN.as_bytes());
    let split = whole.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(f.get("RFC822.HEADER").bytes(), &whole[..split]);
    assert_eq!(f.get("BODY[HEADER]").bytes(), &whole[..split]);
    assert_eq!(f.get("RFC822.TEXT").bytes(), &whole[split..]);
}

#[test]
fn bodystructure_of_a_multipart_with_a_forward_has_extension_data() {
    let tree = tree();
    let t = tree.run_script("a1 EXAMINE INBOX\r\na2 FETCH 2 (BODYSTRUCTURE BODY)\r\na3 LOGOUT\r\n");
    let f = t.reply("a2").fetch(2);
    let bs = f.get("BODYSTRUCTURE").as_list().to_vec();
    let text = &bs[0];
    assert_eq!(text.at(0).text().to_ascii_uppercase(), "TEXT");
    assert_eq!(text.at(1).text().to_ascii_uppercase(), "PLAIN");
    let params: Vec<String> = text
        .at(2)
        .as_list()
        .iter()
        .map(|v| v.text().to_ascii_lowercase())
        .collect();
    assert_eq!(params, ["charset", "utf-8"]);
    assert_eq!(text.at(5).text().to_ascii_uppercase(), "QUOTED-PRINTABLE");
    assert_eq!(text.at(6).num(), 15, "size of the part body in octets");
    let fwd = &bs[1];
    assert_eq!(fwd.at(0).text().to_ascii_uppercase(), "MESSAGE");
    assert_eq!(fwd.at(1).text().to_ascii_uppercase(), "RFC822");
    assert_eq!(
        fwd.at(7).as_list().len(),
        10,
        "envelope of the inner message"
    );
    assert_eq!(fwd.at(7).at(1).text(), "Inner");
    assert_eq!(fwd.at(8).at(0).text().to_ascii_uppercase(), "TEXT");
    assert_eq!(bs[2].text().to_ascii_uppercase(), "MIXED");
    let ext: Vec<String> = bs[3]
        .as_list()
        .iter()
        .map(|v| v.text().to_ascii_lowercase())
        .collect();
    assert_eq!(ext, ["boundary", "xyz"], "extension data: body parameters");

    let body = f.get("BODY").as_list().to_vec();
    assert_eq!(body[2].text().to_ascii_uppercase(), "MIXED");
    assert_eq!(body.len(), 3, "BODY carries no extension data: {body:?}");
}

#[test]
fn eight_bit_and_nul_bytes_never_break_framing() {
    // Pitfalls 23 and 25.
    let tree = tree();
    let t = tree.run_script(
        "a1 EXAMINE INBOX\r\na2 FETCH 3 (ENVELOPE BODYSTRUCTURE BODY.PEEK[] BODY.PEEK[TEXT])\r\n\
         a3 NOOP\r\na4 LOGOUT\r\n",
    );
    assert_eq!(t.tags(), ["a1", "a2", "a3", "a4"], "{}", t.text());
    let f = t.reply("a2").fetch(3);
    assert_eq!(f.get("BODY[]").bytes(), wire(&eight_bit()).as_slice());
    let text = f.get("BODY[TEXT]").bytes();
    assert!(
        text.starts_with(b"caf\xc3\xa9 \x80 nul \xff byte\r\n"),
        "{text:?}"
    );
    let subject = f.get("ENVELOPE").at(1);
    assert!(matches!(subject, Value::Str(_)), "{subject:?}");
    t.reply("a3").ok();
}

#[test]
fn a_message_without_a_body_is_served() {
    // Pitfall 25.
    let tree = tree();
    let t = tree.run_script(
        "a1 EXAMINE INBOX\r\na2 FETCH 4 (ENVELOPE BODYSTRUCTURE RFC822.SIZE BODY.PEEK[TEXT] BODY.PEEK[])\r\n\
         a3 LOGOUT\r\n",
    );
    let f = t.reply("a2").ok().fetch(4);
    assert_eq!(f.get("BODY[TEXT]").bytes(), b"");
    assert_eq!(
        f.get("BODY[]").bytes(),
        crlf(HEADERS_ONLY.as_bytes()).as_slice()
    );
    assert_eq!(f.get("ENVELOPE").at(1).text(), "No body");
}

#[test]
fn fetch_of_body_sets_seen_and_peek_does_not() {
    let tree = tree();
    let mut c = tree.client();
    c.select("INBOX");
    let r = c.ok("FETCH 1 (BODY.PEEK[] FLAGS)");
    assert!(!r.fetch(1).flags().contains(&"\\Seen".to_string()), "{r}");
    let r = c.ok("FETCH 2 BODY[TEXT]");
    let flags: Vec<String> = r
        .fetches()
        .into_iter()
        .filter_map(|(_, f)| f.try_get("FLAGS").map(|_| f.flags()))
        .flatten()
        .collect();
    assert!(
        flags.contains(&"\\Seen".to_string()),
        "FLAGS (\\Seen) should be sent:\n{r}"
    );
    let r = c.ok("FETCH 1:2 FLAGS");
    assert!(!r.fetch(1).flags().contains(&"\\Seen".to_string()));
    assert!(r.fetch(2).flags().contains(&"\\Seen".to_string()));
    c.logout();
    assert_eq!(tree.sequence("inbox", "unseen"), common::set(&[1, 3, 4]));
}

#[test]
fn fetch_macros_expand() {
    let tree = tree();
    let t = tree.run_script(
        "a1 EXAMINE INBOX\r\na2 FETCH 1 ALL\r\na3 FETCH 1 FAST\r\na4 FETCH 1 FULL\r\na5 LOGOUT\r\n",
    );
    let has = |tag: &str, names: &[&str]| {
        let f = t.reply(tag).fetch(1);
        for n in names {
            assert!(
                f.try_get(n).is_some(),
                "{tag}: {n} missing from {:?}",
                f.names()
            );
        }
    };
    has("a2", &["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"]);
    has("a3", &["FLAGS", "INTERNALDATE", "RFC822.SIZE"]);
    has(
        "a4",
        &["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
    );
}
