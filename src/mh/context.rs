//! The nmh context file (mh-compat.md §1) and the private sequences in it:
//! `atr-NAME-FOLDERPATH: ranges`, where FOLDERPATH is the folder's
//! absolute path spelt as nmh spells it (the mail root, `/`, the name).
//!
//! The file is parsed leniently and edited in place: every field this
//! module does not change, and every line it does not understand (nmh
//! refuses blank lines and lines without a colon; they are still kept),
//! is written back byte for byte and in its place. A changed field is
//! written on one line, as nmh writes it.
//!
//! nmh rewrites the context by opening it with `O_TRUNC` *before* taking
//! its lock, and does not hold the lock from its read to its write. So:
//! a reader may find the file empty for a moment, and waits a little
//! before believing that; a writer checks, just before writing, that the
//! file still has the length it read (else nmh has truncated it and is
//! about to write). Nothing closes nmh's own windows: a change made
//! between an nmh command's read and its write is lost when it writes,
//! as it would be between two nmh commands; and a truncation that lands
//! between that length check and our write (microseconds) would leave the
//! end of our text behind nmh's shorter one, as between two nmh commands.

use std::collections::BTreeSet;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use super::lock::FileLock;
use super::sequences::{self, Sequences};
use super::{MhError, MsgNum, Profile};

/// How long to wait for the context lock by callers with no wait of their
/// own (DELETE, RENAME). nmh holds it for a write's length only.
pub const LOCK_WAIT: Duration = Duration::from_secs(10);

/// How long an empty, freshly changed context is given to be written by
/// the nmh command that truncated it. nmh retries a busy lock once a
/// second, so one retry of its fits.
const EMPTY_WAIT: Duration = Duration::from_millis(1500);

/// An empty context whose mtime is at least this old is believed at once:
/// nmh's truncation would have set it to the time of truncation.
const EMPTY_FRESH: Duration = Duration::from_secs(3);

/// First sleep while waiting for a truncated context to be written.
const FIRST_SLEEP: Duration = Duration::from_millis(2);

/// The prefix of a private sequence's field name.
const ATR: &[u8] = b"atr-";

/// The parsed context: its fields in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    fields: Vec<Field>,
}

/// One field with its continuation lines, or one line nmh would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    /// The bytes as read (every line with its newline), or as written.
    raw: Vec<u8>,
    /// The name before the colon; `None` for a line without a colon.
    name: Option<Vec<u8>>,
    /// The value with continuation lines joined by one space, trimmed.
    value: Vec<u8>,
}

impl Field {
    /// A field as nmh writes one: `name: value` on one line.
    fn new(name: &[u8], value: &[u8]) -> Field {
        let mut raw = Vec::with_capacity(name.len() + value.len() + 3);
        raw.extend_from_slice(name);
        raw.extend_from_slice(b": ");
        raw.extend_from_slice(value);
        raw.push(b'\n');
        Field {
            raw,
            name: Some(name.to_vec()),
            value: value.to_vec(),
        }
    }
}

impl Context {
    /// Parses context text. Never fails: a line that is no field is kept
    /// as it is, and so is a continuation line (leading space or tab),
    /// joined to the field before it.
    pub fn parse(text: &[u8]) -> Context {
        let mut fields: Vec<Field> = Vec::new();
        for line in text.split_inclusive(|b| *b == b'\n') {
            let body = line.strip_suffix(b"\n").unwrap_or(line);
            let continues = body.first().is_some_and(|b| *b == b' ' || *b == b'\t');
            if let (true, Some(last)) = (continues, fields.last_mut()) {
                last.raw.extend_from_slice(line);
                if last.name.is_some() {
                    if !last.value.is_empty() {
                        last.value.push(b' ');
                    }
                    last.value.extend_from_slice(body.trim_ascii());
                }
                continue;
            }
            let name = match body.iter().position(|b| *b == b':') {
                Some(i) if i > 0 && !continues => Some(body[..i].to_vec()),
                _ => None,
            };
            let value = match &name {
                Some(n) => body[n.len() + 1..].trim_ascii().to_vec(),
                None => Vec::new(),
            };
            fields.push(Field {
                raw: line.to_vec(),
                name,
                value,
            });
        }
        Context { fields }
    }

