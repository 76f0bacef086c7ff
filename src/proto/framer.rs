//! Splits the client's byte stream into whole commands (lines plus
//! literals), enforcing the line and literal limits. Sans-I/O: the session
//! pushes bytes in and pulls frames out.
//!
//! A line ending in `{n}` or `{n+}` (also `~{n}`) announces a literal: `n`
//! bytes that belong to the command whatever they contain, followed by
//! more of the command line. Literal bytes are never taken for commands,
//! not even those of a refused literal.

use super::types::Tag;

/// Limits the framer enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest command line, literals excluded, in bytes. The lines of one
    /// command (around its literals) count together.
    pub max_line: usize,
    /// Largest literal accepted (advertised as APPENDLIMIT); also the most
    /// literal bytes one command may carry in all.
    pub max_literal: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 64 * 1024,
            max_literal: 64 * 1024 * 1024,
        }
    }
}

/// What the framer found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A whole command: its lines and literal bytes exactly as sent, the
    /// line ends included (CRLF or bare LF).
    Command(Vec<u8>),
    /// The client announced a synchronizing literal within the limits: the
    /// session must send `+ ...` before more bytes come.
    Continue,
    /// A line longer than `max_line`; the rest of it was discarded, and so
    /// was a non-synchronizing literal announced at its end (with the rest
    /// of that command).
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
///
/// All bytes not yet returned live in `buf`; the command being collected
/// starts at `start`. Bytes before `start` are dropped on the next
/// [`push`](Framer::push), so a burst of pipelined commands costs linear
/// time and a refused command's bytes are never kept.
#[derive(Debug)]
pub struct Framer {
    limits: Limits,
    buf: Vec<u8>,
    /// Where the current command starts in `buf`.
    start: usize,
    /// Where the command's current line starts in `buf`.
    line_start: usize,
    /// How far the current line has been searched for its LF.
    scan: usize,
    /// Line bytes of the command's earlier lines (literals excluded).
    line_bytes: usize,
    /// Literal bytes of the command so far.
    literal_bytes: u64,
    state: State,
}

/// What the framer is doing with the next bytes.
#[derive(Debug)]
enum State {
    /// Looking for the end of the current line.
    Line,
    /// Collecting a literal; `left` bytes are still to come.
    Literal { left: u64 },
    /// Throwing away the rest of a refused command, then reporting it.
    Discard { verdict: Frame, phase: Discarding },
}

/// Where a discarded command stands.
#[derive(Debug)]
enum Discarding {
    /// Inside a line, watching its end for a literal announcement.
    Line(LiteralTail),
    /// Inside a non-synchronizing literal.
    Literal { left: u64 },
}

/// One step of the state machine.
enum Step {
    NeedMore,
    Again,
    Emit(Frame),
}

