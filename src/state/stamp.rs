//! Stamps of a folder directory and of its sequence files (the public
//! file and the context, which holds private sequences): what a sync
//! compares to know, with one stat each, that nothing changed.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::mh::Profile;

use super::fault::{Res, io};

/// A stamp whose mtime is this recent is not trusted (the next sync reads
/// again): a later change within the same timestamp tick would leave the
/// stamp unchanged. Where mtimes carry sub-second parts the tick is at
/// most a few milliseconds (the kernel's coarse clock).
const SETTLE_FINE_NS: i64 = 100_000_000;

/// The same where mtimes are whole seconds (ext3, FAT, some NFS servers):
/// the tick is one or two seconds.
const SETTLE_COARSE_NS: i64 = 2_000_000_000;

/// What a stat says about a file or directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stamp {
    ino: u64,
    size: u64,
    mtime_ns: i64,
    ctime_ns: i64,
}

impl Stamp {
    /// Stats `path`; `None` when it does not exist.
    pub(super) fn of(path: &Path) -> Res<Option<Stamp>> {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(path, e)),
        };
        Ok(Some(Stamp {
            ino: meta.ino(),
            size: meta.size(),
            mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
            ctime_ns: meta.ctime() * 1_000_000_000 + meta.ctime_nsec(),
        }))
    }

    /// True when the last change is too recent to trust. Only mtime
    /// counts: every later change of the content sets mtime to the time of
    /// that change, which differs from an mtime older than one tick,
    /// whatever ctime says.
    fn unsettled(&self, now_ns: i64) -> bool {
        let settle = match self.mtime_ns % 1_000_000_000 {
            0 => SETTLE_COARSE_NS,
            _ => SETTLE_FINE_NS,
        };
        now_ns - self.mtime_ns < settle
    }
}

/// The files a folder's sequences live in.
pub(super) struct SeqFiles {
    /// The public sequence file, when the profile keeps public sequences.
    public: Option<PathBuf>,
    /// The context (private sequences of every folder).
    context: PathBuf,
}

/// The stamps of a folder's [`SeqFiles`]: a change to either means the
/// sequences are read again (the directory is not). A change of the
/// context alone is first checked against the print of the folder's own
/// private sequences stored with the stamps ([`StoredSeq`]): nmh rewrites
/// the context on most commands (`Current-Folder`), and most of those
/// rewrites leave a given folder's sequences alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SeqStamp {
    public: Option<Stamp>,
    context: Option<Stamp>,
}

impl SeqFiles {
    /// The sequence files of the folder in `dir`.
    pub(super) fn of(profile: &Profile, dir: &Path) -> SeqFiles {
        SeqFiles {
            public: profile.sequences_path(dir),
            context: profile.context_path(),
        }
    }

    /// Stats them (two stats at most).
    pub(super) fn stamp(&self) -> Res<SeqStamp> {
        let public = match &self.public {
            Some(p) => Stamp::of(p)?,
            None => None,
        };
        let context = Stamp::of(&self.context)?;
        Ok(SeqStamp { public, context })
    }
}

impl SeqStamp {
    /// When the sequences were last written: the public file's mtime, or
    /// the context's where there is no public file (inc then writes its
    /// `cur` and `unseen` there).
    pub(super) fn written_ns(&self) -> Option<i64> {
        self.public.or(self.context).map(|s| s.mtime_ns)
    }

    /// The stored form of the stamps.
    pub(super) fn text(&self) -> String {
        format!("{} ctx {}", text(self.public), text(self.context))
    }

    /// The form to store after a sync that read sequences whose private
    /// part has `print`: `None` when either stamp is unsettled.
    pub(super) fn for_store(self, print: Print, now_ns: i64) -> Option<String> {
        to_store(self.public, now_ns)?;
        to_store(self.context, now_ns)?;
        Some(format!(
            "{}{PRINT}{:016x}@{}",
            self.text(),
            print.value,
            print.generation
        ))
    }

