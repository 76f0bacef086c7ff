//! STORE and UID STORE (RFC 3501 §6.4.6).

use std::collections::HashSet;

use crate::proto::{CommandBody, StoreMode, Tag};
use crate::session::cmd::mailbox::storable_flags;
use crate::session::reply::{CmdResult, Code, bad, no};
use crate::session::{ConnState, Session};
use crate::state::FlagOp;

/// STORE: changes flags in `.mh_sequences` and the state file, then
/// reports the new flags of every target unless `.SILENT` (changes by
/// others are reported either way).
pub fn store(s: &mut Session, _tag: &Tag, body: CommandBody) -> CmdResult {
    let CommandBody::Store {
        uid,
        set,
        mode,
        silent,
        flags,
    } = body
    else {
        return Err(bad("expected STORE"));
    };
    let Session {
        store, state, out, ..
    } = s;
    let ConnState::Selected(sel) = state else {
        return Err(bad("no mailbox selected"));
    };
    if sel.read_only {
        return Err(no(Some(Code::Cannot), "Mailbox is read-only"));
    }
    let targets = sel.resolve(&set, uid)?;
    let flags = storable_flags(&flags)?;
    let op = match mode {
        StoreMode::Replace => FlagOp::Replace,
        StoreMode::Add => FlagOp::Add,
        StoreMode::Remove => FlagOp::Remove,
    };
    let uids: Vec<u32> = targets.iter().map(|&i| sel.msgs[i].uid).collect();

    if !uids.is_empty() {
        store.store_flags(&sel.mailbox, &uids, op, &flags)?;
    }

    let targeted: HashSet<u32> = uids.iter().copied().collect();
    sel.refresh(store, out, false, &targeted)?;
    if !silent {
        for &uid in &uids {
            if let Some(i) = sel.index_of(uid) {
                sel.send_flags(i, out);
            }
        }
    }
    Ok(format!(
        "{} completed",
        if uid { "UID STORE" } else { "STORE" }
    ))
}
