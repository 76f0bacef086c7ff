//! Mailbox commands: SELECT, EXAMINE, CREATE, DELETE, RENAME, SUBSCRIBE,
//! UNSUBSCRIBE, LIST, LSUB, STATUS, APPEND (RFC 3501 §6.3).

use chrono::{DateTime, FixedOffset};

use crate::proto::{CommandBody, Flag, MailboxName, StatusItem, Tag, write};
use crate::session::reply::{CmdResult, Code, bad, no};
use crate::session::selected::Selected;
use crate::session::{ConnState, Session};
use crate::state::StateError;

/// SELECT and EXAMINE (RFC 3501 §6.3.1, §6.3.2). A failed SELECT leaves no
/// mailbox selected.
pub fn select(s: &mut Session, _tag: &Tag, body: CommandBody) -> CmdResult {
    let (name, read_only) = match body {
        CommandBody::Select(name) => (name, false),
        CommandBody::Examine(name) => (name, true),
        _ => return Err(bad("expected SELECT or EXAMINE")),
    };
    s.state = ConnState::Authenticated;

    let sel = Selected::open(&mut s.store, name.as_str(), read_only)?;

    sel.flags_responses(&mut s.out);
    s.out.untagged(&format!("{} EXISTS", sel.msgs.len()));
    s.out.untagged(&format!("{} RECENT", sel.recent.len()));
    if let Some(i) = sel
        .msgs
        .iter()
        .position(|m| !m.flags.iter().any(|f| f == "\\Seen"))
    {
        s.out
            .untagged(&format!("OK [UNSEEN {}] First unseen", i + 1));
    }
    s.out
        .untagged(&format!("OK [UIDVALIDITY {}] UIDs valid", sel.uidvalidity));
    s.out.untagged(&format!(
        "OK [UIDNEXT {}] Predicted next UID",
        sel.uidnext()
    ));
    s.state = ConnState::Selected(Box::new(sel));
    Ok(if read_only {
        "[READ-ONLY] EXAMINE completed".into()
    } else {
        "[READ-WRITE] SELECT completed".into()
    })
}

/// CREATE (RFC 3501 §6.3.3): a trailing separator is dropped; creating
/// INBOX fails.
pub fn create(s: &mut Session, _tag: &Tag, body: CommandBody) -> CmdResult {
    let CommandBody::Create(name) = body else {
        return Err(bad("expected CREATE"));
    };
    let name = name.as_str().trim_end_matches('/');
    if MailboxName::from_utf8(name).is_inbox() {
        return Err(no(Some(Code::AlreadyExists), "INBOX always exists"));
    }
    s.store.create(name)?;
    Ok("CREATE completed".into())
}

/// DELETE (RFC 3501 §6.3.4): INBOX cannot be deleted.
pub fn delete(s: &mut Session, _tag: &Tag, body: CommandBody) -> CmdResult {
    let CommandBody::Delete(name) = body else {
        return Err(bad("expected DELETE"));
    };
    if name.is_inbox() {
        return Err(no(Some(Code::Cannot), "INBOX cannot be deleted"));
    }
    if s.mailbox_name() == Some(name.as_str()) {
        s.state = ConnState::Authenticated;
    }
    s.store.delete(name.as_str())?;
    Ok("DELETE completed".into())
}

/// RENAME (RFC 3501 §6.3.5): subfolders move along; RENAME INBOX moves
/// its messages and leaves INBOX empty.
pub fn rename(s: &mut Session, _tag: &Tag, body: CommandBody) -> CmdResult {
    let CommandBody::Rename(from, to) = body else {
        return Err(bad("expected RENAME"));
    };
    if to.is_inbox() {
        return Err(no(Some(Code::AlreadyExists), "INBOX always exists"));
    }
    let to = to.as_str().trim_end_matches('/');
    s.store.rename(from.as_str(), to)?;
    Ok("RENAME completed".into())
}

