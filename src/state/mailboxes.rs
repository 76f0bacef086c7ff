//! Mailboxes: LIST, CREATE, DELETE, RENAME and subscriptions, over
//! `mh::folder` and the folder rows.
//!
//! A folder deleted while it has subfolders loses its messages and stays as
//! a `\Noselect` name (RFC 3501 §6.3.4), remembered in the `noselect`
//! table; CREATE of that name makes it selectable again.

use std::collections::HashSet;
use std::path::Path;

use rusqlite::{Connection, TransactionBehavior, params};

use crate::mh::context::{self, Context};
use crate::mh::{FolderName, MhError, folder, message, sequences};

use super::fault::Res;
use super::folders;
use super::names::{INBOX, canonical, imap_name, is_inbox};
use super::{MailboxInfo, StateError, Store};

/// Renames the folder rows (and `\Noselect` names) of a subtree.
const RENAME_SUBTREE: [&str; 2] = [
    "UPDATE folders SET name = ?2 || substr(name, length(?1) + 1)
     WHERE name = ?1 OR substr(name, 1, length(?1) + 1) = ?1 || '/'",
    "UPDATE noselect SET name = ?2 || substr(name, length(?1) + 1)
     WHERE name = ?1 OR substr(name, 1, length(?1) + 1) = ?1 || '/'",
];

/// Forgets stale rows of a subtree (the folders are not on disk).
const FORGET_SUBTREE: [&str; 2] = [
    "DELETE FROM folders WHERE name = ?1 OR substr(name, 1, length(?1) + 1) = ?1 || '/'",
    "DELETE FROM noselect WHERE name = ?1 OR substr(name, 1, length(?1) + 1) = ?1 || '/'",
];

impl Store {
    /// [`Store::list`]: INBOX and its subfolders, then every other folder,
    /// each group in MH's order.
    pub(super) fn list_mailboxes(&mut self) -> Res<Vec<MailboxInfo>> {
        let entries = match self.profile.path.is_dir() {
            true => folder::list(&self.profile)?,
            false => Vec::new(),
        };
        let noselect = noselect_names(&self.conn)?;
        let inbox = self.profile.inbox.as_str();
        let inbox_children = entries
            .iter()
            .any(|e| e.name.as_str() == inbox && e.has_children);
        let mut out = vec![MailboxInfo {
            name: INBOX.into(),
            has_children: inbox_children,
            selectable: true,
        }];
        let infos = entries
            .iter()
            .filter(|e| e.name.as_str() != inbox)
            .map(|e| MailboxInfo {
                name: imap_name(&self.profile, e.name.as_str()),
                has_children: e.has_children,
                selectable: !noselect.contains(e.name.as_str()),
            });
        let (under, rest): (Vec<_>, Vec<_>) = infos.partition(|m| m.name.starts_with("INBOX/"));
        out.extend(under);
        out.extend(rest);
        Ok(out)
    }

    /// [`Store::create`].
    pub(super) fn create_mailbox(&mut self, mailbox: &str) -> Res<()> {
        let mailbox = mailbox.strip_suffix('/').unwrap_or(mailbox);
        let name = self.folder_of(mailbox)?;
        if is_inbox(mailbox) || self.is_inbox_folder(&name) {
            return Err(StateError::MailboxExists.into());
        }
        let revive = folders::is_noselect(&self.conn, name.as_str())?
            && folder::exists(&self.profile, &name);
        if !revive {
            folder::create(&self.profile, &name)?;
        }
        // A row left from an earlier folder of this name must not lend it
        // its UIDVALIDITY.
        self.write(|tx| {
            tx.execute("DELETE FROM folders WHERE name = ?1", [name.as_str()])?;
            tx.execute("DELETE FROM noselect WHERE name = ?1", [name.as_str()])?;
            Ok(())
        })
    }

    /// [`Store::delete`].
    pub(super) fn delete_mailbox(&mut self, mailbox: &str) -> Res<()> {
        let name = self.folder_of(mailbox)?;
        if is_inbox(mailbox) || self.is_inbox_folder(&name) {
            return Err(StateError::Refused("INBOX cannot be deleted".into()).into());
        }
        if !folder::exists(&self.profile, &name) {
            return Err(StateError::NoMailbox.into());
        }
        let was_noselect = folders::is_noselect(&self.conn, name.as_str())?;
        let removed = folder::delete(&self.profile, &name)?;
        if was_noselect && !removed {
            let why = "mailbox has subfolders and is not selectable";
            return Err(StateError::Refused(why.into()).into());
        }
        self.write(|tx| {
            tx.execute("DELETE FROM folders WHERE name = ?1", [name.as_str()])?;
            let sql = match removed {
                true => "DELETE FROM noselect WHERE name = ?1",
                false => "INSERT OR IGNORE INTO noselect (name) VALUES (?1)",
            };
            tx.execute(sql, [name.as_str()])?;
            Ok(())
        })
    }

