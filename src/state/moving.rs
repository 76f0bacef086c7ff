//! MOVE (RFC 6851) as one step in the MH store. Each message is linked
//! into the destination and unlinked from the source while the source
//! folder's nmh lock is held, as `refile` does, so a `refile` of the same
//! message (which takes that lock too) cannot leave it in two folders, and
//! no copy is made within one filesystem.

use std::path::Path;

use crate::mh::{FolderName, MhError, MsgFile, Sequences, message};

use super::Store;
use super::add::Added;
use super::fault::Res;
use super::flags;
use super::sync::{Stored, load_some};

impl Store {
    /// [`Store::move_messages`].
    pub(super) fn move_uids(
        &mut self,
        from: &str,
        uids: &[u32],
        to: &str,
    ) -> Res<(u32, Vec<(u32, u32)>)> {
        let src = self.selectable_folder(from)?;
        let dst = self.selectable_folder(to)?;
        self.sync_folder(&src)?;
        // Messages already in the destination get their UIDs first.
        self.sync_folder(&dst)?;
        let src_id = self.folder_row(&src)?.id;
        let rows = load_some(&self.conn, src_id, uids)?;

        let moved = self.relink(&src, &dst, &rows)?;

        let added: Vec<Added> = moved
            .iter()
            .map(|(s, file)| Added {
                file: *file,
                flags: flags::split(&s.flags),
                source: Some((src_id, s.uid)),
            })
            .collect();
        let dst_dir = dst.path(&self.profile.path);
        let index = self.flag_copies(&dst_dir, &added)?;
        let (validity, new_uids) = self.insert_added(&dst, &added, &index)?;
        let gone: Vec<Stored> = moved.into_iter().map(|(s, _)| s).collect();
        self.record_expunged(&src, &gone)?;
        Ok((validity, gone.iter().map(|s| s.uid).zip(new_uids).collect()))
    }

    /// Moves the files of `rows` under the source's sequence lock, taking
    /// their numbers out of the source's sequences; a message that
    /// vanished meanwhile is skipped. Returns the moved rows with their new
    /// files.
    fn relink(
        &self,
        src: &FolderName,
        dst: &FolderName,
        rows: &[Stored],
    ) -> Res<Vec<(Stored, MsgFile)>> {
        let src_dir = src.path(&self.profile.path);
        let dst_dir = dst.path(&self.profile.path);
        let work = |mut seqs: Option<&mut Sequences>| -> Result<Vec<_>, MhError> {
            let mut after = message::highest(&dst_dir)?;
            let mut moved = Vec::with_capacity(rows.len());
            for s in rows {
                let Some(file) = move_one(&src_dir, &dst_dir, s, after)? else {
                    continue;
                };
                after = file.number;
                if let Some(seqs) = seqs.as_deref_mut() {
                    seqs.remove_everywhere(s.number);
                }
                moved.push((s.clone(), file));
            }
            message::sync_dirs(&[&dst_dir, &src_dir])?;
            Ok(moved)
        };
        let profile = &self.profile;
        let moved = match profile.sequences_path(&src_dir) {
            Some(p) => Sequences::update(&p, profile.locking, self.lock_wait, |s| work(Some(s)))??,
            None => work(None)?,
        };
        Ok(moved)
    }
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
