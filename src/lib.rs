//! asimap: an IMAP4rev1 server over each Unix user's MH mail folders.
//!
//! Layers, from the bottom: [`proto`] (IMAP grammar, no I/O) and [`mh`] (the
//! MH store, no IMAP); [`state`] (the per-user SQLite file, over `mh`);
//! [`mime`] (ENVELOPE, BODYSTRUCTURE, sections); [`search`]; [`session`]
//! (the engine's connection state machine); [`login`] (the network front
//! end, which execs the engine).

#![deny(unsafe_code)]

pub mod logging;
pub mod login;
pub mod mh;
pub mod mime;
pub mod proto;
pub mod search;
pub mod session;
pub mod state;
