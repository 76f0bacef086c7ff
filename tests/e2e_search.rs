//! SEARCH through the real asimap-stdio: every RFC 3501 key, CHARSET UTF-8
//! and US-ASCII, BADCHARSET, header keys matching RFC 2047-decoded text,
//! BODY and TEXT matching transfer- and charset-decoded text.

mod common;

use common::{Client, MhTree};

const M1: &str = "From: Maria Lopez <maria@example.org>\n\
To: sam@example.net\n\
Cc: ops@example.org\n\
Subject: Lunch on Thursday\n\
Date: Mon, 2 Mar 2026 09:14:22 +0100\n\
Message-ID: <s1@test>\n\
\n\
Shall we try the noodle place?\n";

const M2: &str = "From: =?UTF-8?Q?J=C3=BCrgen?= <juergen@example.de>\n\
To: sam@example.net\n\
Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4=?=\n\
Date: Fri, 6 Mar 2026 08:05:33 +0100\n\
Message-ID: <s2@test>\n\
MIME-Version: 1.0\n\
Content-Type: text/plain; charset=utf-8\n\
Content-Transfer-Encoding: quoted-printable\n\
\n\
Treffen im Caf=C3=A9 am Marienplatz, viele Gr=C3=BC=C3=9Fe.\n";

const M3: &str = "From: Priya <priya@example.com>\n\
To: sam@example.net\n\
Bcc: boss@example.org\n\
Subject: Concert notes\n\
Date: Tue, 10 Mar 2026 18:40:12 +0100\n\
Message-ID: <s3@test>\n\
X-Project: apollo\n\
MIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=\"b\"\n\
\n\
--b\n\
Content-Type: text/plain\n\
\n\
See the attachment.\n\
--b\n\
Content-Type: text/plain; name=\"notes.txt\"\n\
Content-Transfer-Encoding: base64\n\
\n\
VGhlIHh5bG9waG9uZSBpcyB0dW5lZCBmb3IgdGhlIGNvbmNlcnQuCg==\n\
--b--\n";

fn m4() -> String {
    let mut m = String::from(
        "From: Claire <claire@example.fr>\n\
To: sam@example.net\n\
Subject: =?ISO-8859-1?Q?R=E9union?=\n\
Date: Wed, 11 Mar 2026 13:12:00 +0100\n\
Message-ID: <s4@test>\n\
MIME-Version: 1.0\n\
Content-Type: text/plain; charset=iso-8859-1\n\
Content-Transfer-Encoding: quoted-printable\n\
\n\
la r=E9union de printemps\n",
    );
    for _ in 0..100 {
        m.push_str("padding line to make this message larger than the others\n");
    }
    m
}

fn client() -> (MhTree, Client) {
    let tree = MhTree::new();
    let mtimes = [1772452800, 1772798400, 1773144000, 1773230400];
    let bodies = [M1.to_string(), M2.to_string(), M3.to_string(), m4()];
    for (i, (body, mtime)) in bodies.iter().zip(mtimes).enumerate() {
        let p = tree.write_msg("inbox", i as u32 + 1, body);
        tree.set_mtime_secs(&p, mtime);
    }
    tree.write_sequences(
        "inbox",
        "unseen: 2-4\nflagged: 2\nreplied: 3\nproject: 3\nDeleted: 4\nDraft: 4\n",
    );
    let mut c = tree.client();
    c.select("INBOX");
    (tree, c)
}

#[track_caller]
fn search(c: &mut Client, keys: &str) -> Vec<u32> {
    c.ok(&format!("SEARCH {keys}")).search()
}

#[test]
fn flag_keys() {
    let (_tree, mut c) = client();
    let cases: &[(&str, &[u32])] = &[
        ("ALL", &[1, 2, 3, 4]),
        ("SEEN", &[1]),
        ("UNSEEN", &[2, 3, 4]),
        ("FLAGGED", &[2]),
        ("UNFLAGGED", &[1, 3, 4]),
        ("ANSWERED", &[3]),
        ("UNANSWERED", &[1, 2, 4]),
        ("DELETED", &[4]),
        ("UNDELETED", &[1, 2, 3]),
        ("DRAFT", &[4]),
        ("UNDRAFT", &[1, 2, 3]),
        ("KEYWORD project", &[3]),
        ("UNKEYWORD project", &[1, 2, 4]),
        ("KEYWORD nosuch", &[]),
    ];
    for (keys, want) in cases {
        assert_eq!(search(&mut c, keys), *want, "SEARCH {keys}");
    }
    for keys in ["RECENT", "NEW", "OLD"] {
        search(&mut c, keys);
    }
    c.logout();
}

#[test]
fn address_and_subject_keys_are_case_insensitive_substrings() {
    let (_tree, mut c) = client();
    let cases: &[(&str, &[u32])] = &[
        ("FROM maria", &[1]),
        ("FROM \"EXAMPLE.ORG\"", &[1]),
        ("TO sam", &[1, 2, 3, 4]),
        ("CC ops", &[1]),
        ("BCC boss", &[3]),
        ("SUBJECT lunch", &[1]),
        ("SUBJECT \"LUNCH ON\"", &[1]),
        ("HEADER X-Project apollo", &[3]),
        ("HEADER X-Project \"\"", &[3]),
        ("HEADER Message-ID s2@test", &[2]),
    ];
    for (keys, want) in cases {
        assert_eq!(search(&mut c, keys), *want, "SEARCH {keys}");
    }
    c.logout();
}

