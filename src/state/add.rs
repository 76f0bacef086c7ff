//! Adding messages: APPEND and COPY. Files are added by the MH layer
//! (temporary dot-file, `link()` to a free number, fsync); the sequences
//! for their flags are set under nmh's lock; the rows, with UIDs, are
//! committed before the caller answers the client.

use std::path::Path;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::mh::{
    FolderName, Identity, MhError, MsgFile, MsgNum, Profile, Sequences, message, sequences,
};

use super::Store;
use super::fault::{Fault, Res};
use super::flags::{self, FlagIndex, has_seen, mark_seen};
use super::folders;
use super::guard::{self, mark_fresh};
use super::keep;
use super::sync::{Stored, insert_row, load_some};

/// A message added to a folder, with the flags it must get.
pub(super) struct Added {
    /// The new file.
    pub(super) file: MsgFile,
    /// Its flags in wire form.
    pub(super) flags: Vec<String>,
    /// The source (folder id, UID) whose cache the row inherits.
    pub(super) source: Option<(i64, u32)>,
    /// Its kept copy, watched for inc's overwrite (`guard`).
    pub(super) keep: Option<String>,
}

impl Added {
    /// A copy or move of stored message `s` of folder `src_id`: same flags,
    /// and the row inherits the source's cache.
    pub(super) fn from_source(
        file: MsgFile,
        s: &Stored,
        src_id: i64,
        keep: Option<String>,
    ) -> Added {
        Added {
            file,
            flags: flags::split(&s.flags),
            source: Some((src_id, s.uid)),
            keep,
        }
    }
}

/// The two ends of a COPY or MOVE, both synced, and the source rows.
pub(super) struct Transfer {
    /// The source folder.
    pub(super) src: FolderName,
    /// Its row id.
    pub(super) src_id: i64,
    /// The destination folder.
    pub(super) dst: FolderName,
    /// The stored rows of the UIDs asked for that exist.
    pub(super) rows: Vec<Stored>,
}

impl Store {
    /// Resolves and syncs both folders of a COPY or MOVE and loads the
    /// source rows. The destination is synced so that messages already
    /// there get their UIDs before the new ones.
    pub(super) fn transfer(&mut self, from: &str, uids: &[u32], to: &str) -> Res<Transfer> {
        let src = self.selectable_folder(from)?;
        let dst = self.selectable_folder(to)?;
        self.sync_folder(&src)?;
        self.sync_folder(&dst)?;
        let src_id = self.folder_row(&src)?.id;
        let rows = load_some(&self.conn, src_id, uids)?;
        Ok(Transfer {
            src,
            src_id,
            dst,
            rows,
        })
    }
}

impl Store {
    /// [`Store::append`]. The file is linked to its number while nmh's
    /// lock is held, as `rcvstore` does, so a sync never sees it without
    /// its sequences. The message is then watched for inc's overwrite
    /// (`guard`), with a kept copy of the client's bytes.
    pub(super) fn append_message(
        &mut self,
        mailbox: &str,
        bytes: &[u8],
        flags: &[String],
        date: Option<DateTime<FixedOffset>>,
    ) -> Res<(u32, u32)> {
        self.check_guards(false);
        let name = self.selectable_folder(mailbox)?;
        // A folder read before is not read again first (that would stat
        // every file in it for each APPEND): a file that arrived since gets
        // its UID when a session sees it, after ours, as a message joins
        // the mailbox when the server first sees it. A folder never read
        // is, so that the messages already in it come first.
        let known = folders::find(&self.conn, name.as_str())?
            .is_some_and(|row| row.generation > 0 || row.dir_stamp.is_some());
        if !known {
            self.sync_folder(&name)?;
        }
        let dir = name.path(&self.profile.path);
        let mtime = date.map_or_else(SystemTime::now, SystemTime::from);
        let keep = keep::write(&keep::dir_of(&self.path), bytes)
            .map_err(|e| log::warn!("{name}: APPEND not watched for inc: {e}"))
            .ok();
        let mut made = None;
        let result = self.add_flagged(&dir, bytes, flags, mtime, &mut made);
        let result = result.and_then(|(file, index)| {
            let added = [Added {
                file,
                flags: flags.to_vec(),
                source: None,
                keep: keep.clone(),
            }];
            self.insert_added(&name, &added, &index)
        });
        match result {
            // insert_added returns one UID per added file: exactly one.
            Ok((uidvalidity, uids)) => Ok((uidvalidity, uids.first().copied().unwrap_or(0))),
            Err(e) => {
                // The client is told NO and may retry: leave no copy.
                discard(&self.profile, self.lock_wait, &dir, made.iter());
                if let Some(name) = keep {
                    keep::remove(&keep::dir_of(&self.path), &name);
                }
                Err(e)
            }
        }
    }

