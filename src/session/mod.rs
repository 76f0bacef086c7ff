//! The engine's connection state machine: reads commands, dispatches them
//! through the command table, writes responses.
//!
//! The request path reads as a story: [`Session::run`] takes a frame from
//! [`input`], the parser types it, [`table`] checks the state and calls the
//! handler under [`cmd`], [`selected`] reports what changed meanwhile, and
//! [`reply`] turns the outcome into the tagged completion.

pub mod cmd;
pub mod input;
pub mod output;
pub mod reply;
pub mod selected;
pub mod table;
pub mod trace;

use std::collections::HashSet;
use std::io;
use std::time::Instant;

use crate::proto::framer::{Frame, Limits};
use crate::proto::{Command, CommandBody, parse};
use crate::state::Store;
use input::{Input, Source};
use output::Output;
use reply::CmdError;
use selected::Selected;

/// How the engine was started.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Set when asimap-login authenticated the client: the tag of its
    /// LOGIN or AUTHENTICATE, answered with `OK [CAPABILITY ...]` instead of
    /// a greeting.
    pub authenticated_tag: Option<String>,
    /// Line and literal limits.
    pub limits: Limits,
    /// Conversation traces, switched by a control file.
    pub trace: Option<trace::TraceConfig>,
}

/// The connection states of RFC 3501 §3 that the engine has (it starts
/// authenticated).
pub enum ConnState {
    /// No mailbox selected.
    Authenticated,
    /// A mailbox is selected.
    Selected(Box<Selected>),
    /// LOGOUT was answered; the session ends.
    Logout,
}

/// One client connection.
pub struct Session {
    /// The user's store.
    pub store: Store,
    /// Client input.
    pub input: Input,
    /// Client output.
    pub out: Output,
    /// Where the connection stands.
    pub state: ConnState,
}

impl Session {
    /// A session over the given streams.
    pub fn new(
        store: Store,
        src: Box<dyn Source>,
        sink: Box<dyn io::Write>,
        limits: Limits,
    ) -> Session {
        Session {
            store,
            input: Input::new(src, limits),
            out: Output::new(sink),
            state: ConnState::Authenticated,
        }
    }

    /// Serves the connection until LOGOUT or the end of the input.
    pub fn run(&mut self, config: &Config) -> io::Result<()> {
        self.greet(config)?;
        while !matches!(self.state, ConnState::Logout) {
            self.switch_trace(config);
            let Some(frame) = self.input.next_frame()? else {
                log::info!("client closed the connection");
                break;
            };
            self.frame(frame)?;
            self.out.flush()?;
            if matches!(&self.state, ConnState::Selected(sel) if sel.invalidated) {
                // selected.rs sent `* BYE`: the view cannot be repaired.
                self.state = ConnState::Logout;
            }
        }
        self.out.flush()
    }

    /// Starts or stops tracing as the control file says.
    fn switch_trace(&mut self, config: &Config) {
        let Some(trace) = &config.trace else {
            return;
        };
        let wanted = trace.wanted();
        if wanted == self.input.trace.is_some() {
            return;
        }
        if wanted {
            log::info!("conversation trace on");
            self.input.trace = trace.open("in");
            self.out.trace = trace.open("out");
        } else {
            log::info!("conversation trace off");
            self.input.trace = None;
            self.out.trace = None;
        }
    }

    /// The greeting, or the answer to the login front end's pending tag.
    fn greet(&mut self, config: &Config) -> io::Result<()> {
        let caps = cmd::any::capabilities(self.input.limits());
        match &config.authenticated_tag {
            Some(tag) => {
                let text = format!("{tag} OK [CAPABILITY {caps}] LOGIN completed\r\n");
                self.out.put(text.as_bytes());
            }
            None => self
                .out
                .untagged(&format!("PREAUTH [CAPABILITY {caps}] asimap ready")),
        }
        self.out.flush()
    }