/// SUBSCRIBE and UNSUBSCRIBE (RFC 3501 §6.3.6, §6.3.7).
pub fn subscribe(s: &mut Session, _tag: &Tag, body: CommandBody) -> CmdResult {
    let (name, on) = match body {
        CommandBody::Subscribe(name) => (name, true),
        CommandBody::Unsubscribe(name) => (name, false),
        _ => return Err(bad("expected SUBSCRIBE or UNSUBSCRIBE")),
    };
    s.store.set_subscribed(name.as_str(), on)?;
    Ok(format!(
        "{} completed",
        if on { "SUBSCRIBE" } else { "UNSUBSCRIBE" }
    ))
}

/// LIST and LSUB (RFC 3501 §6.3.8, §6.3.9; CHILDREN, RFC 3348).
pub fn list(s: &mut Session, _tag: &Tag, body: CommandBody) -> CmdResult {
    let (reference, pattern, lsub) = match body {
        CommandBody::List { reference, pattern } => (reference, pattern, false),
        CommandBody::Lsub { reference, pattern } => (reference, pattern, true),
        _ => return Err(bad("expected LIST or LSUB")),
    };
    let word = if lsub { "LSUB" } else { "LIST" };
    if pattern.is_empty() && !lsub {
        s.out.untagged("LIST (\\Noselect) \"/\" \"\"");
        return Ok("LIST completed".into());
    }
    let full = format!("{reference}{pattern}");

    let mailboxes = s.store.list()?;
    let entries: Vec<(String, String)> = if lsub {
        let subscribed = s.store.subscriptions()?;
        let exists = |n: &str| mailboxes.iter().any(|m| m.name == n && m.selectable);
        subscribed
            .into_iter()
            .map(|n| {
                let attrs = if exists(&n) { "" } else { "\\Noselect" };
                (attrs.to_string(), n)
            })
            .collect()
    } else {
        mailboxes
            .into_iter()
            .map(|m| (list_attributes(m.selectable, m.has_children), m.name))
            .collect()
    };

    for (attrs, name) in entries {
        if !pattern_matches(&full, &name) {
            continue;
        }
        let mut line = format!("* {word} ({attrs}) \"/\" ").into_bytes();
        write::mailbox(&mut line, &MailboxName::from_utf8(&name));
        line.extend_from_slice(b"\r\n");
        s.out.put(&line);
    }
    Ok(format!("{word} completed"))
}

/// The LIST attributes of a mailbox.
fn list_attributes(selectable: bool, has_children: bool) -> String {
    let children = if has_children {
        "\\HasChildren"
    } else {
        "\\HasNoChildren"
    };
    if selectable {
        children.to_string()
    } else {
        format!("\\Noselect {children}")
    }
}

/// LIST pattern matching: `*` matches anything, `%` anything but the
/// separator. The INBOX part of a name matches case-insensitively.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let inbox_len = if name == "INBOX" || name.starts_with("INBOX/") {
        5
    } else {
        0
    };
    glob(&p, &n, 0, inbox_len)
}

/// Matches `p` against `n[at..]`; characters before `fold` in `n` compare
/// case-insensitively.
fn glob(p: &[char], n: &[char], at: usize, fold: usize) -> bool {
    let Some((&first, rest)) = p.split_first() else {
        return at == n.len();
    };
    match first {
        '*' => (at..=n.len()).any(|i| glob(rest, n, i, fold)),
        '%' => {
            let mut i = at;
            loop {
                if glob(rest, n, i, fold) {
                    return true;
                }
                if i == n.len() || n[i] == '/' {
                    return false;
                }
                i += 1;
            }
        }
        c => {
            let Some(&m) = n.get(at) else {
                return false;
            };
            let same = c == m || (at < fold && c.eq_ignore_ascii_case(&m));
            same && glob(rest, n, at + 1, fold)
        }
    }
}

