//! The request side of a connection: bytes from the client into frames,
//! and the wait that IDLE needs (client input or a change on disk).

use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::proto::framer::{Frame, Framer, Limits};

/// A readable stream that can also be polled (stdin, a socket, a pipe).
pub trait Source: Read + AsFd {}

impl<T: Read + AsFd> Source for T {}

/// What ended a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The client sent something (or closed the stream).
    Client,
    /// The other descriptor became readable.
    Other,
    /// The timeout passed.
    Timeout,
}

/// Frames read from the client.
pub struct Input {
    src: Box<dyn Source>,
    framer: Framer,
    eof: bool,
    chunk: Vec<u8>,
    /// Where client bytes are copied while tracing.
    pub trace: Option<std::fs::File>,
}

impl Input {
    /// Reads from `src` with the given limits.
    pub fn new(src: Box<dyn Source>, limits: Limits) -> Input {
        Input {
            src,
            framer: Framer::new(limits),
            eof: false,
            chunk: vec![0; 64 * 1024],
            trace: None,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.framer.limits()
    }

    /// True when the client has already sent more than the frames taken
    /// (a pipelined command is waiting).
    pub fn has_buffered(&self) -> bool {
        self.framer.buffered() > 0
    }

    /// The next frame; `None` at the end of the input.
    pub fn next_frame(&mut self) -> io::Result<Option<Frame>> {
        loop {
            if let Some(frame) = self.framer.next_frame() {
                return Ok(Some(frame));
            }
            if self.eof || !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Reads one chunk into the framer; false at the end of the input.
    fn fill(&mut self) -> io::Result<bool> {
        let n = loop {
            match self.src.read(&mut self.chunk) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            self.eof = true;
            return Ok(false);
        }
        crate::session::trace::record(&mut self.trace, &self.chunk[..n]);
        self.framer.push(&self.chunk[..n]);
        Ok(true)
    }

    /// Waits until the client sends something, `other` becomes readable,
    /// or `timeout` passes.
    pub fn wait(&mut self, other: Option<BorrowedFd<'_>>, timeout: Duration) -> io::Result<Wake> {
        if self.framer.buffered() > 0 || self.eof {
            return Ok(Wake::Client);
        }
        let mut fds = vec![PollFd::new(self.src.as_fd(), PollFlags::POLLIN)];
        if let Some(fd) = other {
            fds.push(PollFd::new(fd, PollFlags::POLLIN));
        }
        let timeout = PollTimeout::try_from(timeout).unwrap_or(PollTimeout::MAX);
        let n = match poll(&mut fds, timeout) {
            Ok(n) => n,
            Err(nix::errno::Errno::EINTR) => return Ok(Wake::Timeout),
            Err(e) => return Err(io::Error::from(e)),
        };
        if n == 0 {
            return Ok(Wake::Timeout);
        }
        let ready = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
        if ready(&fds[0]) {
            return Ok(Wake::Client);
        }
        Ok(Wake::Other)
    }
}