    /// Adds the file and puts it into the sequences of `flags`, linking it
    /// while nmh's lock is held; `made` learns the file as soon as it
    /// exists.
    fn add_flagged(
        &self,
        dir: &Path,
        bytes: &[u8],
        flags: &[String],
        mtime: SystemTime,
        made: &mut Option<MsgFile>,
    ) -> Res<(MsgFile, FlagIndex)> {
        let profile = &self.profile;
        // Marked as just appended before any other process can see it
        // (and outside nmh's lock: a sync holds SQLite while locking).
        let pending = message::Pending::write(dir, profile, bytes, mtime)?;
        mark_fresh(&self.conn, [pending.identity()])?;
        let outcome = sequences::update_folder(profile, dir, self.lock_wait, |seqs| {
            let file = pending.link(dir)?;
            *made = Some(file);
            flag_new(seqs, profile, file.number, flags);
            Ok::<_, MhError>((file, FlagIndex::new(profile, seqs)))
        })??;
        Ok(outcome)
    }

    /// [`Store::copy`]. The copies are watched for inc's overwrite
    /// (`guard`), their sources kept as hard links.
    pub(super) fn copy_messages(
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
        let added = self.copy_files(&src, src_id, &dst, &rows)?;
        if added.is_empty() {
            return Ok((self.folder_row(&dst)?.uidvalidity, Vec::new()));
        }
        let dst_dir = dst.path(&self.profile.path);
        let recorded = self
            .flag_copies(&dst_dir, &added)
            .and_then(|index| self.insert_added(&dst, &added, &index));
        let (uidvalidity, new_uids) = match recorded {
            Ok(done) => done,
            Err(e) => {
                self.undo_copies(&dst_dir, &added);
                return Err(e);
            }
        };
        let pairs = added.iter().filter_map(|a| a.source.map(|(_, uid)| uid));
        Ok((uidvalidity, pairs.zip(new_uids).collect()))
    }

    /// Copies the files of `rows` into `dst`; a message that vanished is
    /// skipped. On failure the copies made so far are removed, so a retried
    /// COPY does not leave messages twice.
    fn copy_files(
        &self,
        src: &FolderName,
        src_id: i64,
        dst: &FolderName,
        rows: &[Stored],
    ) -> Res<Vec<Added>> {
        let src_dir = src.path(&self.profile.path);
        let dst_dir = dst.path(&self.profile.path);
        let ends = Ends {
            src_dir: &src_dir,
            dst_dir: &dst_dir,
            keep_dir: &keep::dir_of(&self.path),
        };
        let mut added = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(COPY_BATCH) {
            let from = added.len();
            let copied =
                copy_chunk(&ends, &self.profile, src_id, chunk).map(|more| added.extend(more));
            // Marked before any row exists for them: a sync that took a
            // copy first must still see inc's overwrite as one.
            let marked = copied.map_err(Fault::from).and_then(|()| {
                mark_fresh(&self.conn, added[from..].iter().map(|a| &a.file.identity))
            });
            if let Err(e) = marked {
                self.undo_copies(&dst_dir, &added);
                return Err(e);
            }
        }
        Ok(added)
    }