    /// The text to write.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.fields
            .iter()
            .flat_map(|f| f.raw.iter().copied())
            .collect()
    }

    /// The private sequences of the folder in `dir`, in file order; when a
    /// name appears twice the later field wins, as in nmh. Bad tokens are
    /// skipped and logged.
    pub fn private(&self, dir: &Path) -> Sequences {
        let mut seqs = Sequences::default();
        let Some(tag) = folder_tag(dir) else {
            return seqs;
        };
        for f in &self.fields {
            let Some(name) = f.name.as_deref().and_then(|n| sequence_of(n, tag)) else {
                continue;
            };
            let value = String::from_utf8_lossy(&f.value);
            let (members, warnings) = sequences::parse_value(name, &value);
            for w in warnings {
                log::warn!("context: {w}");
            }
            seqs.set(name, members);
        }
        seqs
    }

    /// Sets private sequence `name` of the folder in `dir` to `members`:
    /// its first field is rewritten in place (a later duplicate goes),
    /// a new one is added at the end, an empty one is removed, as nmh
    /// does. False when the folder's path cannot be written in a field
    /// (it holds a colon or a newline, which nmh cannot read back either).
    pub fn set_private(&mut self, dir: &Path, name: &str, members: &BTreeSet<MsgNum>) -> bool {
        let Some(tag) = folder_tag(dir) else {
            return false;
        };
        let key = field_name(name.as_bytes(), tag);
        let value = sequences::ranges(members);
        let mut first = None;
        let mut i = 0;
        while i < self.fields.len() {
            if self.fields[i].name.as_deref() != Some(&key[..]) {
                i += 1;
            } else if first.is_none() && !members.is_empty() {
                if self.fields[i].value != value.as_bytes() {
                    self.fields[i] = Field::new(&key, value.as_bytes());
                }
                first = Some(i);
                i += 1;
            } else {
                self.fields.remove(i);
            }
        }
        if first.is_none() && !members.is_empty() {
            self.push(Field::new(&key, value.as_bytes()));
        }
        true
    }

    /// Removes every private sequence of the folder in `dir` (what `rmf`
    /// does; subfolders keep theirs). True when something was removed.
    pub fn remove_folder(&mut self, dir: &Path) -> bool {
        let Some(tag) = folder_tag(dir) else {
            return false;
        };
        let before = self.fields.len();
        self.fields.retain(|f| {
            let name = f.name.as_deref();
            name.and_then(|n| sequence_of(n, tag)).is_none()
        });
        self.fields.len() != before
    }

    /// Rewrites the private sequences of the folder in `from` and of its
    /// subfolders to the folder's new path `to`; with `subfolders` false
    /// only the folder's own. True when something changed.
    pub fn rename_folder(&mut self, from: &Path, to: &Path, subfolders: bool) -> bool {
        let (Some(old), Some(new)) = (folder_tag(from), folder_tag(to)) else {
            return false;
        };
        let mut changed = false;
        for f in &mut self.fields {
            let Some(name) = f.name.as_deref() else {
                continue;
            };
            let Some(at) = path_start(name, old, subfolders) else {
                continue;
            };
            let mut renamed = name[..at].to_vec();
            renamed.extend_from_slice(new);
            renamed.extend_from_slice(&name[at + old.len()..]);
            *f = Field::new(&renamed, &f.value);
            changed = true;
        }
        changed
    }

    /// Appends a field, ending the last line first when it has no newline.
    fn push(&mut self, field: Field) {
        if let Some(last) = self.fields.last_mut()
            && !last.raw.ends_with(b"\n")
        {
            last.raw.push(b'\n');
        }
        self.fields.push(field);
    }
}

/// The folder's path as it appears in field names; `None` when it holds
/// a colon or a newline (the field could not be read back).
fn folder_tag(dir: &Path) -> Option<&[u8]> {
    let tag = dir.as_os_str().as_bytes();
    let bad = tag.is_empty() || tag.iter().any(|b| *b == b':' || *b == b'\n');
    (!bad).then_some(tag)
}

/// `atr-NAME-TAG`
fn field_name(seq: &[u8], tag: &[u8]) -> Vec<u8> {
    [ATR, seq, b"-", tag].concat()
}

/// The sequence name of field `name` when it is a private sequence of the
/// folder `tag` (nmh's test: `atr-`, a non-empty name, `-`, the path).
fn sequence_of<'a>(name: &'a [u8], tag: &[u8]) -> Option<&'a str> {
    let rest = name.strip_prefix(ATR)?.strip_suffix(tag)?;
    let seq = rest.strip_suffix(b"-")?;
    match seq.is_empty() {
        true => None,
        false => std::str::from_utf8(seq).ok(),
    }
}

