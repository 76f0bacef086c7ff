//! `.mh_sequences`: lenient reading, nmh-compatible writing (mh-compat.md §2).

use std::collections::BTreeSet;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

use super::lock::{FileLock, LockMethod};
use super::message::MAX_MSG;
use super::{MhError, MsgNum};

pub use super::effective::{FolderReadLock, FolderSeqs, private_print, read_folder, update_folder};

/// The most members (counted per token, ranges expanded) read from one
/// file; ranges beyond it are cut short and reported, so that a corrupt
/// file such as `a: 1-2000000000` cannot exhaust memory. nmh clips
/// sequences to existing messages anyway.
const MAX_MEMBERS: u32 = 2_000_000;

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
    pub fn parse(text: &[u8]) -> (Sequences, Vec<String>) {
        Sequences::parse_bounded(text, MAX_MEMBERS)
    }

    /// [`Sequences::parse`] reading at most `budget` members.
    fn parse_bounded(text: &[u8], mut budget: u32) -> (Sequences, Vec<String>) {
        let mut seqs = Sequences::default();
        let mut warnings = Vec::new();
        for (name, value) in fields(text, &mut warnings) {
            let members = parse_members(&name, &value, &mut budget, &mut warnings);
            match seqs.position(&name) {
                Some(i) => seqs.entries[i].1 = members,
                None => seqs.entries.push((name, members)),
            }
        }
        (seqs, warnings)
    }

    /// The text nmh would write: one `name: ranges` line per non-empty
    /// sequence, runs as `lo-hi`, no blank line, no folding.
    pub fn to_text(&self) -> Vec<u8> {
        let mut out = String::new();
        for (name, members) in &self.entries {
            if members.is_empty() {
                continue;
            }
            out.push_str(name);
            out.push_str(": ");
            out.push_str(&ranges(members));
            out.push('\n');
        }
        out.into_bytes()
    }

    /// A 64-bit FNV-1a hash of [`Sequences::to_text`]: equal sequences
    /// give equal prints, and a sync stores the print of a folder's private
    /// sequences to tell later whether they changed.
    pub fn fingerprint(&self) -> u64 {
        self.to_text()
            .iter()
            .fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
                (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
            })
    }

    /// Members of a sequence (empty when absent).
    pub fn get(&self, name: &str) -> Option<&BTreeSet<MsgNum>> {
        self.position(name).map(|i| &self.entries[i].1)
    }

    /// Adds `n` to sequence `name`, creating it at the end when absent.
    pub fn add(&mut self, name: &str, n: MsgNum) {
        match self.position(name) {
            Some(i) => {
                self.entries[i].1.insert(n);
            }
            None => self.entries.push((name.to_string(), BTreeSet::from([n]))),
        }
    }

    /// Removes `n` from sequence `name`.
    pub fn remove(&mut self, name: &str, n: MsgNum) {
        if let Some(i) = self.position(name) {
            self.entries[i].1.remove(&n);
        }
    }

    /// Sets sequence `name` to `members`, adding it at the end when absent.
    pub fn set(&mut self, name: &str, members: BTreeSet<MsgNum>) {
        match self.position(name) {
            Some(i) => self.entries[i].1 = members,
            None => self.entries.push((name.to_string(), members)),
        }
    }

    /// Removes sequence `name` altogether.
    pub fn remove_sequence(&mut self, name: &str) {
        self.entries.retain(|(n, _)| n != name);
    }

    /// Removes `n` from every sequence.
    pub fn remove_everywhere(&mut self, n: MsgNum) {
        for (_, members) in &mut self.entries {
            members.remove(&n);
        }
    }

    /// True when no sequence has a member (nmh would unlink the file).
    pub fn is_empty(&self) -> bool {
        self.entries.iter().all(|(_, m)| m.is_empty())
    }

    /// Reads a folder's sequence file without locking (missing = empty).
    pub fn read(path: &Path) -> Result<(Sequences, Vec<String>), MhError> {
        match std::fs::read(path) {
            Ok(text) => Ok(Sequences::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok((Sequences::default(), Vec::new()))
            }
            Err(e) => Err(MhError::io(path, e)),
        }
    }

    /// Read-modify-write under nmh's lock: locks `path` (creating it
    /// without truncation if missing), reads it, calls `change`, and when
    /// the sequences changed rewrites the file in place (ftruncate + write,
    /// never rename), or unlinks it when no sequence remains, as nmh does.
    pub fn update<R>(
        path: &Path,
        method: LockMethod,
        timeout: Duration,
        change: impl FnOnce(&mut Sequences) -> R,
    ) -> Result<R, MhError> {
        let mut lock = FileLock::acquire(path, method, timeout)?;
        Sequences::update_locked(&mut lock, path, change)
    }

    /// The read-modify-write of [`Sequences::update`] under a lock the
    /// caller already holds on `path` (to keep it across other work, such
    /// as removing message files during EXPUNGE, as nmh's rmm does).
    pub fn update_locked<R>(
        lock: &mut FileLock,
        path: &Path,
        change: impl FnOnce(&mut Sequences) -> R,
    ) -> Result<R, MhError> {
        let (mut seqs, raw) = Sequences::read_locked(lock, path)?;
        let before = seqs.clone();
        let result = change(&mut seqs);
        if seqs.is_empty() && (seqs != before || raw.is_empty()) {
            // nmh unlinks the file when no public sequence remains; doing
            // it under the lock keeps a waiting nmh from reading a stale
            // copy (it reopens by name after each failed attempt).
            std::fs::remove_file(path).map_err(|e| MhError::io(path, e))?;
            return Ok(result);
        }
        if seqs != before {
            let text = seqs.to_text();
            rewrite_in_place(lock.file(), &text).map_err(|e| MhError::io(path, e))?;
        }
        Ok(result)
    }

    /// Reads the sequences through a held lock (logging the warnings);
    /// also returns the raw bytes.
    pub fn read_locked(lock: &mut FileLock, path: &Path) -> Result<(Sequences, Vec<u8>), MhError> {
        let file = lock.file();
        file.seek(SeekFrom::Start(0))
            .map_err(|e| MhError::io(path, e))?;
        let mut raw = Vec::new();
        file.read_to_end(&mut raw)
            .map_err(|e| MhError::io(path, e))?;
        let (seqs, warnings) = Sequences::parse(&raw);
        for w in &warnings {
            log::warn!("{}: {w}", path.display());
        }
        Ok((seqs, raw))
    }

    /// The index of `name`.
    fn position(&self, name: &str) -> Option<usize> {
        self.entries.iter().position(|(n, _)| n == name)
    }
}

