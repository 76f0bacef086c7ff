//! Feeds arbitrary bytes through the framer, split where the input says,
//! and every command frame through the parser: nothing may panic, every
//! parsed command must survive encode-then-parse unchanged, and the frames
//! must not depend on how the bytes were split.
#![no_main]

use asimap::proto::encode::encode;
use asimap::proto::framer::{Frame, Framer, Limits};
use asimap::proto::parse;
use libfuzzer_sys::fuzz_target;

/// Small limits so the limit paths are reached often.
const LIMITS: Limits = Limits { max_line: 256, max_literal: 512 };

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the chunk size for the split run.
    let Some((&split, input)) = data.split_first() else {
        return;
    };
    let whole = frames(input, input.len().max(1));
    let split = frames(input, usize::from(split % 16) + 1);
    assert_eq!(whole, split, "frames depend on the split");
    for frame in &whole {
        if let Frame::Command(bytes) = frame {
            check(bytes);
        }
    }
    // The parser alone, on the raw input as one frame.
    check(input);
});

/// The frames of `input` pushed `chunk` bytes at a time.
fn frames(input: &[u8], chunk: usize) -> Vec<Frame> {
    let mut framer = Framer::new(LIMITS);
    let mut out = Vec::new();
    for piece in input.chunks(chunk) {
        framer.push(piece);
        while let Some(frame) = framer.next_frame() {
            out.push(frame);
        }
    }
    out
}

/// Parses a frame; a command must round-trip through the encoder.
fn check(bytes: &[u8]) {
    let Ok(cmd) = parse::command(bytes) else {
        return;
    };
    let wire = encode(&cmd);
    match parse::command(&wire) {
        Ok(again) => assert_eq!(again, cmd, "round trip changed the command"),
        Err(e) => panic!("encoded command does not parse: {e}"),
    }
}