#[test]
fn header_keys_match_rfc2047_decoded_text() {
    let (_tree, mut c) = client();
    let cases: &[(&str, &[u32])] = &[
        ("SUBJECT M\u{fc}nchen", &[2]),
        ("SUBJECT gr\u{fc}\u{df}e", &[2]),
        ("SUBJECT R\u{e9}union", &[4]),
        ("FROM J\u{fc}rgen", &[2]),
    ];
    for (keys, want) in cases {
        let (key, text) = keys.split_once(' ').unwrap();
        let tag = c.tag();
        let n = text.len();
        c.send(format!(
            "{tag} SEARCH CHARSET UTF-8 {key} {{{n}+}}\r\n{text}\r\n"
        ));
        assert_eq!(c.read_reply(&tag).ok().search(), *want, "SEARCH {keys}");
    }
    c.logout();
}

#[test]
fn body_and_text_match_decoded_content() {
    let (_tree, mut c) = client();
    let ascii: &[(&str, &[u32])] = &[
        ("BODY xylophone", &[3]),
        ("BODY XYLOPHONE", &[3]),
        ("BODY noodle", &[1]),
        ("BODY maria", &[]),
        ("TEXT maria", &[1]),
        ("TEXT noodle", &[1]),
        ("TEXT apollo", &[3]),
    ];
    for (keys, want) in ascii {
        assert_eq!(search(&mut c, keys), *want, "SEARCH {keys}");
    }
    for (key, text, want) in [
        ("BODY", "Caf\u{e9}", vec![2]),
        ("BODY", "r\u{e9}union", vec![4]),
        ("TEXT", "GR\u{dc}\u{df}E", vec![2]),
    ] {
        let tag = c.tag();
        let n = text.len();
        c.send(format!(
            "{tag} SEARCH CHARSET UTF-8 {key} {{{n}+}}\r\n{text}\r\n"
        ));
        assert_eq!(
            c.read_reply(&tag).ok().search(),
            want,
            "SEARCH {key} {text}"
        );
    }
    c.logout();
}

#[test]
fn date_and_size_keys() {
    let (_tree, mut c) = client();
    let cases: &[(&str, &[u32])] = &[
        ("BEFORE 5-Mar-2026", &[1]),
        ("ON 6-Mar-2026", &[2]),
        ("SINCE 10-Mar-2026", &[3, 4]),
        ("SENTBEFORE 5-Mar-2026", &[1]),
        ("SENTON 10-Mar-2026", &[3]),
        ("SENTSINCE 10-Mar-2026", &[3, 4]),
        ("LARGER 4000", &[4]),
        ("SMALLER 4000", &[1, 2, 3]),
    ];
    for (keys, want) in cases {
        assert_eq!(search(&mut c, keys), *want, "SEARCH {keys}");
    }
    c.logout();
}

#[test]
fn sets_and_boolean_combinations() {
    let (_tree, mut c) = client();
    let uids: Vec<u32> = {
        let mut f = c.ok("FETCH 1:* UID").fetches();
        f.sort_by_key(|(n, _)| *n);
        f.into_iter().map(|(_, f)| f.uid()).collect()
    };
    let cases: Vec<(String, Vec<u32>)> = vec![
        ("2:3".into(), vec![2, 3]),
        ("3:*".into(), vec![3, 4]),
        (format!("UID {}", uids[3]), vec![4]),
        ("NOT SEEN".into(), vec![2, 3, 4]),
        ("OR FLAGGED ANSWERED".into(), vec![2, 3]),
        ("(FLAGGED UNSEEN)".into(), vec![2]),
        ("OR (FROM maria) (DELETED)".into(), vec![1, 4]),
        ("UNSEEN NOT DELETED SINCE 1-Mar-2026".into(), vec![2, 3]),
    ];
    for (keys, want) in &cases {
        assert_eq!(search(&mut c, keys), *want, "SEARCH {keys}");
    }
    let r = c.ok("UID SEARCH UNSEEN");
    assert_eq!(r.search(), uids[1..].to_vec());
    c.logout();
}

#[test]
fn charset_us_ascii_is_accepted_and_an_unknown_charset_is_badcharset() {
    let (_tree, mut c) = client();
    assert_eq!(search(&mut c, "CHARSET US-ASCII SUBJECT lunch"), vec![1]);
    assert_eq!(search(&mut c, "CHARSET utf-8 SUBJECT lunch"), vec![1]);
    let r = c.cmd("SEARCH CHARSET X-NO-SUCH-CHARSET SUBJECT lunch");
    r.expect_status("NO");
    let code = r.code().unwrap_or_default();
    assert!(code.starts_with("BADCHARSET"), "{r}");
    c.ok("NOOP");
    c.logout();
}
