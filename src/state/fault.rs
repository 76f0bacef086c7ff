//! The internal error type of the state layer: SQLite failures are kept
//! raw until the public boundary names the state file.

use std::path::Path;

use crate::mh::MhError;

use super::StateError;

/// An internal failure: either already a [`StateError`], or an SQLite error
/// still without the state file's path.
#[derive(Debug)]
pub(super) enum Fault {
    /// An SQLite failure.
    Sql(rusqlite::Error),
    /// Anything else.
    State(StateError),
}

/// Result of the internal helpers.
pub(super) type Res<T> = Result<T, Fault>;

impl Fault {
    /// The public error, naming `path` for SQLite failures.
    pub(super) fn into_state(self, path: &Path) -> StateError {
        match self {
            Fault::Sql(source) => StateError::Sqlite {
                path: path.to_path_buf(),
                source,
            },
            Fault::State(e) => e,
        }
    }
}

impl From<rusqlite::Error> for Fault {
    fn from(e: rusqlite::Error) -> Fault {
        Fault::Sql(e)
    }
}

impl From<StateError> for Fault {
    fn from(e: StateError) -> Fault {
        Fault::State(e)
    }
}

impl From<MhError> for Fault {
    fn from(e: MhError) -> Fault {
        Fault::State(from_mh(e))
    }
}

/// Maps an MH failure to the state layer's error.
pub(super) fn from_mh(e: MhError) -> StateError {
    match e {
        MhError::LockBusy(path) => {
            log::warn!("sequences lock busy: {}", path.display());
            StateError::InUse
        }
        MhError::NoFolder(_) => StateError::NoMailbox,
        MhError::FolderExists(_) => StateError::MailboxExists,
        MhError::BadName(name) => StateError::BadName(name),
        MhError::MessageGone(_) => StateError::Expunged,
        other => StateError::Mh(other),
    }
}

/// An I/O failure on `path`, as the MH layer reports it.
pub(super) fn io(path: &Path, e: std::io::Error) -> Fault {
    Fault::from(MhError::io(path, e))
}
