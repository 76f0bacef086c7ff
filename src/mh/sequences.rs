//! `.mh_sequences`: lenient reading, nmh-compatible writing (mh-compat.md §2).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use super::lock::LockMethod;
use super::{MhError, MsgNum};

/// The public sequences of one folder, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sequences {
    /// (name, members) in the order of the file; names are unique.
    pub entries: Vec<(String, BTreeSet<MsgNum>)>,
}

impl Sequences {
    /// Parses the file's text leniently: continuation lines are joined,
    /// garbage tokens and lines without a colon are skipped (and returned as
    /// warnings), a duplicate name keeps the last line.
    pub fn parse(_text: &[u8]) -> (Sequences, Vec<String>) {
        todo!("mh helper")
    }

    /// The text nmh would write: one `name: ranges` line per non-empty
    /// sequence, runs as `lo-hi`, no blank line, no folding.
    pub fn to_text(&self) -> Vec<u8> {
        todo!("mh helper")
    }

    /// Members of a sequence (empty when absent).
    pub fn get(&self, _name: &str) -> Option<&BTreeSet<MsgNum>> {
        todo!("mh helper")
    }

    /// Adds `n` to sequence `name`, creating it at the end when absent.
    pub fn add(&mut self, _name: &str, _n: MsgNum) {
        todo!("mh helper")
    }

    /// Removes `n` from sequence `name`.
    pub fn remove(&mut self, _name: &str, _n: MsgNum) {
        todo!("mh helper")
    }

    /// Removes `n` from every sequence.
    pub fn remove_everywhere(&mut self, _n: MsgNum) {
        todo!("mh helper")
    }

    /// Reads a folder's sequence file without locking (missing = empty).
    pub fn read(_path: &Path) -> Result<(Sequences, Vec<String>), MhError> {
        todo!("mh helper")
    }

    /// Read-modify-write under nmh's lock: locks `path` (creating it
    /// without truncation if missing), reads it, calls `change`, and when
    /// the sequences changed rewrites the file in place (ftruncate + write,
    /// never rename), or unlinks it when no sequence remains, as nmh does.
    pub fn update<R>(
        _path: &Path,
        _method: LockMethod,
        _timeout: Duration,
        _change: impl FnOnce(&mut Sequences) -> R,
    ) -> Result<R, MhError> {
        todo!("mh helper")
    }
}
