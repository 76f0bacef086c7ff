//! asimap-stdio: the IMAP engine on stdin and stdout for the invoking user.
//! Argument parsing and wiring only; the engine is `asimap::session`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;

use asimap::logging::{self, LogContext, LogTarget};
use asimap::mh::Profile;
use asimap::proto::framer::Limits;
use asimap::session::trace::TraceConfig;
use asimap::session::{Config, Session};
use asimap::state::Store;

/// Serves IMAP4rev1 on stdin/stdout over the user's MH folders.
#[derive(Parser, Debug)]
#[command(name = "asimap-stdio", version, about)]
struct Args {
    /// The mail root; default: `Path` from the MH profile, else ~/Mail.
    #[arg(long, value_name = "DIR")]
    mail_dir: Option<PathBuf>,
    /// The SQLite state file; default: .asimap.sqlite in the mail root.
    #[arg(long, value_name = "PATH")]
    state: Option<PathBuf>,
    /// Continue a connection asimap-login authenticated: no greeting, answer
    /// this tag with OK [CAPABILITY ...].
    #[arg(long, value_name = "TAG")]
    authenticated: Option<String>,
    /// The IMAP user name (for the log).
    #[arg(long, value_name = "NAME")]
    imap_user: Option<String>,
    /// The session id given by asimap-login (for the log).
    #[arg(long, value_name = "ID")]
    session_id: Option<String>,
    /// The client's address (for the log).
    #[arg(long, value_name = "ADDR")]
    remote: Option<String>,
    /// Log level: error, warn, info, debug, trace.
    #[arg(long, default_value = "info")]
    log_level: log::LevelFilter,
    /// Log to stderr instead of syslog.
    #[arg(long)]
    log_stderr: bool,
    /// Largest literal (and message) accepted, in bytes.
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    max_literal: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let local_user = std::env::var("USER").unwrap_or_default();
    let session_id = args
        .session_id
        .clone()
        .unwrap_or_else(|| std::process::id().to_string());
    let ctx = LogContext {
        session: args
            .session_id
            .clone()
            .unwrap_or_else(|| std::process::id().to_string()),
        remote: args.remote.clone().unwrap_or_else(|| "stdio".into()),
        imap_user: args.imap_user.clone().unwrap_or_else(|| local_user.clone()),
        local_user,
    };
    let target = if args.log_stderr {
        LogTarget::Stderr
    } else {
        LogTarget::Syslog
    };
    logging::init("asimap-stdio", target, args.log_level, ctx);

    let home = home_dir().context("cannot find the home directory: set $HOME")?;
    let mh_env = std::env::var_os("MH").map(PathBuf::from);
    let profile = Profile::load(&home, mh_env.as_deref(), args.mail_dir.as_deref())
        .context("reading the MH profile")?
        .with_context_env(std::env::var_os("MHCONTEXT").as_deref());
    let store = Store::open(profile, args.state.as_deref()).context("opening the state file")?;

    let limits = Limits {
        max_literal: args.max_literal,
        ..Limits::default()
    };
    let trace = TraceConfig::new(&store.profile().path, &session_id);
    let config = Config {
        authenticated_tag: args.authenticated,
        limits,
        trace: Some(trace),
    };
    let mut session = Session::new(
        store,
        Box::new(std::io::stdin()),
        Box::new(std::io::stdout()),
        limits,
    );
    if let Err(e) = session.run(&config) {
        log::info!("session ended: {e}");
    }
    Ok(())
}

/// $HOME, else the password database's home directory.
fn home_dir() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return Some(PathBuf::from(home));
    }
    let uid = nix::unistd::getuid();
    nix::unistd::User::from_uid(uid)
        .ok()
        .flatten()
        .map(|u| u.dir)
}