    /// [`Store::rename`].
    pub(super) fn rename_mailbox(&mut self, from: &str, to: &str) -> Res<()> {
        let src = self.folder_of(from)?;
        let dst = self.folder_of(to.strip_suffix('/').unwrap_or(to))?;
        if is_inbox(to) || self.is_inbox_folder(&dst) {
            return Err(StateError::MailboxExists.into());
        }
        if is_inbox(from) || self.is_inbox_folder(&src) {
            return self.rename_inbox(&src, &dst);
        }
        folder::rename(&self.profile, &src, &dst)?;
        self.write(|tx| {
            for sql in FORGET_SUBTREE {
                tx.execute(sql, [dst.as_str()])?;
            }
            for sql in RENAME_SUBTREE {
                tx.execute(sql, params![src.as_str(), dst.as_str()])?;
            }
            Ok(())
        })
    }

    /// RENAME of INBOX: a new folder takes every message file (renamed, so
    /// numbers, inodes and dates stay) and the sequences, private ones
    /// staying private; INBOX stays, empty, with its subfolders. The new
    /// folder gets a new UIDVALIDITY on its first sync; INBOX's next sync
    /// expunges what left it.
    fn rename_inbox(&mut self, inbox: &FolderName, dst: &FolderName) -> Res<()> {
        folder::create(&self.profile, dst)?;
        let root = &self.profile.path;
        let (src_dir, dst_dir) = (inbox.path(root), dst.path(root));
        let profile = &self.profile;
        let wait = self.lock_wait;
        context::update(profile, wait, |c| {
            c.rename_folder(&src_dir, &dst_dir, false)
        })?;
        let moved = sequences::update_folder(profile, &src_dir, wait, |seqs| {
            move_files(&src_dir, &dst_dir)?;
            Ok::<_, MhError>(std::mem::take(seqs))
        });
        let moved = match moved.and_then(|m| m) {
            Ok(moved) => moved,
            Err(e) => {
                let back = |c: &mut Context| c.rename_folder(&dst_dir, &src_dir, false);
                if let Err(undo) = context::update(profile, wait, back) {
                    log::error!("{}: private sequences left at the new name: {undo}", dst);
                }
                return Err(e.into());
            }
        };
        if !moved.is_empty() {
            // A private sequence of the same name shadows the public one.
            sequences::update_folder(profile, &dst_dir, wait, |seqs| {
                for (name, members) in moved.entries {
                    if seqs.get(&name).is_none() {
                        seqs.set(&name, members);
                    }
                }
            })?;
        }
        self.write(|tx| {
            for sql in FORGET_SUBTREE {
                tx.execute(sql, [dst.as_str()])?;
            }
            tx.execute(
                "UPDATE folders SET dir_stamp = NULL WHERE name = ?1",
                [inbox.as_str()],
            )?;
            Ok(())
        })
    }

    /// [`Store::set_subscribed`]: by canonical IMAP name; the mailbox need
    /// not exist (RFC 3501 §6.3.6 keeps names of deleted mailboxes).
    pub(super) fn subscribe(&mut self, mailbox: &str, on: bool) -> Res<()> {
        let name = canonical(mailbox);
        if !on {
            return self.write(|tx| {
                tx.execute("DELETE FROM subscriptions WHERE name = ?1", [&name])?;
                Ok(())
            });
        }
        self.folder_of(&name)?;
        self.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO subscriptions (name) VALUES (?1)",
                [&name],
            )?;
            Ok(())
        })
    }

    /// [`Store::subscriptions`]: INBOX first, then by name.
    pub(super) fn subscribed_names(&mut self) -> Res<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name FROM subscriptions ORDER BY name <> 'INBOX', name")?;
        let names = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(names.collect::<Result<_, _>>()?)
    }

    /// True when `name` is the profile's inbox folder.
    fn is_inbox_folder(&self, name: &FolderName) -> bool {
        name.as_str() == self.profile.inbox
    }

    /// Runs `change` in one IMMEDIATE transaction.
    fn write(&mut self, change: impl FnOnce(&Connection) -> Res<()>) -> Res<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        change(&tx)?;
        tx.commit()?;
        Ok(())
    }
}

/// The `\Noselect` folder names.
fn noselect_names(conn: &Connection) -> Res<HashSet<String>> {
    let mut stmt = conn.prepare_cached("SELECT name FROM noselect")?;
    let names = stmt.query_map([], |r| r.get::<_, String>(0))?;
    Ok(names.collect::<Result<_, _>>()?)
}

/// Renames every message file of `src` to the same number in `dst` (an
/// empty folder on the same filesystem).
fn move_files(src: &Path, dst: &Path) -> Result<(), MhError> {
    for f in message::scan(src)? {
        let name = f.number.to_string();
        let (from, to) = (src.join(&name), dst.join(&name));
        std::fs::rename(&from, &to).map_err(|e| MhError::io(&from, e))?;
    }
    Ok(())
}
