//! Splits the client's byte stream into whole commands (lines plus
//! literals), enforcing the line and literal limits. Sans-I/O: the session
//! pushes bytes in and pulls frames out.

/// Limits the framer enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest command line, literals excluded, in bytes.
    pub max_line: usize,
    /// Largest literal accepted (advertised as APPENDLIMIT).
    pub max_literal: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_line: 64 * 1024, max_literal: 64 * 1024 * 1024 }
    }
}

/// What the framer found in the input.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole command: its lines and literal bytes exactly as sent, the
    /// line ends included (CRLF or bare LF).
    Command(Vec<u8>),
    /// The client announced a synchronizing literal within the limits: the
    /// session must send `+ ...` before more bytes come.
    Continue,
    /// A line longer than `max_line`; the rest of it was discarded.
    LineTooLong {
        /// The tag, if the line began with a valid one.
        tag: Option<String>,
    },
    /// A literal over `max_literal`. A synchronizing one was refused before
    /// being read; a non-synchronizing one was read and discarded. The rest
    /// of the command was discarded too.
    LiteralTooBig {
        /// The tag, if the command began with a valid one.
        tag: Option<String>,
        /// The announced size.
        size: u64,
        /// True when the literal was synchronizing.
        synchronizing: bool,
    },
}

/// The stream splitter.
#[derive(Debug)]
pub struct Framer {
    limits: Limits,
}

impl Framer {
    /// A framer with the given limits.
    pub fn new(limits: Limits) -> Framer {
        Framer { limits }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Adds bytes read from the client.
    pub fn push(&mut self, _data: &[u8]) {
        todo!("proto helper")
    }

    /// The next frame, or `None` when more input is needed.
    pub fn next_frame(&mut self) -> Option<Frame> {
        todo!("proto helper")
    }

    /// Bytes received but not yet returned in a frame.
    pub fn buffered(&self) -> usize {
        todo!("proto helper")
    }
}
