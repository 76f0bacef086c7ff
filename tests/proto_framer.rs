//! The framer: literals, continuation requests, limits, and the rule that
//! a refused literal's bytes are never parsed as commands.

use asimap::proto::framer::{Frame, Framer, Limits};
use asimap::proto::parse::command;
use asimap::proto::types::CommandBody;

const SMALL: Limits = Limits {
    max_line: 64,
    max_literal: 16,
};

/// Feeds `input` in chunks of `chunk` bytes and collects the frames.
fn frames(input: &[u8], limits: Limits, chunk: usize) -> Vec<Frame> {
    let mut framer = Framer::new(limits);
    let mut out = Vec::new();
    for piece in input.chunks(chunk) {
        framer.push(piece);
        while let Some(frame) = framer.next_frame() {
            out.push(frame);
        }
    }
    assert_eq!(framer.buffered(), 0, "bytes left over");
    out
}

/// The frames must not depend on how the input was split.
fn frames_any_split(input: &[u8], limits: Limits) -> Vec<Frame> {
    let whole = frames(input, limits, input.len().max(1));
    for chunk in [1, 2, 3, 7] {
        assert_eq!(frames(input, limits, chunk), whole, "chunk {chunk}");
    }
    whole
}

fn cmd(s: &[u8]) -> Frame {
    Frame::Command(s.to_vec())
}

#[test]
fn lines_end_with_crlf_or_bare_lf() {
    let got = frames_any_split(b"a NOOP\r\nb NOOP\nc CHECK\r\n", SMALL);
    assert_eq!(
        got,
        [cmd(b"a NOOP\r\n"), cmd(b"b NOOP\n"), cmd(b"c CHECK\r\n")]
    );
}

#[test]
fn incomplete_line_waits() {
    let mut framer = Framer::new(SMALL);
    framer.push(b"a NOO");
    assert_eq!(framer.next_frame(), None);
    assert_eq!(framer.buffered(), 5);
    framer.push(b"P\r\n");
    assert_eq!(framer.next_frame(), Some(cmd(b"a NOOP\r\n")));
    assert_eq!(framer.buffered(), 0);
}

#[test]
fn sync_literal_asks_once_then_collects() {
    let input = b"a LOGIN {3}\r\nbob {6}\r\nsecret\r\nb NOOP\r\n";
    let got = frames_any_split(input, SMALL);
    let login = &input[..input.len() - 8];
    assert_eq!(
        got,
        [
            Frame::Continue,
            Frame::Continue,
            cmd(login),
            cmd(b"b NOOP\r\n")
        ]
    );
    assert!(matches!(
        command(login).unwrap().body,
        CommandBody::Login { .. }
    ));
}

#[test]
fn continue_comes_before_the_literal_bytes() {
    let mut framer = Framer::new(SMALL);
    framer.push(b"a LOGIN {3}\r\n");
    assert_eq!(framer.next_frame(), Some(Frame::Continue));
    assert_eq!(framer.next_frame(), None);
    framer.push(b"bob x\r\n");
    assert_eq!(framer.next_frame(), Some(cmd(b"a LOGIN {3}\r\nbob x\r\n")));
}

#[test]
fn nonsync_literal_needs_no_continue() {
    let input = b"a LOGIN {3+}\r\nbob {6+}\nsecret\r\n";
    assert_eq!(frames_any_split(input, SMALL), [cmd(input)]);
}

#[test]
fn literal_bytes_that_look_like_commands_stay_inside() {
    let input = b"a APPEND x {10+}\r\nb LOGOUT\r\n\r\n";
    assert_eq!(frames_any_split(input, SMALL), [cmd(input)]);
}

#[test]
fn literal8_is_framed_like_a_literal() {
    let input = b"a APPEND x ~{4}\r\n\0\x01\r\n\r\n";
    assert_eq!(
        frames_any_split(input, SMALL),
        [Frame::Continue, cmd(input)]
    );
    let err = command(input).unwrap_err();
    assert_eq!(err.reason, "literal8 (BINARY) is not supported");
}

#[test]
fn oversized_sync_literal_is_refused_before_it_is_read() {
    let mut framer = Framer::new(SMALL);
    framer.push(b"a APPEND x {17}\r\n");
    let refused = Frame::LiteralTooBig {
        tag: Some("a".into()),
        size: 17,
        synchronizing: true,
    };
    assert_eq!(framer.next_frame(), Some(refused));
    assert_eq!(framer.buffered(), 0);
    // The client sends no literal, only its next command.
    framer.push(b"b NOOP\r\n");
    assert_eq!(framer.next_frame(), Some(cmd(b"b NOOP\r\n")));
}

#[test]
fn oversized_nonsync_literal_is_read_and_discarded() {
    let mut input = b"a APPEND x {40+}\r\n".to_vec();
    input.extend_from_slice(b"c LOGOUT\r\nd LOGOUT\r\ne LOGOUT\r\nf LOGOUT\r\n");
    input.extend_from_slice(b" {5+}\r\ng NOP\r\n");
    input.extend_from_slice(b"b NOOP\r\n");
    let refused = Frame::LiteralTooBig {
        tag: Some("a".into()),
        size: 40,
        synchronizing: false,
    };
    assert_eq!(
        frames_any_split(&input, SMALL),
        [refused, cmd(b"b NOOP\r\n")]
    );
}

