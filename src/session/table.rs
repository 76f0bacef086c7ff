//! The command table: for each command, the states it is allowed in,
//! whether pending updates follow it, whether those may include EXPUNGE
//! (never after FETCH, STORE, SEARCH or COPY by sequence number: RFC 3501
//! §7.4.1), and its handler.

use crate::proto::{CommandBody, Tag};
use crate::session::cmd::{any, fetch, idle, mailbox, messages, search, store};
use crate::session::reply::{CmdError, CmdResult, bad};
use crate::session::{ConnState, Session};

/// A command handler.
pub type Handler = fn(&mut Session, &Tag, CommandBody) -> CmdResult;

/// Where a command may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// Any state.
    Any,
    /// Only before authentication (never, in the engine).
    NotAuthenticated,
    /// Authenticated or Selected.
    Authenticated,
    /// Selected only.
    Selected,
}

/// One row of the table.
pub struct Spec {
    /// The command, with `UID ` for the UID forms.
    pub name: &'static str,
    /// Allowed states.
    pub allowed: Allowed,
    /// Send pending updates after it.
    pub update_after: bool,
    /// Those updates may include EXPUNGE.
    pub expunge_ok: bool,
    /// The handler.
    pub handler: Handler,
}

const fn row(name: &'static str, allowed: Allowed, upd: bool, exp: bool, handler: Handler) -> Spec {
    Spec {
        name,
        allowed,
        update_after: upd,
        expunge_ok: exp,
        handler,
    }
}

use Allowed::{Any, Authenticated as Auth, NotAuthenticated as PreAuth, Selected as Sel};

/// Every command the engine knows.
pub static TABLE: &[Spec] = &[
    row("CAPABILITY", Any, true, true, any::capability),
    row("NOOP", Any, true, true, any::noop),
    row("LOGOUT", Any, false, false, any::logout),
    row("ID", Any, true, true, any::id),
    row("ENABLE", Auth, false, false, any::enable),
    row("NAMESPACE", Auth, true, true, any::namespace),
    row("STARTTLS", PreAuth, false, false, any::not_here),
    row("LOGIN", PreAuth, false, false, any::not_here),
    row("AUTHENTICATE", PreAuth, false, false, any::not_here),
    row("SELECT", Auth, false, false, mailbox::select),
    row("EXAMINE", Auth, false, false, mailbox::select),
    row("CREATE", Auth, true, true, mailbox::create),
    row("DELETE", Auth, true, true, mailbox::delete),
    row("RENAME", Auth, true, true, mailbox::rename),
    row("SUBSCRIBE", Auth, true, true, mailbox::subscribe),
    row("UNSUBSCRIBE", Auth, true, true, mailbox::subscribe),
    row("LIST", Auth, true, true, mailbox::list),
    row("LSUB", Auth, true, true, mailbox::list),
    row("STATUS", Auth, true, true, mailbox::status),
    row("APPEND", Auth, true, true, mailbox::append),
    row("CHECK", Sel, true, true, any::noop),
    row("CLOSE", Sel, false, false, messages::close),
    row("UNSELECT", Sel, false, false, messages::close),
    row("EXPUNGE", Sel, true, true, messages::expunge),
    row("UID EXPUNGE", Sel, true, true, messages::expunge),
    row("SEARCH", Sel, true, false, search::search),
    row("UID SEARCH", Sel, true, true, search::search),
    row("FETCH", Sel, true, false, fetch::fetch),
    row("UID FETCH", Sel, true, true, fetch::fetch),
    row("STORE", Sel, true, false, store::store),
    row("UID STORE", Sel, true, true, store::store),
    row("COPY", Sel, true, false, messages::copy),
    row("UID COPY", Sel, true, true, messages::copy),
    row("MOVE", Sel, true, true, messages::copy),
    row("UID MOVE", Sel, true, true, messages::copy),
    row("IDLE", Auth, false, false, idle::idle),
];

/// The table's key for a command: its name, with `UID ` for UID forms.
fn key(body: &CommandBody) -> &'static str {
    match body {
        CommandBody::Search { uid: true, .. } => "UID SEARCH",
        CommandBody::Fetch { uid: true, .. } => "UID FETCH",
        CommandBody::Store { uid: true, .. } => "UID STORE",
        CommandBody::Copy { uid: true, .. } => "UID COPY",
        CommandBody::Move { uid: true, .. } => "UID MOVE",
        other => other.name(),
    }
}

/// The table row for a command.
pub fn spec(body: &CommandBody) -> &'static Spec {
    let name = key(body);
    TABLE.iter().find(|s| s.name == name).unwrap_or(&UNKNOWN)
}

/// Stands in for a command the parser knows but the table lacks.
static UNKNOWN: Spec = row("UNKNOWN", Any, false, false, any::not_here);

/// Checks that the command may run in the current state.
pub fn check_state(spec: &Spec, state: &ConnState) -> Result<(), CmdError> {
    let ok = match spec.allowed {
        Any => true,
        PreAuth => false,
        Auth => !matches!(state, ConnState::Logout),
        Sel => matches!(state, ConnState::Selected(_)),
    };
    match (ok, spec.allowed) {
        (true, _) => Ok(()),
        (false, PreAuth) => Err(bad("already authenticated")),
        (false, Sel) => Err(bad("no mailbox selected")),
        (false, _) => Err(bad("not allowed now")),
    }
}