impl Framer {
    /// A framer with the given limits.
    pub fn new(limits: Limits) -> Framer {
        Framer {
            limits,
            buf: Vec::new(),
            start: 0,
            line_start: 0,
            scan: 0,
            line_bytes: 0,
            literal_bytes: 0,
            state: State::Line,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Adds bytes read from the client.
    pub fn push(&mut self, data: &[u8]) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            // While discarding, `start` runs ahead of the line marks, which
            // are then unused until `reset`.
            self.line_start = self.line_start.saturating_sub(self.start);
            self.scan = self.scan.saturating_sub(self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// The next frame, or `None` when more input is needed.
    pub fn next_frame(&mut self) -> Option<Frame> {
        loop {
            let step = match self.state {
                State::Line => self.line_step(),
                State::Literal { left } => self.literal_step(left),
                State::Discard { .. } => self.discard_step(),
            };
            match step {
                Step::NeedMore => return None,
                Step::Again => {}
                Step::Emit(frame) => return Some(frame),
            }
        }
    }

    /// Bytes received but not yet returned in a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Searches the current line for its end and decides what it means.
    fn line_step(&mut self) -> Step {
        let Some(i) = memchr::memchr(b'\n', &self.buf[self.scan..]) else {
            self.scan = self.buf.len();
            if self.line_len(self.scan) > self.limits.max_line {
                let tag = self.tag();
                self.discard(Frame::LineTooLong { tag });
                return Step::Again;
            }
            return Step::NeedMore;
        };
        let lf = self.scan + i;
        if self.line_len(lf) > self.limits.max_line {
            let tag = self.tag();
            self.discard(Frame::LineTooLong { tag });
            return Step::Again;
        }
        let line = &self.buf[self.line_start..lf];
        match literal_at_end(line) {
            None => {
                let frame = self.take_command(lf + 1);
                Step::Emit(Frame::Command(frame))
            }
            Some((size, sync)) => self.announced(lf, size, sync),
        }
    }

    /// The line ending at `lf` announces a literal of `size` bytes.
    fn announced(&mut self, lf: usize, size: u64, sync: bool) -> Step {
        let total = self.literal_bytes.saturating_add(size);
        if size > self.limits.max_literal || total > self.limits.max_literal {
            let verdict = Frame::LiteralTooBig {
                tag: self.tag(),
                size,
                synchronizing: sync,
            };
            self.start = lf + 1;
            if sync {
                self.reset();
                return Step::Emit(verdict);
            }
            let phase = Discarding::Literal { left: size };
            self.state = State::Discard { verdict, phase };
            return Step::Again;
        }
        self.line_bytes += lf + 1 - self.line_start;
        self.literal_bytes = total;
        self.scan = lf + 1;
        self.state = State::Literal { left: size };
        if sync {
            Step::Emit(Frame::Continue)
        } else {
            Step::Again
        }
    }

    /// Waits until the literal's `left` bytes are all buffered.
    fn literal_step(&mut self, left: u64) -> Step {
        let have = (self.buf.len() - self.scan) as u64;
        if have < left {
            return Step::NeedMore;
        }
        // `left <= have`, which is a usize.
        self.scan += left as usize;
        self.line_start = self.scan;
        self.state = State::Line;
        Step::Again
    }

    /// Throws away buffered bytes of a refused command.
    fn discard_step(&mut self) -> Step {
        let State::Discard { phase, .. } = &mut self.state else {
            return Step::Again;
        };
        let rest = &self.buf[self.start..];
        match phase {
            Discarding::Literal { left } => {
                let take = (rest.len() as u64).min(*left);
                // `take <= rest.len()`, a usize.
                self.start += take as usize;
                *left -= take;
                if *left > 0 {
                    return Step::NeedMore;
                }
                *phase = Discarding::Line(LiteralTail::default());
                Step::Again
            }
            Discarding::Line(tail) => {
                let Some(i) = memchr::memchr(b'\n', rest) else {
                    tail.feed_all(rest);
                    self.start = self.buf.len();
                    return Step::NeedMore;
                };
                tail.feed_all(&rest[..i]);
                self.start += i + 1;
                match tail.literal() {
                    Some((size, false)) => {
                        *phase = Discarding::Literal { left: size };
                        Step::Again
                    }
                    _ => Step::Emit(self.finish_discard()),
                }
            }
        }
    }

    /// Starts discarding the current command from its current line on.
    fn discard(&mut self, verdict: Frame) {
        let mut tail = LiteralTail::default();
        tail.feed_all(&self.buf[self.line_start..self.scan]);
        self.start = self.scan;
        self.state = State::Discard {
            verdict,
            phase: Discarding::Line(tail),
        };
    }

    /// Ends a discard and returns what to report.
    fn finish_discard(&mut self) -> Frame {
        let state = std::mem::replace(&mut self.state, State::Line);
        self.reset();
        match state {
            State::Discard { verdict, .. } => verdict,
            _ => Frame::LineTooLong { tag: None },
        }
    }

    /// Length of the command's line bytes up to `end` in the current line.
    fn line_len(&self, end: usize) -> usize {
        self.line_bytes + (end - self.line_start)
    }

    /// Removes the command `start..end` from the buffer and returns it.
    fn take_command(&mut self, end: usize) -> Vec<u8> {
        let frame = if self.start == 0 && end == self.buf.len() {
            std::mem::take(&mut self.buf)
        } else {
            self.buf[self.start..end].to_vec()
        };
        self.start = end.min(self.buf.len());
        self.reset();
        frame
    }

    /// Prepares for a new command at `start`.
    fn reset(&mut self) {
        self.line_start = self.start;
        self.scan = self.start;
        self.line_bytes = 0;
        self.literal_bytes = 0;
        self.state = State::Line;
    }

    /// The current command's tag, if its first line begins with a valid one
    /// followed by a space within `max_line` bytes. Those bytes are always
    /// buffered when a limit is hit, so the answer does not depend on how
    /// the input was split.
    fn tag(&self) -> Option<String> {
        let cmd = &self.buf[self.start..];
        let sp = memchr::memchr(b' ', &cmd[..cmd.len().min(self.limits.max_line)])?;
        let tag = std::str::from_utf8(&cmd[..sp]).ok()?;
        Tag::new(tag).map(|t| t.as_str().to_string())
    }
}

/// The literal a line announces at its end (`{n}`, `{n+}`, also after `~`),
/// as (size, synchronizing). The line excludes its LF; one CR before the LF
/// is allowed.
fn literal_at_end(line: &[u8]) -> Option<(u64, bool)> {
    let open = memchr::memrchr(b'{', line)?;
    let mut tail = LiteralTail::default();
    tail.feed_all(&line[open..]);
    tail.literal()
}

/// Recognises a literal announcement at the end of a line fed byte by
/// byte, without keeping the line. Sizes saturate at `u64::MAX`.
#[derive(Debug, Default, Clone, Copy)]
struct LiteralTail {
    state: TailState,
}

/// Progress through `{digits[+]}[CR]`.
#[derive(Debug, Default, Clone, Copy)]
enum TailState {
    /// Not inside an announcement.
    #[default]
    Other,
    /// After `{` and `digits` digits.
    Open { size: u64, digits: bool },
    /// After `{digits+`.
    Plus { size: u64 },
    /// After the closing brace (and maybe a CR).
    Closed { size: u64, sync: bool, cr: bool },
}

impl LiteralTail {
    /// Feeds bytes of the line.
    fn feed_all(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.state = next_tail(self.state, b);
        }
    }

    /// The announced literal, if the line ended with one.
    fn literal(&self) -> Option<(u64, bool)> {
        match self.state {
            TailState::Closed { size, sync, .. } => Some((size, sync)),
            _ => None,
        }
    }
}

/// The announcement recogniser's transition function.
fn next_tail(state: TailState, b: u8) -> TailState {
    use TailState::*;
    match (state, b) {
        (_, b'{') => Open {
            size: 0,
            digits: false,
        },
        (Open { size, .. }, b'0'..=b'9') => {
            let size = size.saturating_mul(10).saturating_add(u64::from(b - b'0'));
            Open { size, digits: true }
        }
        (Open { size, digits: true }, b'+') => Plus { size },
        (Open { size, digits: true }, b'}') => Closed {
            size,
            sync: true,
            cr: false,
        },
        (Plus { size }, b'}') => Closed {
            size,
            sync: false,
            cr: false,
        },
        (
            Closed {
                size,
                sync,
                cr: false,
            },
            b'\r',
        ) => Closed {
            size,
            sync,
            cr: true,
        },
        _ => Other,
    }
}
