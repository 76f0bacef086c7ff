//! Commands valid in any state: CAPABILITY, NOOP, CHECK, LOGOUT, ID, ENABLE,
//! NAMESPACE (RFC 3501 §6.1, RFC 2971, RFC 5161, RFC 2342).

use crate::proto::framer::Limits;
use crate::proto::{CommandBody, Tag, write};
use crate::session::reply::{CmdResult, bad};
use crate::session::{ConnState, Session};

/// The capability list (without the `CAPABILITY` word). Only what works.
pub fn capabilities(limits: Limits) -> String {
    format!(
        "IMAP4rev1 LITERAL+ IDLE UIDPLUS MOVE UNSELECT CHILDREN NAMESPACE ID ENABLE \
         APPENDLIMIT={}",
        limits.max_literal
    )
}

/// CAPABILITY (RFC 3501 §6.1.1).
pub fn capability(s: &mut Session, _tag: &Tag, _body: CommandBody) -> CmdResult {
    let caps = capabilities(s.input.limits());
    s.out.untagged(&format!("CAPABILITY {caps}"));
    Ok("CAPABILITY completed".into())
}

/// NOOP and CHECK (RFC 3501 §6.1.2, §6.4.1): the table sends the updates.
pub fn noop(_s: &mut Session, _tag: &Tag, body: CommandBody) -> CmdResult {
    Ok(format!("{} completed", body.name()))
}

/// LOGOUT (RFC 3501 §6.1.3).
pub fn logout(s: &mut Session, _tag: &Tag, _body: CommandBody) -> CmdResult {
    s.out.untagged("BYE asimap logging out");
    s.state = ConnState::Logout;
    Ok("LOGOUT completed".into())
}

/// ID (RFC 2971): logs the client's identity, names the server.
pub fn id(s: &mut Session, _tag: &Tag, body: CommandBody) -> CmdResult {
    if let CommandBody::Id(Some(fields)) = &body {
        let text: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("NIL")))
            .collect();
        log::info!("client id: {}", text.join(" "));
    }
    let mut line = b"* ID (".to_vec();
    for (i, (k, v)) in [("name", "asimap"), ("version", env!("CARGO_PKG_VERSION"))]
        .iter()
        .enumerate()
    {
        if i > 0 {
            line.push(b' ');
        }
        write::string(&mut line, k.as_bytes());
        line.push(b' ');
        write::string(&mut line, v.as_bytes());
    }
    line.extend_from_slice(b")\r\n");
    s.out.put(&line);
    Ok("ID completed".into())
}

/// ENABLE (RFC 5161): none of the engine's capabilities needs enabling
/// yet, so the ENABLED list is empty.
pub fn enable(s: &mut Session, _tag: &Tag, body: CommandBody) -> CmdResult {
    if let CommandBody::Enable(names) = &body {
        log::debug!("enable requested: {}", names.join(" "));
    }
    s.out.untagged("ENABLED");
    Ok("ENABLE completed".into())
}

/// NAMESPACE (RFC 2342): one personal namespace, `/` separated.
pub fn namespace(s: &mut Session, _tag: &Tag, _body: CommandBody) -> CmdResult {
    s.out.untagged("NAMESPACE ((\"\" \"/\")) NIL NIL");
    Ok("NAMESPACE completed".into())
}

/// LOGIN, AUTHENTICATE and STARTTLS reach the engine only after
/// authentication, where they are not allowed (RFC 3501 §6.2).
pub fn not_here(_s: &mut Session, _tag: &Tag, body: CommandBody) -> CmdResult {
    Err(bad(format!(
        "{} is not allowed once authenticated",
        body.name()
    )))
}
