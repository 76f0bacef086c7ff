//! Malformed commands: each is refused with a reason naming what was
//! expected, and with the tag whenever the tag itself was valid.

mod proto_common;

use proto_common::bad;

/// (input, tag reported, reason).
const CASES: &[(&[u8], Option<&str>, &str)] = &[
    (b"\r\n", None, "expected tag, found end of line"),
    (b"+a NOOP\r\n", None, "expected tag, found \"+a NOOP\""),
    (b"* NOOP\r\n", None, "expected tag, found \"* NOOP\""),
    (
        b"a\r\n",
        Some("a"),
        "expected SP after tag, found end of line",
    ),
    (
        b"a  NOOP\r\n",
        Some("a"),
        "expected command name, found \" NOOP\"",
    ),
    (b"a FROB\r\n", Some("a"), "unknown command FROB"),
    (b"a NOOP x\r\n", Some("a"), "unexpected \" x\" after NOOP"),
    (b"a NOOP \r\n", Some("a"), "unexpected \" \" after NOOP"),
    (
        b"a SELECT\r\n",
        Some("a"),
        "expected SP after SELECT, found end of line",
    ),
    (
        b"a SELECT  INBOX\r\n",
        Some("a"),
        "expected mailbox name, found \" INBOX\"",
    ),
    (
        b"a SELECT INBOX extra\r\n",
        Some("a"),
        "unexpected \" extra\" after SELECT",
    ),
    (
        b"a SELECT INBOX (CONDSTORE)\r\n",
        Some("a"),
        "unexpected \" (CONDSTORE)\" after SELECT",
    ),
    (
        b"a SELECT \"unterminated\r\n",
        Some("a"),
        "expected closing \" of quoted string, found end of line",
    ),
    (
        b"a SELECT \"bad \\n escape\"\r\n",
        Some("a"),
        "expected \" or \\ after \\ in quoted string, found \"n escape\"\"",
    ),
    (
        b"a SELECT \"\xff\xfe\"\r\n",
        Some("a"),
        "mailbox name is not valid modified UTF-7",
    ),
    (
        b"a SELECT {5}\r\nab\r\n",
        Some("a"),
        "literal shorter than announced",
    ),
    (
        b"a SELECT ~{2}\r\nab\r\n",
        Some("a"),
        "literal8 is not supported here",
    ),
    (
        b"a FETCH 0 FLAGS\r\n",
        Some("a"),
        "zero is not a valid number here",
    ),
    (
        b"a FETCH 1:0 FLAGS\r\n",
        Some("a"),
        "zero is not a valid number here",
    ),
    (
        b"a FETCH 4294967296 FLAGS\r\n",
        Some("a"),
        "number 4294967296 is too large",
    ),
    (
        b"a FETCH x FLAGS\r\n",
        Some("a"),
        "expected sequence set, found \"x FLAGS\"",
    ),
    (
        b"a FETCH 1, FLAGS\r\n",
        Some("a"),
        "expected sequence set, found \" FLAGS\"",
    ),
    (
        b"a FETCH 1 FLAG\r\n",
        Some("a"),
        "expected fetch attribute, found \"FLAG\"",
    ),
    (
        b"a FETCH 1 (FLAGS ALL)\r\n",
        Some("a"),
        "expected fetch attribute, found \"ALL)\"",
    ),
    (
        b"a FETCH 1 (FLAGS\r\n",
        Some("a"),
        "expected SP or ) in the fetch items, found end of line",
    ),
    (
        b"a FETCH 1 ()\r\n",
        Some("a"),
        "expected fetch attribute, found \")\"",
    ),
    (
        b"a FETCH 1 BODY.PEEK\r\n",
        Some("a"),
        "expected [ opening the section, found end of line",
    ),
    (
        b"a FETCH 1 BODY[MIME]\r\n",
        Some("a"),
        "expected section text (HEADER, TEXT, MIME...), found \"MIME]\"",
    ),
    (
        b"a FETCH 1 BODY[0]\r\n",
        Some("a"),
        "zero is not a valid number here",
    ),
    (
        b"a FETCH 1 BODY[1.0]\r\n",
        Some("a"),
        "zero is not a valid number here",
    ),
    (
        b"a FETCH 1 BODY[HEADER.FIELDS ()]\r\n",
        Some("a"),
        "expected header field name, found \")]\"",
    ),
    (
        b"a FETCH 1 BODY[HEADER.FIELDS (Subject {3}\r\na\0b)]\r\n",
        Some("a"),
        "NUL byte in a header field name",
    ),
    (
        b"a FETCH 1 BODY[]<1.0>\r\n",
        Some("a"),
        "zero is not a valid number here",
    ),
    (
        b"a FETCH 1 BODY[]<1>\r\n",
        Some("a"),
        "expected . in the partial range, found \">\"",
    ),
    (
        b"a STORE 1 FLAGZ (\\Seen)\r\n",
        Some("a"),
        "expected FLAGS, +FLAGS or -FLAGS, found \"FLAGZ (\\Seen)\"",
    ),
    (
        b"a STORE 1 FLAGS (\\Seen\r\n",
        Some("a"),
        "expected SP or ) in the flag list, found end of line",
    ),
    (
        b"a STORE 1 FLAGS\r\n",
        Some("a"),
        "expected SP after the store item, found end of line",
    ),
    (
        b"a SEARCH\r\n",
        Some("a"),
        "expected SP after SEARCH, found end of line",
    ),
    (
        b"a SEARCH FOO\r\n",
        Some("a"),
        "expected search key, found \"FOO\"",
    ),
    (
        b"a SEARCH SINCE 1-Foo-2000\r\n",
        Some("a"),
        "expected month name, found \"Foo-2000\"",
    ),
    (b"a SEARCH SINCE 31-Feb-2000\r\n", Some("a"), "no such date"),
    (
        b"a SEARCH SINCE 1-Feb-99\r\n",
        Some("a"),
        "expected 4-digit year, found \"99\"",
    ),
    (
        b"a SEARCH SINCE \"1-Feb-1999\r\n",
        Some("a"),
        "expected \" closing the date, found end of line",
    ),
    (
        b"a SEARCH OR SEEN\r\n",
        Some("a"),
        "expected SP after the first OR key, found end of line",
    ),
    (
        b"a SEARCH (SEEN\r\n",
        Some("a"),
        "expected SP or ) in the search key list, found end of line",
    ),
    (
        b"a SEARCH CHARSET\r\n",
        Some("a"),
        "expected SP after CHARSET, found end of line",
    ),
    (
        b"a SEARCH LARGER x\r\n",
        Some("a"),
        "expected number, found \"x\"",
    ),
    (
        b"a SEARCH $ SMALLER 4096\r\n",
        Some("a"),
        "expected search key, found \"$ SMALLER 4096\"",
    ),
    (
        b"a SEARCH RETURN (MIN) ALL\r\n",
        Some("a"),
        "expected search key, found \"RETURN (MIN) ALL\"",
    ),
    (b"a UID FROB 1\r\n", Some("a"), "UID FROB is not a command"),
    (
        b"a UID EXPUNGE\r\n",
        Some("a"),
        "expected SP after UID EXPUNGE, found end of line",
    ),
    (
        b"a STATUS INBOX (MESSAGES HIGHESTMODSEQ)\r\n",
        Some("a"),
        "expected status item, found \"HIGHESTMODSEQ)\"",
    ),
    (
        b"a STATUS INBOX ()\r\n",
        Some("a"),
        "expected status item, found \")\"",
    ),
    (
        b"a APPEND INBOX\r\n",
        Some("a"),
        "expected SP after the mailbox name, found end of line",
    ),
    (
        b"a APPEND INBOX \"hello\"\r\n",
        Some("a"),
        "expected date (d-Mon-yyyy), found \"hello\"\"",
    ),
    (
        b"a APPEND INBOX (\\Seen) \"1-Jan-2000 25:00:00 +0000\" {0}\r\n\r\n",
        Some("a"),
        "no such time",
    ),
    (
        b"a APPEND INBOX \"1-Jan-2000 10:00:00 0000\" {0}\r\n\r\n",
        Some("a"),
        "expected time zone (+hhmm or -hhmm), found \"0000\" {0}\"",
    ),
    (
        b"a APPEND INBOX ~{1}\r\nx\r\n",
        Some("a"),
        "literal8 (BINARY) is not supported",
    ),
    (
        b"a APPEND INBOX (\\Seen) x\r\n",
        Some("a"),
        "expected message literal, found \"x\"",
    ),
    (
        b"a LOGIN a\r\n",
        Some("a"),
        "expected SP after the user name, found end of line",
    ),
    (
        b"a LOGIN \"\xff\" b\r\n",
        Some("a"),
        "user name is not UTF-8",
    ),
    (
        b"a AUTHENTICATE\r\n",
        Some("a"),
        "expected SP after AUTHENTICATE, found end of line",
    ),
    (
        b"a AUTHENTICATE PLAIN !!\r\n",
        Some("a"),
        "expected base64 initial response, found \"!!\"",
    ),
    (
        b"a ENABLE\r\n",
        Some("a"),
        "expected SP and a capability name, found end of line",
    ),
    (
        b"a ID\r\n",
        Some("a"),
        "expected SP after ID, found end of line",
    ),
    (
        b"a ID (\"name\")\r\n",
        Some("a"),
        "expected SP after the ID field name, found \")\"",
    ),
    (
        b"a ID (name \"x\")\r\n",
        Some("a"),
        "expected ID field name, found \"name \"x\")\"",
    ),
    (
        b"a LIST \"\"\r\n",
        Some("a"),
        "expected SP after the reference name, found end of line",
    ),
    (
        b"a LIST \"\" (\r\n",
        Some("a"),
        "expected mailbox pattern, found \"(\"",
    ),
    (
        b"a NOOP\r\nb NOOP\r\n",
        Some("a"),
        "unexpected data after the end of NOOP",
    ),
];

#[test]
fn malformed_commands_get_reasons() {
    let mut failures = Vec::new();
    for &(input, tag, reason) in CASES {
        let got = bad(input, tag);
        if got != reason {
            failures.push(format!(
                "{:?}\n   got: {got}\n  want: {reason}",
                String::from_utf8_lossy(input)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn search_nesting_is_bounded() {
    let deep = format!("a SEARCH {}ALL\r\n", "NOT ".repeat(10_000));
    assert_eq!(
        bad(deep.as_bytes(), Some("a")),
        "search keys nested too deeply"
    );
    let parens = format!(
        "a SEARCH {}ALL{}\r\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert_eq!(
        bad(parens.as_bytes(), Some("a")),
        "search keys nested too deeply"
    );
}
