//! The response side of a connection: a buffer flushed at the end of each
//! command (and when it grows large), so a reply leaves in few writes.

use std::io::{self, Write};

use crate::proto::Tag;

/// Flush once this much is buffered, even in the middle of a command.
const FLUSH_AT: usize = 256 * 1024;

/// Buffered writer for responses.
pub struct Output {
    sink: Box<dyn Write>,
    buf: Vec<u8>,
    /// Where responses are copied while tracing.
    pub trace: Option<std::fs::File>,
}

impl Output {
    /// Wraps the client-facing stream.
    pub fn new(sink: Box<dyn Write>) -> Output {
        Output {
            sink,
            buf: Vec::with_capacity(64 * 1024),
            trace: None,
        }
    }

    /// The buffer, for composing a response in place.
    pub fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Appends raw bytes.
    pub fn put(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Appends `* text\r\n`.
    pub fn untagged(&mut self, text: &str) {
        self.buf.extend_from_slice(b"* ");
        self.buf.extend_from_slice(text.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// Appends `tag text\r\n`.
    pub fn tagged(&mut self, tag: &Tag, text: &str) {
        self.buf.extend_from_slice(tag.as_str().as_bytes());
        self.buf.push(b' ');
        self.buf.extend_from_slice(text.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// Writes out what is buffered when it is large.
    pub fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes out everything buffered.
    pub fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            log::trace!("S: {}", String::from_utf8_lossy(&self.buf).trim_end());
            crate::session::trace::record(&mut self.trace, &self.buf);
            self.sink.write_all(&self.buf)?;
            self.buf.clear();
        }
        self.sink.flush()
    }
}