/// Where the path `old` starts in private-sequence field `name`, when the
/// field belongs to that folder or (with `subfolders`) to one below it.
fn path_start(name: &[u8], old: &[u8], subfolders: bool) -> Option<usize> {
    let rest = name.strip_prefix(ATR)?;
    // The name is at least one byte, then `-` and the path.
    for (i, _) in rest.iter().enumerate().skip(1).filter(|(_, b)| **b == b'-') {
        let Some(after) = rest[i + 1..].strip_prefix(old) else {
            continue;
        };
        if after.is_empty() || (subfolders && after.starts_with(b"/")) {
            return Some(ATR.len() + i + 1);
        }
    }
    None
}

/// Reads the context without keeping a lock (a missing file is empty).
/// A context found empty right after a change is read again for up to
/// [`EMPTY_WAIT`], since nmh truncates before it locks; if it stays empty
/// that long, it is taken to be empty.
pub fn read(profile: &Profile, wait: Duration) -> Result<Context, MhError> {
    let path = profile.context_path();
    let mut waiting = Waiting::new();
    loop {
        let Some(mut lock) = FileLock::acquire_existing(&path, profile.locking, wait)? else {
            return Ok(Context::default());
        };
        let raw = read_all(&mut lock, &path)?;
        if !truncated(&mut lock, &raw) {
            return Ok(Context::parse(&raw));
        }
        // Unlocked while waiting: nmh needs the lock to write the file.
        drop(lock);
        if waiting.sleep(&path).is_err() {
            return Ok(Context::default());
        }
    }
}

/// Read-modify-write of the context under nmh's lock: `edit` runs on the
/// text as it is now, and when it changed anything the file is rewritten
/// in place (ftruncate + write; not fsynced, as nmh does not either).
/// A missing context is created only when there is something to write.
/// `edit` may run more than once (when nmh truncated the file meanwhile);
/// the result of the last run is returned. A context that stays empty
/// after a recent change for [`EMPTY_WAIT`] (and was not emptied by this
/// process) gives [`MhError::LockBusy`]: writing into a file that nmh has
/// truncated and is waiting to write could leave the end of our text
/// behind nmh's.
pub fn update<R>(
    profile: &Profile,
    wait: Duration,
    mut edit: impl FnMut(&mut Context) -> R,
) -> Result<R, MhError> {
    let path = profile.context_path();
    let mut waiting = Waiting::new();
    let mut created = false;
    loop {
        let lock = FileLock::acquire_existing(&path, profile.locking, wait)?;
        let Some(mut lock) = lock else {
            let mut empty = Context::default();
            let result = edit(&mut empty);
            if empty.fields.is_empty() {
                return Ok(result);
            }
            drop(FileLock::acquire(&path, profile.locking, wait)?);
            created = true;
            continue;
        };
        let raw = read_all(&mut lock, &path)?;
        if !created && truncated(&mut lock, &raw) {
            drop(lock);
            waiting.sleep(&path)?;
            continue;
        }
        let mut context = Context::parse(&raw);
        let result = edit(&mut context);
        let text = context.to_bytes();
        if text == raw {
            return Ok(result);
        }
        if length(&mut lock, &path)? != raw.len() as u64 {
            // nmh truncated it after our read and will write it next.
            drop(lock);
            waiting.sleep(&path)?;
            continue;
        }
        sequences::rewrite_in_place(lock.file(), &text).map_err(|e| MhError::io(&path, e))?;
        if text.is_empty() {
            remember_emptied(&mut lock);
        }
        return Ok(result);
    }
}

/// The whole file through the held lock.
fn read_all(lock: &mut FileLock, path: &Path) -> Result<Vec<u8>, MhError> {
    let file = lock.file();
    let mut raw = Vec::new();
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_end(&mut raw))
        .map_err(|e| MhError::io(path, e))?;
    Ok(raw)
}

/// The file's length now.
fn length(lock: &mut FileLock, path: &Path) -> Result<u64, MhError> {
    let meta = lock.file().metadata().map_err(|e| MhError::io(path, e))?;
    Ok(meta.len())
}

/// The (device, inode, mtime) of the context this process last emptied
/// itself, so that it does not wait for nmh to write it.
static EMPTIED: Mutex<Option<(u64, u64, i64)>> = Mutex::new(None);

/// (device, inode, mtime in ns) of the locked file.
fn file_stamp(lock: &mut FileLock) -> Option<(u64, u64, i64)> {
    let m = lock.file().metadata().ok()?;
    Some((m.dev(), m.ino(), m.mtime() * 1_000_000_000 + m.mtime_nsec()))
}

