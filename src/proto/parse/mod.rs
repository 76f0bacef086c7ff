//! The command parser: one frame from the [`Framer`](super::framer::Framer)
//! into a typed [`Command`]. Recursive descent, one function per ABNF rule.

use super::types::Command;

/// Why a command could not be parsed; answered with a tagged `BAD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ParseError {
    /// The tag, when the command began with a valid one (else `*` is used).
    pub tag: Option<String>,
    /// A short reason for the client.
    pub reason: String,
}

/// Parses one whole command frame (lines and literals, as the framer gave
/// them).
pub fn command(_frame: &[u8]) -> Result<Command, ParseError> {
    todo!("proto helper")
}
