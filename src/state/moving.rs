//! MOVE (RFC 6851) as one step in the MH store. Each message is linked
//! into the destination and unlinked from the source while the source
//! folder's nmh lock is held, as `refile` does, so a `refile` of the same
//! message (which takes that lock too) cannot leave it in two folders, and
//! no copy is made within one filesystem. The moved inode is what inc's
//! overwrite would hit (mh-compat.md §4), so a byte copy of each message
//! is kept for the guard (`guard`) before it moves.

use std::path::Path;

use crate::mh::{FolderName, MhError, MsgFile, Sequences, message, sequences};

use super::Store;
use super::add::{Added, Transfer, flag_new};
use super::fault::Res;
use super::flags::{self, FlagIndex};
use super::keep;
use super::sync::Stored;

impl Store {
    /// [`Store::move_messages`].
    pub(super) fn move_uids(
        &mut self,
        from: &str,
        uids: &[u32],
        to: &str,
    ) -> Res<(u32, Vec<(u32, u32)>)> {
        let Transfer {
            src,
            src_id,
            dst,
            rows,
        } = self.transfer(from, uids, to)?;

        // The moved inodes are what inc could overwrite in the destination
        // (marked before any sync can find them there).
        super::guard::mark_fresh(&self.conn, rows.iter().map(|s| &s.identity))?;
        let (moved, index) = self.relink(&src, &dst, &rows)?;

        let added: Vec<Added> = moved
            .iter()
            .map(|m| Added::from_source(m.file, &m.row, src_id, m.keep.clone()))
            .collect();
        let (validity, new_uids) = match self.insert_added(&dst, &added, &index) {
            Ok(done) => done,
            Err(e) => {
                super::add::drop_kept(&self.path, &added);
                return Err(e);
            }
        };
        let gone: Vec<Stored> = moved.into_iter().map(|m| m.row).collect();
        self.record_expunged(&src, &gone)?;
        Ok((validity, gone.iter().map(|s| s.uid).zip(new_uids).collect()))
    }

    /// Moves the files of `rows` holding the source's and then the
    /// destination's sequence lock (the order refile takes them), taking
    /// their numbers out of the source's sequences and giving the new
    /// files their flags in the destination's. Nothing moves unless both
    /// locks are held, so a busy lock leaves both folders as they were. A
    /// message that vanished meanwhile is skipped.
    fn relink(
        &self,
        src: &FolderName,
        dst: &FolderName,
        rows: &[Stored],
    ) -> Res<(Vec<Moved>, FlagIndex)> {
        let profile = &self.profile;
        let wait = self.lock_wait;
        let src_dir = src.path(&profile.path);
        let dst_dir = dst.path(&profile.path);
        let keep_dir = keep::dir_of(&self.path);
        let dirs = Dirs {
            src: &src_dir,
            dst: &dst_dir,
            keep: &keep_dir,
        };
        let move_all = |seqs: &mut Sequences| move_all(&dirs, rows, seqs);
        let flag = |seqs: &mut Sequences, moved: &[Moved]| {
            for m in moved {
                flag_new(seqs, profile, m.file.number, &flags::split(&m.row.flags));
            }
            FlagIndex::new(profile, seqs)
        };
        let done = if src == dst {
            sequences::update_folder(profile, &src_dir, wait, |s| {
                let moved = move_all(s)?;
                let index = flag(s, &moved);
                Ok::<_, MhError>((moved, index))
            })??
        } else {
            sequences::update_folder(profile, &src_dir, wait, |s| {
                sequences::update_folder(profile, &dst_dir, wait, |d| {
                    let moved = move_all(s)?;
                    let index = flag(d, &moved);
                    Ok::<_, MhError>((moved, index))
                })?
            })??
        };
        Ok(done)
    }
}

/// A message moved: its source row, its new file, its kept copy.
pub(super) struct Moved {
    row: Stored,
    file: MsgFile,
    keep: Option<String>,
}

/// The directories a MOVE works in.
struct Dirs<'a> {
    src: &'a Path,
    dst: &'a Path,
    keep: &'a Path,
}

/// Moves every message of `rows` still there into the destination, taking
/// its number out of the source's sequences, and makes both directories
/// durable.
fn move_all(dirs: &Dirs<'_>, rows: &[Stored], seqs: &mut Sequences) -> Result<Vec<Moved>, MhError> {
    let mut after = message::highest(dirs.dst)?;
    let mut moved = Vec::with_capacity(rows.len());
    for s in rows {
        let Some((file, keep)) = move_one(dirs, s, after)? else {
            continue;
        };
        after = file.number;
        seqs.remove_everywhere(s.number);
        moved.push(Moved {
            row: s.clone(),
            file,
            keep,
        });
    }
    message::sync_dirs(&[dirs.dst, dirs.src])?;
    Ok(moved)
}

/// Moves one message after checking its file is still the row's, keeping
/// a copy of its bytes first; `None` when it is gone.
fn move_one(
    dirs: &Dirs<'_>,
    s: &Stored,
    after: u32,
) -> Result<Option<(MsgFile, Option<String>)>, MhError> {
    let mut file = match message::open_checked(dirs.src, s.number, &s.identity) {
        Ok(file) => file,
        Err(MhError::MessageGone(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let keep = keep::copy_from(dirs.keep, &mut file)
        .map_err(|e| log::warn!("move of UID {} not watched for inc: {e}", s.uid))
        .ok();
    let forget = |keep: &Option<String>| {
        if let Some(name) = keep {
            keep::remove(dirs.keep, name);
        }
    };
    match message::move_into(dirs.src, s.number, file, dirs.dst, after) {
        Ok(moved) => Ok(Some((moved, keep))),
        Err(MhError::MessageGone(_)) => {
            forget(&keep);
            Ok(None)
        }
        Err(e) => {
            forget(&keep);
            Err(e)
        }
    }
}
