//! MOVE (RFC 6851) as one step in the MH store. Each message is linked
//! into the destination and unlinked from the source while the source
//! folder's nmh lock is held, as `refile` does, so a `refile` of the same
//! message (which takes that lock too) cannot leave it in two folders, and
//! no copy is made within one filesystem.

use std::path::Path;

use crate::mh::{FolderName, MhError, MsgFile, Sequences, message, sequences};

use super::Store;
use super::add::{Added, Transfer, flag_new};
use super::fault::Res;
use super::flags::{self, FlagIndex};
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

        let (moved, index) = self.relink(&src, &dst, &rows)?;

        let added: Vec<Added> = moved
            .iter()
            .map(|(s, file)| Added::from_source(*file, s, src_id))
            .collect();
        let (validity, new_uids) = self.insert_added(&dst, &added, &index)?;
        let gone: Vec<Stored> = moved.into_iter().map(|(s, _)| s).collect();
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
    ) -> Res<(Vec<(Stored, MsgFile)>, FlagIndex)> {
        let profile = &self.profile;
        let wait = self.lock_wait;
        let src_dir = src.path(&profile.path);
        let dst_dir = dst.path(&profile.path);
        let move_all = |seqs: &mut Sequences| move_all(&src_dir, &dst_dir, rows, seqs);
        let flag = |seqs: &mut Sequences, moved: &[(Stored, MsgFile)]| {
            for (s, file) in moved {
                flag_new(seqs, profile, file.number, &flags::split(&s.flags));
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

/// Moves every message of `rows` still there into `dst_dir`, taking its
/// number out of the source's sequences, and makes both directories
/// durable.
fn move_all(
    src_dir: &Path,
    dst_dir: &Path,
    rows: &[Stored],
    seqs: &mut Sequences,
) -> Result<Vec<(Stored, MsgFile)>, MhError> {
    let mut after = message::highest(dst_dir)?;
    let mut moved = Vec::with_capacity(rows.len());
    for s in rows {
        let Some(file) = move_one(src_dir, dst_dir, s, after)? else {
            continue;
        };
        after = file.number;
        seqs.remove_everywhere(s.number);
        moved.push((s.clone(), file));
    }
    message::sync_dirs(&[dst_dir, src_dir])?;
    Ok(moved)
}

/// Moves one message after checking its file is still the row's; `None`
/// when it is gone.
fn move_one(
    src_dir: &Path,
    dst_dir: &Path,
    s: &Stored,
    after: u32,
) -> Result<Option<MsgFile>, MhError> {
    let file = match message::open_checked(src_dir, s.number, &s.identity) {
        Ok(file) => file,
        Err(MhError::MessageGone(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    match message::move_into(src_dir, s.number, file, dst_dir, after) {
        Ok(moved) => Ok(Some(moved)),
        Err(MhError::MessageGone(_)) => Ok(None),
        Err(e) => Err(e),
    }
}