    /// Handles one frame from the client.
    fn frame(&mut self, frame: Frame) -> io::Result<()> {
        match frame {
            Frame::Continue => {
                self.out.put(b"+ Ready for literal data\r\n");
                self.out.flush()?;
            }
            Frame::LineTooLong { tag } => {
                let tag = tag.unwrap_or_else(|| "*".into());
                log::warn!("line too long, tag {tag}");
                self.out
                    .put(format!("{tag} BAD Command line too long\r\n").as_bytes());
            }
            Frame::LiteralTooBig { tag, size, .. } => {
                let tag = tag.unwrap_or_else(|| "*".into());
                let max = self.input.limits().max_literal;
                log::warn!("literal of {size} bytes refused, tag {tag}");
                let text = format!("{tag} NO [TOOBIG] Literal of {size} bytes exceeds {max}\r\n");
                self.out.put(text.as_bytes());
            }
            Frame::Command(bytes) => match parse::command(&bytes) {
                Ok(command) => self.execute(command)?,
                Err(e) => {
                    let tag = e.tag.as_deref().unwrap_or("*");
                    log::warn!("bad command, tag {tag}: {}", e.reason);
                    self.out
                        .put(format!("{tag} BAD {}\r\n", e.reason).as_bytes());
                }
            },
        }
        Ok(())
    }

    /// Runs one parsed command: state check, handler, pending updates,
    /// completion, one log event.
    fn execute(&mut self, command: Command) -> io::Result<()> {
        let started = Instant::now();
        let Command { tag, body } = command;
        let spec = table::spec(&body);
        let name = body.name();
        let append = matches!(body, CommandBody::Append { .. });
        let result = match table::check_state(spec, &self.state) {
            Ok(()) => (spec.handler)(self, &tag, body),
            Err(e) => Err(e),
        };
        // A pipelined APPEND leaves the update (EXISTS for a message added
        // to the selected mailbox) to the command after it (RFC 3501
        // §6.3.11 allows it): each update after an APPEND would read the
        // whole folder, which the APPEND just changed.
        if !(append && self.input.has_buffered()) {
            self.after_command(spec, &result);
        }
        let text = match &result {
            Ok(text) => format!("OK {text}"),
            Err(CmdError::Io(e)) => return Err(io::Error::new(e.kind(), e.to_string())),
            Err(e) => e.completion(name),
        };
        self.out.tagged(&tag, &text);
        let outcome = text.split(' ').next().unwrap_or("");
        let mailbox = self.mailbox_name().unwrap_or("-");
        let elapsed = started.elapsed().as_micros();
        log::info!("tag={tag} command={name} outcome={outcome} mailbox={mailbox} us={elapsed}");
        Ok(())
    }

    /// Sends what other sessions and nmh changed, where the protocol allows.
    fn after_command(&mut self, spec: &table::Spec, result: &Result<String, CmdError>) {
        if !spec.update_after || matches!(result, Err(CmdError::Io(_))) {
            return;
        }
        // The folder's lock is busy: a sync now would wait as long again
        // before the client hears NO [INUSE]; the next command catches up.
        if matches!(
            result,
            Err(CmdError::Store(crate::state::StateError::InUse))
        ) {
            return;
        }
        let ConnState::Selected(sel) = &mut self.state else {
            return;
        };
        let quiet = HashSet::new();
        if let Err(e) = sel.refresh(&mut self.store, &mut self.out, spec.expunge_ok, &quiet) {
            log::warn!("update of {} failed: {e}", sel.mailbox);
        }
    }

    /// The selected mailbox, if any.
    pub fn mailbox_name(&self) -> Option<&str> {
        match &self.state {
            ConnState::Selected(sel) => Some(&sel.mailbox),
            _ => None,
        }
    }

    /// The selected mailbox; handlers reached through the table only run
    /// when one is selected, so `None` here is a table error, reported BAD.
    pub fn selected(&mut self) -> Result<&mut Selected, CmdError> {
        match &mut self.state {
            ConnState::Selected(sel) => Ok(sel),
            _ => Err(reply::bad("no mailbox selected")),
        }
    }
}
