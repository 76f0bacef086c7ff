//! IMAP protocol: typed commands, the framer and parser, the response writer.
//! No I/O, no SQLite, no MH.

pub mod chars;
pub mod encode;
pub mod framer;
pub mod parse;
pub mod types;
pub mod utf7;
pub mod write;

pub use types::*;