/// Seek to 0, truncate, write: the same inode, as nmh rewrites it.
///
/// Not fsynced, as nmh does not either: flags are not what a crash must
/// never lose (message files and UIDs are, and those are synced), and a
/// sync here would cost every STORE and APPEND a disk flush.
pub(super) fn rewrite_in_place(file: &mut std::fs::File, text: &[u8]) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(0))?;
    file.set_len(0)?;
    file.write_all(text)
}

/// Splits the text into (name, value) fields, joining continuation lines;
/// malformed lines become warnings.
fn fields(text: &[u8], warnings: &mut Vec<String>) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(text);
    let mut out: Vec<(String, String)> = Vec::new();
    let mut open = false;
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        if line.starts_with([' ', '\t']) && !line.trim().is_empty() {
            match (open, out.last_mut()) {
                (true, Some((_, value))) => {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                _ => warnings.push(format!("line {lineno}: continuation without a field")),
            }
            continue;
        }
        open = false;
        if line.trim().is_empty() {
            warnings.push(format!("line {lineno}: blank line skipped"));
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            warnings.push(format!("line {lineno}: no colon, skipped"));
            continue;
        };
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            warnings.push(format!("line {lineno}: bad sequence name skipped"));
            continue;
        }
        out.push((name.to_string(), value.trim().to_string()));
        open = true;
    }
    out
}

