//! Commands on the selected mailbox's messages as a whole: CLOSE,
//! UNSELECT, EXPUNGE, UID EXPUNGE, COPY and MOVE (RFC 3501 §6.4, RFC 3691,
//! RFC 4315, RFC 6851).

use std::collections::HashSet;

use crate::proto::{CommandBody, Tag};
use crate::session::reply::{CmdResult, Code, bad, no};
use crate::session::{ConnState, Session};
use crate::state::StateError;

/// CLOSE and UNSELECT (RFC 3501 §6.4.2, RFC 3691): CLOSE of a read-write
/// mailbox first removes `\Deleted` messages, without EXPUNGE responses.
pub fn close(s: &mut Session, _tag: &Tag, body: CommandBody) -> CmdResult {
    let sel = s.selected()?;
    let doomed = if matches!(body, CommandBody::Close) && !sel.read_only {
        deleted_uids(sel.msgs.iter().map(|m| (m.uid, &m.flags)))
    } else {
        Vec::new()
    };
    let mailbox = sel.mailbox.clone();
    s.state = ConnState::Authenticated;
    if !doomed.is_empty() {
        s.store.expunge(&mailbox, &doomed)?;
    }
    Ok(format!("{} completed", body.name()))
}

/// EXPUNGE and UID EXPUNGE (RFC 3501 §6.4.3, RFC 4315 §2.1). The EXPUNGE
/// responses come from the update that follows the command.
pub fn expunge(s: &mut Session, _tag: &Tag, body: CommandBody) -> CmdResult {
    let sel = s.selected()?;
    if sel.read_only {
        return Err(no(Some(Code::Cannot), "Mailbox is read-only"));
    }
    let chosen: Option<HashSet<u32>> = match &body {
        CommandBody::UidExpunge(set) => Some(
            sel.resolve(set, true)?
                .into_iter()
                .map(|i| sel.msgs[i].uid)
                .collect(),
        ),
        _ => None,
    };
    let candidates = sel
        .msgs
        .iter()
        .filter(|m| chosen.as_ref().is_none_or(|c| c.contains(&m.uid)));
    let doomed = deleted_uids(candidates.map(|m| (m.uid, &m.flags)));
    let mailbox = sel.mailbox.clone();
    if !doomed.is_empty() {
        s.store.expunge(&mailbox, &doomed)?;
    }
    Ok(format!("{} completed", body.name()))
}

/// The UIDs among `msgs` that carry `\Deleted`.
fn deleted_uids<'a>(msgs: impl Iterator<Item = (u32, &'a Vec<String>)>) -> Vec<u32> {
    msgs.filter(|(_, flags)| flags.iter().any(|f| f == "\\Deleted"))
        .map(|(uid, _)| uid)
        .collect()
}

/// COPY, MOVE and their UID forms (RFC 3501 §6.4.7, RFC 6851, COPYUID
/// from RFC 4315). MOVE sends COPYUID untagged, then the EXPUNGEs.
pub fn copy(s: &mut Session, _tag: &Tag, body: CommandBody) -> CmdResult {
    let (uid, set, dest, moving) = match body {
        CommandBody::Copy { uid, set, mailbox } => (uid, set, mailbox, false),
        CommandBody::Move { uid, set, mailbox } => (uid, set, mailbox, true),
        _ => return Err(bad("expected COPY or MOVE")),
    };
    let sel = s.selected()?;
    if moving && sel.read_only {
        return Err(no(Some(Code::Cannot), "Mailbox is read-only"));
    }
    let uids: Vec<u32> = sel
        .resolve(&set, uid)?
        .into_iter()
        .map(|i| sel.msgs[i].uid)
        .collect();
    let source = sel.mailbox.clone();
    let verb = if moving { "MOVE" } else { "COPY" };
    if uids.is_empty() {
        return Ok(format!("{verb} completed, nothing to do"));
    }

    let done = if moving {
        s.store.move_messages(&source, &uids, dest.as_str())
    } else {
        s.store.copy(&source, &uids, dest.as_str())
    };
    let (validity, pairs) = match done {
        Err(StateError::NoMailbox) => return Err(no(Some(Code::TryCreate), "No such mailbox")),
        other => other?,
    };
    let code = copyuid(validity, &pairs);
    if !moving {
        return Ok(format!("{code} COPY completed"));
    }

    // RFC 6851 §4.3: COPYUID goes out untagged, before the EXPUNGEs.
    s.out.untagged(&format!("OK {code} Moved"));
    if let ConnState::Selected(sel) = &mut s.state {
        sel.refresh(&mut s.store, &mut s.out, true, &HashSet::new())?;
    }
    Ok("MOVE completed".into())
}

/// The `[COPYUID validity src dst]` code, or nothing when no message was
/// copied.
fn copyuid(validity: u32, pairs: &[(u32, u32)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let src: Vec<u32> = pairs.iter().map(|p| p.0).collect();
    let dst: Vec<u32> = pairs.iter().map(|p| p.1).collect();
    format!("[COPYUID {validity} {} {}]", compact(&src), compact(&dst))
}

/// A UID list as a sequence set, with runs as ranges, in the given order.
pub fn compact(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end.wrapping_add(1) {
            end += 1;
            i += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::compact;

    #[test]
    fn uid_lists_compact_into_ranges_in_order() {
        assert_eq!(compact(&[1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
        assert_eq!(compact(&[9]), "9");
        assert_eq!(compact(&[4, 3]), "4,3");
    }
}