#[test]
fn oversized_literal_after_an_accepted_one() {
    let input = b"a LOGIN {2+}\r\nab {99}\r\nb NOOP\r\n";
    let refused = Frame::LiteralTooBig {
        tag: Some("a".into()),
        size: 99,
        synchronizing: true,
    };
    assert_eq!(
        frames_any_split(input, SMALL),
        [refused, cmd(b"b NOOP\r\n")]
    );
}

#[test]
fn literals_of_one_command_share_the_limit() {
    let input = b"a LOGIN {10}\r\n0123456789 {10}\r\nb NOOP\r\n";
    let refused = Frame::LiteralTooBig {
        tag: Some("a".into()),
        size: 10,
        synchronizing: true,
    };
    assert_eq!(
        frames_any_split(input, SMALL),
        [Frame::Continue, refused, cmd(b"b NOOP\r\n")]
    );
}

#[test]
fn huge_announced_size_saturates() {
    let input = b"a APPEND x {99999999999999999999999}\r\nb NOOP\r\n";
    let refused = Frame::LiteralTooBig {
        tag: Some("a".into()),
        size: u64::MAX,
        synchronizing: true,
    };
    assert_eq!(
        frames_any_split(input, SMALL),
        [refused, cmd(b"b NOOP\r\n")]
    );
}

#[test]
fn long_line_is_discarded_to_its_end() {
    let mut input = b"tag1 SELECT ".to_vec();
    input.extend(std::iter::repeat_n(b'x', 200));
    input.extend_from_slice(b"\r\nb NOOP\r\n");
    let too_long = Frame::LineTooLong {
        tag: Some("tag1".into()),
    };
    assert_eq!(
        frames_any_split(&input, SMALL),
        [too_long, cmd(b"b NOOP\r\n")]
    );
}

#[test]
fn long_line_without_a_tag() {
    let input = [vec![b'('; 100], b"\r\nb NOOP\r\n".to_vec()].concat();
    let too_long = Frame::LineTooLong { tag: None };
    assert_eq!(
        frames_any_split(&input, SMALL),
        [too_long, cmd(b"b NOOP\r\n")]
    );
}

#[test]
fn long_line_ending_in_a_nonsync_literal_discards_the_literal() {
    let mut input = b"a SEARCH TEXT ".to_vec();
    input.extend(std::iter::repeat_n(b'y', 100));
    input.extend_from_slice(b" {10+}\r\nc LOGOUT\r\n\r\nb NOOP\r\n");
    let too_long = Frame::LineTooLong {
        tag: Some("a".into()),
    };
    assert_eq!(
        frames_any_split(&input, SMALL),
        [too_long, cmd(b"b NOOP\r\n")]
    );
}

#[test]
fn line_limit_counts_every_line_of_a_command() {
    let mut input = b"a LOGIN {1+}\r\nx ".to_vec();
    input.extend(std::iter::repeat_n(b'p', 60));
    input.extend_from_slice(b"\r\nb NOOP\r\n");
    let too_long = Frame::LineTooLong {
        tag: Some("a".into()),
    };
    assert_eq!(
        frames_any_split(&input, SMALL),
        [too_long, cmd(b"b NOOP\r\n")]
    );
}

#[test]
fn discarding_keeps_memory_bounded() {
    let limits = Limits {
        max_line: 1024,
        max_literal: 1024,
    };
    let mut framer = Framer::new(limits);
    framer.push(b"a APPEND x {10000000+}\r\n");
    let chunk = vec![b'z'; 64 * 1024];
    for _ in 0..(10_000_000 / chunk.len()) {
        framer.push(&chunk);
        assert_eq!(framer.next_frame(), None);
        assert!(framer.buffered() <= chunk.len());
    }
    framer.push(&vec![b'z'; 10_000_000 % chunk.len()]);
    framer.push(b"\r\nb NOOP\r\n");
    let refused = Frame::LiteralTooBig {
        tag: Some("a".into()),
        size: 10_000_000,
        synchronizing: false,
    };
    assert_eq!(framer.next_frame(), Some(refused));
    assert_eq!(framer.next_frame(), Some(cmd(b"b NOOP\r\n")));
}

#[test]
fn braces_inside_a_line_are_not_literals() {
    let input = b"a LOGIN \"{3}\" x\r\nb SELECT {3} \r\n";
    assert_eq!(
        frames_any_split(input, SMALL),
        [cmd(b"a LOGIN \"{3}\" x\r\n"), cmd(b"b SELECT {3} \r\n")]
    );
}

#[test]
fn byte_at_a_time_stays_linear() {
    // 200,000 single-byte pushes of one long literal: quadratic rescanning
    // would make this take minutes; the assertion is on the result only.
    let limits = Limits {
        max_line: 1024,
        max_literal: 1 << 20,
    };
    let mut input = b"a APPEND x {200000+}\r\n".to_vec();
    input.extend(std::iter::repeat_n(b'm', 200_000));
    input.extend_from_slice(b"\r\n");
    let mut framer = Framer::new(limits);
    let mut got = Vec::new();
    for &b in &input {
        framer.push(&[b]);
        got.extend(std::iter::from_fn(|| framer.next_frame()));
    }
    assert_eq!(got, [cmd(&input)]);
}