    /// True when, next to the `stored` form, only the context changed, and
    /// long enough ago to be stored: then the folder's private print alone
    /// says whether its sequences changed.
    pub(super) fn only_context_changed(&self, stored: &StoredSeq<'_>, now_ns: i64) -> bool {
        let public = format!("{} ctx ", text(self.public));
        let settled = to_store(self.context, now_ns).is_some();
        settled && stored.stamps != self.text() && stored.stamps.starts_with(&public)
    }
}

/// Separates the stamps from the private print in a stored form.
const PRINT: &str = " print ";

/// The print of a folder's private sequences as a sync read them, and the
/// folder's generation once the rows were brought in line with them. A
/// writer (STORE, APPEND, EXPUNGE...) that changes rows raises the
/// generation, after which the print no longer describes the rows: the
/// context could come back to the printed text while the rows hold the
/// writer's flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Print {
    /// [`crate::mh::Sequences::fingerprint`] of the private sequences.
    pub value: u64,
    /// The folder's generation the rows had.
    pub generation: i64,
}

/// A folder's stored sequence stamps, taken apart.
pub(super) struct StoredSeq<'a> {
    /// What [`SeqStamp::text`] gave.
    pub stamps: &'a str,
    /// The print stored with them; `None` in rows written before prints
    /// were kept (they are read again once).
    pub print: Option<Print>,
}

impl StoredSeq<'_> {
    /// Takes a stored form apart.
    pub(super) fn parse(stored: &str) -> StoredSeq<'_> {
        let Some((stamps, print)) = stored.rsplit_once(PRINT) else {
            return StoredSeq {
                stamps: stored,
                print: None,
            };
        };
        let print = print.split_once('@').and_then(|(value, generation)| {
            Some(Print {
                value: u64::from_str_radix(value, 16).ok()?,
                generation: generation.parse().ok()?,
            })
        });
        StoredSeq { stamps, print }
    }
}

/// The stored form of an optional stamp (a missing file has a stamp too).
pub(super) fn text(stamp: Option<Stamp>) -> String {
    match stamp {
        Some(s) => format!("{}:{}:{}:{}", s.ino, s.size, s.mtime_ns, s.ctime_ns),
        None => "absent".to_string(),
    }
}

/// The form to store after a sync: `None` (read again next time) when
/// the stamp is unsettled.
pub(super) fn to_store(stamp: Option<Stamp>, now_ns: i64) -> Option<String> {
    match stamp {
        Some(s) if s.unsettled(now_ns) => None,
        other => Some(text(other)),
    }
}

/// Nanoseconds since the epoch now.
pub(super) fn now_ns() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_nanos()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_stamp_is_not_stored_and_old_one_is() {
        let dir = tempfile::tempdir().unwrap();
        let s = Stamp::of(dir.path()).unwrap();
        assert!(s.is_some());
        assert_eq!(to_store(s, now_ns()), None);
        let later = now_ns() + SETTLE_COARSE_NS;
        assert_eq!(to_store(s, later), Some(text(s)));
        let whole = Stamp {
            ino: 1,
            size: 1,
            mtime_ns: 5_000_000_000,
            ctime_ns: 0,
        };
        assert_eq!(to_store(Some(whole), 5_500_000_000), None, "coarse tick");
        let fine = Stamp {
            mtime_ns: 5_000_000_001,
            ..whole
        };
        assert!(to_store(Some(fine), 5_500_000_000).is_some());
        assert_eq!(Stamp::of(&dir.path().join("nope")).unwrap(), None);
        assert_eq!(to_store(None, 0).as_deref(), Some("absent"));
    }

    #[test]
    fn stored_form_round_trips_the_print() {
        let stamp = SeqStamp {
            public: None,
            context: Some(Stamp {
                ino: 7,
                size: 10,
                mtime_ns: 1_000_000_001,
                ctime_ns: 2,
            }),
        };
        let print = Print {
            value: 0xfeed,
            generation: 42,
        };
        let text = stamp.for_store(print, 9_000_000_000).unwrap();
        let stored = StoredSeq::parse(&text);
        assert_eq!(stored.stamps, stamp.text());
        assert_eq!(stored.print, Some(print));
        let old = StoredSeq::parse("absent ctx absent");
        assert_eq!((old.stamps, old.print), ("absent ctx absent", None));
        assert_eq!(StoredSeq::parse("absent ctx absent print zz@1").print, None);
    }
}