    /// Removes the copies made in `dir` and their kept copies, so that a
    /// retried COPY leaves no message twice.
    fn undo_copies(&self, dir: &Path, added: &[Added]) {
        discard(
            &self.profile,
            self.lock_wait,
            dir,
            added.iter().map(|a| &a.file),
        );
        drop_kept(&self.path, added);
    }

    /// Sets the flags of the copies in the destination's sequences, in
    /// one update.
    pub(super) fn flag_copies(&self, dir: &Path, added: &[Added]) -> Res<FlagIndex> {
        let profile = &self.profile;
        let index = sequences::update_folder(profile, dir, self.lock_wait, |seqs| {
            for a in added {
                flag_new(seqs, profile, a.file.number, &a.flags);
            }
            FlagIndex::new(profile, seqs)
        })?;
        Ok(index)
    }

    /// Gives the added files UIDs in one transaction (a row another
    /// session's sync made for the same file meanwhile is kept), and
    /// starts watching those with a kept copy for inc's overwrite
    /// (`guard`) in the same transaction; returns UIDVALIDITY and the UIDs
    /// in the order of `added`.
    pub(super) fn insert_added(
        &mut self,
        name: &FolderName,
        added: &[Added],
        index: &FlagIndex,
    ) -> Res<(u32, Vec<u32>)> {
        let (dir, keep_dir) = (name.path(&self.profile.path), keep::dir_of(&self.path));
        for a in added {
            if let Some(keep) = &a.keep {
                let path = dir.join(a.file.number.to_string());
                keep::add_witness(&keep_dir, keep, &path, &a.file.identity);
            }
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let folder = folders::find_or_insert(&tx, name.as_str())?;
        let modseq = folder.highestmodseq + 1;
        let mut uidnext = folder.uidnext;
        let mut uids = Vec::with_capacity(added.len());
        let since_ns = super::stamp::now_ns();
        for a in added {
            let f = &a.file;
            let uid = match existing_uid(&tx, folder.id, f)? {
                Some(uid) => uid,
                None => {
                    insert_row(&tx, folder.id, uidnext, f, &index.text(f.number), modseq)?;
                    if let Some(source) = a.source {
                        inherit_cache(&tx, folder.id, uidnext, source)?;
                    }
                    uidnext = uidnext.saturating_add(1);
                    uidnext - 1
                }
            };
            if let Some(keep) = &a.keep {
                guard::record(&tx, name, uid, f, keep, &a.flags, since_ns)?;
            }
            uids.push(uid);
        }
        tx.execute(
            "UPDATE folders SET uidnext = ?2, highestmodseq = ?3, generation = generation + 1
             WHERE id = ?1",
            params![folder.id, uidnext, modseq as i64],
        )?;
        folders::recount(&tx, folder.id)?;
        tx.commit()?;
        Ok((folder.uidvalidity, uids))
    }
}

/// Puts a new message `n` into the sequences of `flags`, and into every
/// unseen sequence unless `\Seen` is among them (as `inc` does).
pub(super) fn flag_new(seqs: &mut Sequences, profile: &Profile, n: MsgNum, flags: &[String]) {
    for seq in flags
        .iter()
        .filter_map(|f| crate::mh::keyword::sequence_for_flag(f, profile))
    {
        seqs.add(&seq, n);
    }
    if has_seen(flags) {
        mark_seen(seqs, profile, n);
    } else {
        for u in &profile.unseen {
            seqs.add(u, n);
        }
    }
}

/// Messages copied per batch: each holds a descriptor open until the
/// batch is written, so this stays well below the usual limit of 1024.
const COPY_BATCH: usize = 256;

/// The directories a COPY works in.
struct Ends<'a> {
    src_dir: &'a Path,
    dst_dir: &'a Path,
    keep_dir: &'a Path,
}

