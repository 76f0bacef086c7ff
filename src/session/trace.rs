//! Conversation traces (pitfalls.md 39): while the control file
//! `<mail root>/.asimap-trace` exists, each session appends what the client
//! sent to `<mail root>/.asimap-traces/<session>.in` and what the server
//! answered to `<session>.out`. Touching or removing the control file
//! switches tracing at run time (it is looked at before each command); a
//! `.in` file replays the session: `asimap-stdio < <session>.in`.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The control file and where traces go.
#[derive(Debug, Clone)]
pub struct TraceConfig {
    control: PathBuf,
    dir: PathBuf,
    session: String,
}

impl TraceConfig {
    /// Traces for `session` under `mail_root`.
    pub fn new(mail_root: &Path, session: &str) -> TraceConfig {
        TraceConfig {
            control: mail_root.join(".asimap-trace"),
            dir: mail_root.join(".asimap-traces"),
            session: session.to_string(),
        }
    }

    /// True when tracing is switched on.
    pub fn wanted(&self) -> bool {
        self.control.exists()
    }

    /// Opens (appending) the trace file with the given extension.
    pub fn open(&self, ext: &str) -> Option<File> {
        if let Err(e) = fs::create_dir_all(&self.dir) {
            log::warn!("trace directory {}: {e}", self.dir.display());
            return None;
        }
        let path = self.dir.join(format!("{}.{ext}", self.session));
        let file = OpenOptions::new().create(true).append(true).open(&path);
        file.map_err(|e| log::warn!("trace file {}: {e}", path.display()))
            .ok()
    }
}

/// Appends bytes to a trace, dropping it on failure.
pub fn record(trace: &mut Option<File>, bytes: &[u8]) {
    if let Some(file) = trace
        && let Err(e) = file.write_all(bytes)
    {
        log::warn!("trace write failed, tracing stops: {e}");
        *trace = None;
    }
}