/// Records that this process just emptied the context.
fn remember_emptied(lock: &mut FileLock) {
    let stamp = file_stamp(lock);
    if let Ok(mut emptied) = EMPTIED.lock() {
        *emptied = stamp;
    }
}

/// True when `raw` is empty and the file changed lately, not by this
/// process: most likely nmh truncated it and has not written it yet.
fn truncated(lock: &mut FileLock, raw: &[u8]) -> bool {
    if !raw.is_empty() {
        return false;
    }
    let stamp = file_stamp(lock);
    if stamp.is_some() && EMPTIED.lock().is_ok_and(|e| *e == stamp) {
        return false;
    }
    let modified = lock.file().metadata().and_then(|m| m.modified());
    let age = modified.map(|m| SystemTime::now().duration_since(m).unwrap_or_default());
    age.is_ok_and(|a| a < EMPTY_FRESH)
}

/// The wait for a truncated context to be written.
struct Waiting {
    start: Instant,
    sleep: Duration,
}

impl Waiting {
    fn new() -> Waiting {
        Waiting {
            start: Instant::now(),
            sleep: FIRST_SLEEP,
        }
    }

    /// Sleeps before the next attempt; [`MhError::LockBusy`] once
    /// [`EMPTY_WAIT`] has passed.
    fn sleep(&mut self, path: &Path) -> Result<(), MhError> {
        let left = EMPTY_WAIT.saturating_sub(self.start.elapsed());
        if left.is_zero() {
            log::warn!("{}: stays empty after a change", path.display());
            return Err(MhError::LockBusy(path.to_path_buf()));
        }
        std::thread::sleep(self.sleep.min(left));
        self.sleep = (self.sleep * 2).min(Duration::from_millis(100));
        Ok(())
    }
}