/// STATUS (RFC 3501 §6.3.10).
pub fn status(s: &mut Session, _tag: &Tag, body: CommandBody) -> CmdResult {
    let CommandBody::Status(name, items) = body else {
        return Err(bad("expected STATUS"));
    };
    let sum = s.store.sync(name.as_str())?;
    let mut parts = Vec::new();
    for item in items {
        let value = match item {
            StatusItem::Messages => ("MESSAGES", sum.exists),
            StatusItem::Recent => ("RECENT", sum.recent),
            StatusItem::UidNext => ("UIDNEXT", sum.uidnext),
            StatusItem::UidValidity => ("UIDVALIDITY", sum.uidvalidity),
            StatusItem::Unseen => ("UNSEEN", sum.unseen),
            StatusItem::Size => return Err(bad("STATUS SIZE is not supported")),
        };
        parts.push(format!("{} {}", value.0, value.1));
    }
    let mut line = b"* STATUS ".to_vec();
    write::mailbox(&mut line, &name);
    line.extend_from_slice(format!(" ({})\r\n", parts.join(" ")).as_bytes());
    s.out.put(&line);
    Ok("STATUS completed".into())
}

/// APPEND (RFC 3501 §6.3.11, UIDPLUS RFC 4315): stored byte for byte with
/// CRLF turned into LF.
pub fn append(s: &mut Session, _tag: &Tag, body: CommandBody) -> CmdResult {
    let CommandBody::Append {
        mailbox,
        flags,
        date,
        message,
    } = body
    else {
        return Err(bad("expected APPEND"));
    };
    let flags = storable_flags(&flags)?;
    if message.is_empty() {
        // Not a message at all; in an MH folder an empty file is also what
        // `inc` leaves in the instant before it writes. Dovecot says NO too.
        return Err(no(None, "Can't save a zero byte message"));
    }
    let bytes = crlf_to_lf(&message);
    let date: Option<DateTime<FixedOffset>> = date;

    let (uidvalidity, uid) = match s.store.append(mailbox.as_str(), &bytes, &flags, date) {
        Err(StateError::NoMailbox) => {
            return Err(no(Some(Code::TryCreate), "No such mailbox"));
        }
        other => other?,
    };
    Ok(format!("[APPENDUID {uidvalidity} {uid}] APPEND completed"))
}

/// Flags as the store takes them: wire form, without `\Recent`; unknown
/// system flags cannot be stored.
pub fn storable_flags(flags: &[Flag]) -> Result<Vec<String>, crate::session::reply::CmdError> {
    let mut out = Vec::new();
    for f in flags {
        match f {
            Flag::Recent => {}
            Flag::Extension(name) => return Err(bad(format!("unknown system flag \\{name}"))),
            other => out.push(other.to_wire()),
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Turns every CRLF into LF; lone CRs stay.
pub fn crlf_to_lf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut rest = data;
    while let Some(i) = memchr::memchr(b'\r', rest) {
        out.extend_from_slice(&rest[..i]);
        if rest.get(i + 1) != Some(&b'\n') {
            out.push(b'\r');
        }
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_patterns_follow_rfc_3501_wildcards() {
        assert!(pattern_matches("*", "a/b/c"));
        assert!(pattern_matches("%", "a"));
        assert!(!pattern_matches("%", "a/b"));
        assert!(pattern_matches("a/%", "a/b"));
        assert!(pattern_matches("inbox", "INBOX"));
        assert!(pattern_matches("Inbox/%", "INBOX/x"));
        assert!(!pattern_matches("inbox", "inbox-old"));
        assert!(!pattern_matches("x", "X"));
    }

    #[test]
    fn crlf_becomes_lf_and_lone_cr_stays() {
        assert_eq!(crlf_to_lf(b"a\r\nb\rc\r\n"), b"a\nb\rc\n");
        assert_eq!(crlf_to_lf(b"\r"), b"\r");
    }
}