/// Parses the members of one sequence, skipping bad tokens and spending
/// at most `budget` members.
fn parse_members(
    name: &str,
    value: &str,
    budget: &mut u32,
    warnings: &mut Vec<String>,
) -> BTreeSet<MsgNum> {
    let mut members = BTreeSet::new();
    for token in value.split_whitespace() {
        let Some((lo, hi)) = parse_token(token) else {
            warnings.push(format!("{name}: bad token {token:?} skipped"));
            continue;
        };
        if *budget == 0 {
            warnings.push(format!("{name}: {token} skipped, too many members"));
            continue;
        }
        let span = (hi - lo).min(*budget - 1);
        if span < hi - lo {
            warnings.push(format!("{name}: range {token} cut short, too many members"));
        }
        *budget -= span + 1;
        members.extend(lo..=lo + span);
    }
    members
}

/// One token: `n` or `lo-hi`, each a message number in range, lo <= hi.
fn parse_token(token: &str) -> Option<(MsgNum, MsgNum)> {
    let (lo, hi) = match token.split_once('-') {
        Some((lo, hi)) => (number(lo)?, number(hi)?),
        None => {
            let n = number(token)?;
            (n, n)
        }
    };
    (lo <= hi).then_some((lo, hi))
}

/// A message number: digits only, 1..=MAX_MSG.
fn number(s: &str) -> Option<MsgNum> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<MsgNum>()
        .ok()
        .filter(|n| (1..=MAX_MSG).contains(n))
}

/// Members as nmh writes them: space-separated, runs as `lo-hi`.
pub(super) fn ranges(members: &BTreeSet<MsgNum>) -> String {
    let mut out = String::new();
    for (lo, hi) in runs(members) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&lo.to_string());
        if hi > lo {
            out.push('-');
            out.push_str(&hi.to_string());
        }
    }
    out
}

/// Parses the value of one sequence field found elsewhere (the context),
/// with the same leniency and bound as a sequence file; returns the
/// members and warnings about skipped tokens.
pub(super) fn parse_value(name: &str, value: &str) -> (BTreeSet<MsgNum>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut budget = MAX_MEMBERS;
    let members = parse_members(name, value, &mut budget, &mut warnings);
    (members, warnings)
}

/// Maximal runs of consecutive members as (lo, hi).
fn runs(members: &BTreeSet<MsgNum>) -> Vec<(MsgNum, MsgNum)> {
    let mut out: Vec<(MsgNum, MsgNum)> = Vec::new();
    for &n in members {
        match out.last_mut() {
            Some((_, hi)) if hi.checked_add(1) == Some(n) => *hi = n,
            _ => out.push((n, n)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_parse() {
        let text = b"foo: 1 2\n 5 7-9\n\t11\n\ngarbage\nbar: 9-7 0 -3 99999999999 abc 4\nfoo: 3\n";
        let (s, w) = Sequences::parse(text);
        assert_eq!(s.get("foo"), Some(&BTreeSet::from([3])));
        assert_eq!(s.get("bar"), Some(&BTreeSet::from([4])));
        assert_eq!(s.entries[0].0, "foo");
        assert_eq!(w.len(), 7, "{w:?}");
    }

    #[test]
    fn huge_ranges_are_bounded() {
        let (s, w) = Sequences::parse_bounded(b"a: 1-2000000000\nb: 5 7-9\n", 1000);
        assert_eq!(s.get("a").map(BTreeSet::len), Some(1000));
        assert!(s.get("b").is_some_and(BTreeSet::is_empty));
        assert_eq!(w.len(), 3, "{w:?}");
    }

    #[test]
    fn text_as_nmh_writes_it() {
        let (s, _) = Sequences::parse(b"cur: 13\nunseen: 1 3 4 6 7 8\nempty:\nx: 5\n");
        assert_eq!(s.to_text(), b"cur: 13\nunseen: 1 3-4 6-8\nx: 5\n");
    }
}