/// Copies one batch of messages from their checked descriptors, so that
/// nmh renumbering the folder meanwhile cannot make us copy another
/// message; a message that vanished is skipped. Each source is kept
/// (`keep`) for the guard against inc's overwrite of its copy.
fn copy_chunk(
    ends: &Ends<'_>,
    profile: &Profile,
    src_id: i64,
    rows: &[Stored],
) -> Result<Vec<Added>, MhError> {
    let mut opened = Vec::with_capacity(rows.len());
    let mut kept = Vec::with_capacity(rows.len());
    for s in rows {
        match message::open_checked(ends.src_dir, s.number, &s.identity) {
            Ok(mut file) => {
                let keep = keep::link_or_copy(ends.keep_dir, &mut file)
                    .map_err(|e| log::warn!("copy of UID {} not watched for inc: {e}", s.uid))
                    .ok();
                opened.push(file);
                kept.push((s, keep));
            }
            Err(MhError::MessageGone(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let files = match message::copy_batch(opened, ends.dst_dir, profile) {
        Ok(files) => files,
        Err(e) => {
            for name in kept.iter().filter_map(|(_, k)| k.as_deref()) {
                keep::remove(ends.keep_dir, name);
            }
            return Err(e);
        }
    };
    let added = files
        .into_iter()
        .zip(kept)
        .map(|(file, (s, keep))| Added::from_source(file, s, src_id, keep));
    Ok(added.collect())
}

/// Removes the kept copies of messages whose adding failed.
pub(super) fn drop_kept(state: &Path, added: &[Added]) {
    let dir = keep::dir_of(state);
    for name in added.iter().filter_map(|a| a.keep.as_deref()) {
        keep::remove(&dir, name);
    }
}

/// Removes files added by an APPEND or COPY that then failed (the client
/// is told NO and may retry), and their numbers from the sequences, under
/// the lock so that no new message takes a number in between. Plain
/// unlink: they were never announced, so rmmproc has no business with them.
fn discard<'a>(
    profile: &Profile,
    wait: Duration,
    dir: &Path,
    files: impl IntoIterator<Item = &'a MsgFile>,
) {
    let numbers: Vec<MsgNum> = files.into_iter().map(|f| f.number).collect();
    let unlink = |seqs: &mut Sequences| {
        for n in &numbers {
            let path = dir.join(n.to_string());
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    log::warn!("{}: cannot remove partial message: {e}", path.display());
                }
                _ => {}
            }
        }
        numbers.iter().for_each(|n| seqs.remove_everywhere(*n));
    };
    if numbers.is_empty() {
        return;
    }
    if let Err(e) = sequences::update_folder(profile, dir, wait, unlink) {
        log::warn!("{}: {e}; removing partial messages unlocked", dir.display());
        unlink(&mut Sequences::default());
    }
}

/// The UID of the row another session already made for file `f`.
pub(super) fn existing_uid(conn: &Connection, folder: i64, f: &MsgFile) -> Res<Option<u32>> {
    let mut stmt = conn.prepare_cached(
        "SELECT uid, btime_ns, size, mtime_ns FROM messages
         WHERE folder = ?1 AND number = ?2 AND ino = ?3 AND dev = ?4",
    )?;
    let id = &f.identity;
    let found = stmt
        .query_row(
            params![folder, f.number, id.ino as i64, id.dev as i64],
            |r| {
                let uid: u32 = r.get(0)?;
                let row_id = Identity {
                    btime_ns: r.get(1)?,
                    size: r.get::<_, i64>(2)? as u64,
                    mtime_ns: r.get(3)?,
                    ..*id
                };
                Ok((uid, row_id))
            },
        )
        .optional()
        .map_err(Fault::from)?;
    Ok(found
        .filter(|(_, row_id)| row_id.same_message(id))
        .map(|(uid, _)| uid))
}

/// Copies the cache blob of `source` to the new row.
fn inherit_cache(conn: &Connection, folder: i64, uid: u32, source: (i64, u32)) -> Res<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO cache (folder, uid, blob)
             SELECT ?1, ?2, blob FROM cache WHERE folder = ?3 AND uid = ?4",
    )?;
    stmt.execute(params![folder, uid, source.0, source.1])?;
    Ok(())
}