/// Writes the text through a fresh descriptor (tests only need this to
/// set a context up; the server always edits in place).
#[cfg(test)]
fn write_for_test(path: &Path, text: &[u8]) {
    use std::io::Write;
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(text).unwrap();
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    const DIR: &str = "/h/Mail/inbox";

    fn set(members: &[MsgNum]) -> BTreeSet<MsgNum> {
        members.iter().copied().collect()
    }

    #[test]
    fn private_sequences_of_one_folder() {
        let text = b"Current-Folder: inbox\n\
            atr-unseen-/h/Mail/inbox: 1-3\n\
            atr-cur-/h/Mail/inbox/sub: 2\n\
            atr-a-b-/h/Mail/inbox: 5\n\
            atr--/h/Mail/inbox: 9\n\
            atr-flagged-/h/Mail/inbox: 1\n 2\n\t4\n\
            atr-dup-/h/Mail/inbox: 1\n\
            atr-dup-/h/Mail/inbox: 2\n\
            xatr-no-/h/Mail/inbox: 1\n";
        let c = Context::parse(text);
        let p = c.private(Path::new(DIR));
        let names: Vec<&str> = p.entries.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["unseen", "a-b", "flagged", "dup"]);
        assert_eq!(p.get("flagged"), Some(&set(&[1, 2, 4])));
        assert_eq!(p.get("dup"), Some(&set(&[2])), "the later field wins");
        assert_eq!(c.to_bytes(), text.to_vec(), "parsing alone changes nothing");
    }

    #[test]
    fn odd_lines_survive_an_edit_byte_for_byte() {
        let text: &[u8] = b"garbage line\n\n leading continuation\nX-Odd:   spaced  \n\
            #: comment\nCurrent-Folder: inbox\n\xff\xfe: latin\natr-x-/h/Mail/inbox: 1\n\
            Folder-Stack: a b\n\tc\nno newline at end";
        let mut c = Context::parse(text);
        assert!(c.set_private(Path::new(DIR), "x", &set(&[1, 2])));
        assert!(c.set_private(Path::new(DIR), "new", &set(&[7])));
        let out = c.to_bytes();
        let expected: &[u8] = b"garbage line\n\n leading continuation\nX-Odd:   spaced  \n\
            #: comment\nCurrent-Folder: inbox\n\xff\xfe: latin\natr-x-/h/Mail/inbox: 1-2\n\
            Folder-Stack: a b\n\tc\nno newline at end\natr-new-/h/Mail/inbox: 7\n";
        assert_eq!(out, expected.to_vec());
    }

    #[test]
    fn emptied_sequence_and_duplicates_go() {
        let text = b"atr-d-/h/Mail/inbox: 1\nA: b\natr-d-/h/Mail/inbox: 2\n";
        let mut c = Context::parse(text);
        c.set_private(Path::new(DIR), "d", &set(&[3, 4, 5]));
        assert_eq!(c.to_bytes(), b"atr-d-/h/Mail/inbox: 3-5\nA: b\n".to_vec());
        c.set_private(Path::new(DIR), "d", &set(&[]));
        assert_eq!(c.to_bytes(), b"A: b\n".to_vec());
    }

    #[test]
    fn remove_folder_keeps_subfolders_and_neighbours() {
        let text = b"atr-a-/h/Mail/z: 1\natr-b-/h/Mail/z/y: 2\natr-c-/h/Mail/zz: 3\n\
            atr-d-/h/Mail/z: 4\n";
        let mut c = Context::parse(text);
        assert!(c.remove_folder(Path::new("/h/Mail/z")));
        assert_eq!(
            c.to_bytes(),
            b"atr-b-/h/Mail/z/y: 2\natr-c-/h/Mail/zz: 3\n".to_vec()
        );
        assert!(!c.remove_folder(Path::new("/h/Mail/z")));
    }

    #[test]
    fn rename_moves_the_folder_and_its_subfolders() {
        let text = b"atr-a-/h/Mail/z: 1\natr-b-/h/Mail/z/y: 2\natr-c-/h/Mail/zz: 3\n\
            atr-x-z-/h/Mail/z: 4\n";
        let mut c = Context::parse(text);
        let (from, to) = (PathBuf::from("/h/Mail/z"), PathBuf::from("/h/Mail/n/w"));
        assert!(c.rename_folder(&from, &to, true));
        assert_eq!(
            c.to_bytes(),
            b"atr-a-/h/Mail/n/w: 1\natr-b-/h/Mail/n/w/y: 2\natr-c-/h/Mail/zz: 3\n\
              atr-x-z-/h/Mail/n/w: 4\n"
                .to_vec()
        );
        let mut c = Context::parse(text);
        assert!(c.rename_folder(&from, &to, false));
        assert!(
            c.to_bytes()
                .starts_with(b"atr-a-/h/Mail/n/w: 1\natr-b-/h/Mail/z/y: 2\n")
        );
    }

    #[test]
    fn a_path_with_a_colon_has_no_private_sequences() {
        let mut c = Context::parse(b"A: b\n");
        assert!(!c.set_private(Path::new("/h/Mail/a:b"), "x", &set(&[1])));
        assert_eq!(c.to_bytes(), b"A: b\n".to_vec());
    }

    #[test]
    fn update_edits_in_place_and_creates_only_when_needed() {
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::defaults(dir.path().to_path_buf());
        let path = profile.context_path();
        update(&profile, LOCK_WAIT, |_| ()).unwrap();
        assert!(!path.exists(), "nothing to write, nothing created");
        let folder = dir.path().join("inbox");
        update(&profile, LOCK_WAIT, |c| {
            c.set_private(&folder, "s", &set(&[1]))
        })
        .unwrap();
        let expected = format!("atr-s-{}: 1\n", folder.display());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
        write_for_test(&path, b"Current-Folder: x\n");
        use std::os::unix::fs::MetadataExt;
        let ino = std::fs::metadata(&path).unwrap().ino();
        update(&profile, LOCK_WAIT, |c| {
            c.set_private(&folder, "s", &set(&[2]))
        })
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            format!("Current-Folder: x\natr-s-{}: 2\n", folder.display())
        );
        assert_eq!(std::fs::metadata(&path).unwrap().ino(), ino, "same inode");
        let read_back = read(&profile, LOCK_WAIT).unwrap().private(&folder);
        assert_eq!(read_back.get("s"), Some(&set(&[2])));
    }

    #[test]
    fn a_fresh_empty_context_is_busy_and_an_old_one_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::defaults(dir.path().to_path_buf());
        let path = profile.context_path();
        write_for_test(&path, b"");
        let err = update(&profile, LOCK_WAIT, |c| {
            c.set_private(dir.path(), "s", &set(&[1]))
        });
        assert!(matches!(err, Err(MhError::LockBusy(_))), "{err:?}");
        let old = SystemTime::now() - EMPTY_FRESH * 2;
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert_eq!(read(&profile, LOCK_WAIT).unwrap(), Context::default());
    }
}
