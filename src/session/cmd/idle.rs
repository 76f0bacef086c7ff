//! IDLE (RFC 2177): waits for changes to the selected folder and reports
//! them at once, until the client sends DONE.
//!
//! Three things wake an idling session: an inotify event on the folder
//! directory (new, removed and renamed message files, and `.mh_sequences`
//! rewritten in place by nmh or another session), a commit by another
//! session to the SQLite file (`PRAGMA data_version`, polled cheaply), and
//! a periodic full rescan for what neither sees (NFS, inotify unavailable).

use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};

use crate::mh::message::DOT_LOCK_TEMP_PREFIX;
use crate::proto::framer::Frame;
use crate::proto::{CommandBody, Tag};
use crate::session::input::Wake;
use crate::session::reply::{CmdError, CmdResult, bad};
use crate::session::{ConnState, Session};

/// How often to sync the folder when nothing woke the session (changes on
/// NFS, inotify unavailable).
const RESCAN: Duration = Duration::from_secs(2);

/// How often to look at `PRAGMA data_version` for other sessions' commits
/// (one cheap query, no file access).
const VERSION_POLL: Duration = Duration::from_millis(250);

/// How long to let a burst of changes (inc, folder -pack) settle after an
/// inotify event before syncing.
const SETTLE: Duration = Duration::from_millis(5);

/// Test and diagnostic switch: when this environment variable is set to
/// anything but `0` or the empty string, IDLE does not use inotify and
/// relies on the data_version poll and the periodic rescan alone.
pub const NO_INOTIFY_ENV: &str = "ASIMAP_NO_INOTIFY";

/// IDLE: sends `+ idling`, then untagged updates as they happen. Without
/// a selected mailbox (allowed in the authenticated state, RFC 2177) there
/// is nothing to report, and it only waits for DONE.
pub fn idle(s: &mut Session, _tag: &Tag, _body: CommandBody) -> CmdResult {
    let dir = match s.mailbox_name().map(str::to_string) {
        Some(mailbox) => Some(s.store.folder_dir(&mailbox)?),
        None => None,
    };
    let watch = dir.as_deref().and_then(watch);
    s.out.put(b"+ idling\r\n");
    s.out.flush()?;

    loop {
        // Read the version before syncing: a commit during the sync then
        // costs one more sync instead of being missed until the rescan.
        let version = s.store.data_version().ok();
        update(s)?;
        s.out.flush()?;
        if matches!(&s.state, ConnState::Selected(sel) if sel.invalidated) {
            // `* BYE` went out; the session ends after this completion.
            return Ok("IDLE terminated".into());
        }
        if !wait_for_change(s, watch.as_ref(), version)? {
            return done(s);
        }
    }
}

/// Waits until something may have changed (true) or the client sent
/// something (false).
fn wait_for_change(
    s: &mut Session,
    watch: Option<&Inotify>,
    version: Option<u64>,
) -> Result<bool, CmdError> {
    let synced = Instant::now();
    loop {
        let fd = watch.map(|w| w.as_fd());
        match s.input.wait(fd, VERSION_POLL)? {
            Wake::Client => return Ok(false),
            Wake::Other => {
                if watch.is_some_and(relevant_events) {
                    std::thread::sleep(SETTLE);
                    return Ok(true);
                }
            }
            Wake::Timeout => {
                if s.store.data_version().ok() != version || synced.elapsed() >= RESCAN {
                    return Ok(true);
                }
            }
        }
    }
}

/// Drains the inotify queue; true unless every event was about a lock
/// file (pitfall 35: a sync that takes a dot lock must not wake itself).
fn relevant_events(w: &Inotify) -> bool {
    let Ok(events) = w.read_events() else {
        // Nothing readable after all (or an error): look anyway.
        return true;
    };
    events.is_empty()
        || events
            .iter()
            .any(|e| e.name.as_deref().is_none_or(|n| !is_lock_name(n)))
}

/// Names of lock files nmh and the engine create in a folder: `FILE.lock`
/// and the engine's temporary file linked to it.
fn is_lock_name(name: &OsStr) -> bool {
    let name = name.as_encoded_bytes();
    name.ends_with(b".lock") || name.starts_with(DOT_LOCK_TEMP_PREFIX.as_bytes())
}

/// Reads the client's line that ends IDLE.
fn done(s: &mut Session) -> CmdResult {
    match s.input.next_frame()? {
        None => {
            s.state = ConnState::Logout;
            Err(CmdError::Io(std::io::ErrorKind::UnexpectedEof.into()))
        }
        Some(Frame::Command(line)) if line.trim_ascii().eq_ignore_ascii_case(b"DONE") => {
            Ok("IDLE terminated".into())
        }
        Some(_) => Err(bad("expected DONE")),
    }
}

/// Sends what changed meanwhile.
fn update(s: &mut Session) -> Result<(), CmdError> {
    let Session {
        store, state, out, ..
    } = s;
    if let ConnState::Selected(sel) = state {
        sel.refresh(store, out, true, &HashSet::new())?;
    }
    Ok(())
}

/// True when [`NO_INOTIFY_ENV`] asks for polling only.
fn inotify_disabled() -> bool {
    std::env::var_os(NO_INOTIFY_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

/// An inotify watch on the folder directory (which covers `.mh_sequences`
/// and the message files in it), or `None` when inotify is switched off or
/// unavailable: out of instances or watches (`EMFILE`, `ENOSPC`), out of
/// descriptors, or not supported. The polls then take over.
fn watch(dir: &Path) -> Option<Inotify> {
    if inotify_disabled() {
        log::info!("{NO_INOTIFY_ENV} set: IDLE polls instead of using inotify");
        return None;
    }
    let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)
        .map_err(|e| log::warn!("inotify unavailable ({e}), IDLE polls instead"))
        .ok()?;
    let mask = AddWatchFlags::IN_CREATE
        | AddWatchFlags::IN_DELETE
        | AddWatchFlags::IN_MOVED_FROM
        | AddWatchFlags::IN_MOVED_TO
        | AddWatchFlags::IN_MODIFY
        | AddWatchFlags::IN_ATTRIB
        | AddWatchFlags::IN_DELETE_SELF
        | AddWatchFlags::IN_MOVE_SELF;
    inotify
        .add_watch(dir, mask)
        .map_err(|e| {
            log::warn!(
                "inotify watch on {} failed ({e}), IDLE polls instead",
                dir.display()
            )
        })
        .ok()?;
    Some(inotify)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_files_do_not_count_as_changes() {
        assert!(is_lock_name(OsStr::new(".mh_sequences.lock")));
        assert!(!is_lock_name(OsStr::new(".mh_sequences")));
        assert!(is_lock_name(OsStr::new(".lk.asimap.12.0")));
        assert!(!is_lock_name(OsStr::new("17")));
    }
}
