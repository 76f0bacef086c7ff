//! Helpers shared by the protocol tests: known-answer checks with a round
//! trip, and feeding input to the framer one byte at a time.
#![allow(dead_code)]

use asimap::proto::encode::encode;
use asimap::proto::framer::{Frame, Framer, Limits};
use asimap::proto::parse::command;
use asimap::proto::types::{Command, CommandBody, MailboxName, SeqNum, SequenceSet, Tag};
use chrono::NaiveDate;

/// A mailbox name as the parser would normalise it.
pub fn mbox(s: &str) -> MailboxName {
    MailboxName::from_utf8(s)
}

/// A sequence set from ranges; 0 stands for `*`.
pub fn set(ranges: &[(u32, u32)]) -> SequenceSet {
    let n = |v| {
        if v == 0 {
            SeqNum::Largest
        } else {
            SeqNum::Value(v)
        }
    };
    SequenceSet(ranges.iter().map(|&(a, b)| (n(a), n(b))).collect())
}

/// A calendar date.
pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Parses `input`, checks the meaning, then parse(encode(parsed)), then
/// that the framer gives the same frame whether fed at once or byte by
/// byte.
pub fn check(input: &[u8], tag: &str, body: &CommandBody) {
    let shown = String::from_utf8_lossy(input);
    let parsed = command(input).unwrap_or_else(|e| panic!("{shown}: {e}"));
    let expected = Command {
        tag: Tag::new(tag).unwrap(),
        body: body.clone(),
    };
    assert_eq!(parsed, expected, "{shown}");
    let wire = encode(&parsed);
    let again =
        command(&wire).unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(&wire)));
    assert_eq!(again, parsed, "round trip of {shown}");
    let frames = expected_frames(input);
    assert_eq!(frames_bytewise(input, Limits::default()), frames, "{shown}");
    assert_eq!(frames_at_once(input, Limits::default()), frames, "{shown}");
}

/// Feeds `input` one byte at a time and returns the frames.
pub fn frames_bytewise(input: &[u8], limits: Limits) -> Vec<Frame> {
    let mut framer = Framer::new(limits);
    let mut frames = Vec::new();
    for &b in input {
        framer.push(&[b]);
        while let Some(frame) = framer.next_frame() {
            frames.push(frame);
        }
    }
    frames
}

/// Feeds `input` at once and returns the frames.
pub fn frames_at_once(input: &[u8], limits: Limits) -> Vec<Frame> {
    let mut framer = Framer::new(limits);
    framer.push(input);
    std::iter::from_fn(|| framer.next_frame()).collect()
}

/// The frames one whole command gives: a `Continue` per synchronizing
/// literal (`{n}` at a line end), then the command.
pub fn expected_frames(input: &[u8]) -> Vec<Frame> {
    let syncs = input
        .windows(3)
        .filter(|w| w[0].is_ascii_digit() && (w[1..] == *b"}\r" || w[1..] == *b"}\n"))
        .count();
    let mut frames: Vec<Frame> = (0..syncs).map(|_| Frame::Continue).collect();
    frames.push(Frame::Command(input.to_vec()));
    frames
}

/// The reason a command is refused, checking the tag is reported.
pub fn bad(input: &[u8], tag: Option<&str>) -> String {
    let shown = String::from_utf8_lossy(input);
    match command(input) {
        Ok(cmd) => panic!("{shown} parsed as {cmd:?}"),
        Err(e) => {
            assert_eq!(e.tag.as_deref(), tag, "{shown}");
            e.reason
        }
    }
}
