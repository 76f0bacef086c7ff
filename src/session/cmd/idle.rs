//! IDLE (RFC 2177): waits for changes to the selected folder and reports
//! them at once, until the client sends DONE.

use std::collections::HashSet;
use std::os::fd::AsFd;
use std::path::Path;
use std::time::Duration;

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};

use crate::proto::framer::Frame;
use crate::proto::{CommandBody, Tag};
use crate::session::input::Wake;
use crate::session::reply::{CmdError, CmdResult, bad};
use crate::session::{ConnState, Session};

/// How often to look at the folder when inotify is quiet or unavailable
/// (changes on NFS, other sessions' SQLite commits).
const RESCAN: Duration = Duration::from_secs(2);

/// IDLE: sends `+ idling`, then untagged updates as they happen.
pub fn idle(s: &mut Session, _tag: &Tag, _body: CommandBody) -> CmdResult {
    let dir = {
        let mailbox = s
            .mailbox_name()
            .ok_or_else(|| bad("no mailbox selected"))?
            .to_string();
        s.store.folder_dir(&mailbox)?
    };
    let watch = watch(&dir);
    s.out.put(b"+ idling\r\n");
    s.out.flush()?;

    loop {
        update(s)?;
        s.out.flush()?;
        let fd = watch.as_ref().map(|w| w.as_fd());
        match s.input.wait(fd, RESCAN)? {
            Wake::Timeout => continue,
            Wake::Other => {
                if let Some(w) = &watch {
                    let _ = w.read_events();
                }
                // Let a burst of changes (inc, folder -pack) settle.
                std::thread::sleep(Duration::from_millis(5));
            }
            Wake::Client => return done(s),
        }
    }
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

/// An inotify watch on the folder directory, or `None` when inotify is
/// unavailable (out of instances, or not supported), where the periodic
/// rescan takes over.
fn watch(dir: &Path) -> Option<Inotify> {
    let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)
        .map_err(|e| log::warn!("inotify unavailable, polling instead: {e}"))
        .ok()?;
    let mask = AddWatchFlags::IN_CREATE
        | AddWatchFlags::IN_DELETE
        | AddWatchFlags::IN_MOVED_FROM
        | AddWatchFlags::IN_MOVED_TO
        | AddWatchFlags::IN_CLOSE_WRITE
        | AddWatchFlags::IN_MODIFY
        | AddWatchFlags::IN_ATTRIB;
    inotify
        .add_watch(dir, mask)
        .map_err(|e| log::warn!("inotify watch on {}: {e}", dir.display()))
        .ok()?;
    Some(inotify)
}
