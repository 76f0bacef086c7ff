//! asimap-login: the network front end. Started per connection by systemd
//! (`Accept=yes`) or inetd, or listening itself with `--listen`; does TLS
//! and authentication as root, then runs asimap-stdio as the user.
//! Argument parsing and wiring only; the work is `asimap::login`.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use asimap::logging::{self, LogContext, LogTarget};
use asimap::login::auth::Backend;
use asimap::login::tls::{CertFiles, TlsMode};
use asimap::login::{self, Config, passwd, shadow, throttle};

/// IMAP front end: TLS, LOGIN/AUTHENTICATE, then asimap-stdio as the user.
#[derive(Parser, Debug)]
#[command(name = "asimap-login", version, args_conflicts_with_subcommands = true)]
struct Args {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Adds a user to a password file, or changes its password; the
    /// password is read from stdin (first line) and stored as yescrypt.
    Passwd {
        /// The password file (`user:hash:maildir` lines).
        file: PathBuf,
        /// The IMAP user name.
        user: String,
        /// The mail root to serve for this user.
        #[arg(long, value_name = "DIR")]
        mail_dir: Option<PathBuf>,
    },
}

#[derive(ValueEnum, Debug, Clone, Copy)]
enum Tls {
    /// No TLS (only with --allow-plaintext can anyone log in).
    Off,
    /// STARTTLS on a plaintext connection (port 143).
    Starttls,
    /// TLS from the first byte (port 993).
    Implicit,
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// Listen on ADDR:PORT and fork per connection (foreground mode, logs
    /// to stderr); without it, serve the connection on fd 3 (systemd) or
    /// fd 0 (inetd).
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<String>,
    /// TLS mode.
    #[arg(long, value_enum, default_value = "starttls")]
    tls: Tls,
    /// PEM certificate chain (read per connection).
    #[arg(long, value_name = "PATH")]
    cert: Option<PathBuf>,
    /// PEM private key (read per connection).
    #[arg(long, value_name = "PATH")]
    key: Option<PathBuf>,
    /// Allow LOGIN and AUTHENTICATE before TLS.
    #[arg(long)]
    allow_plaintext: bool,
    /// Authenticate against this password file instead of system accounts.
    #[arg(long, value_name = "PATH")]
    passwd_file: Option<PathBuf>,
    /// Authenticate through PAM with this service name.
    #[cfg(feature = "pam")]
    #[arg(long, value_name = "SERVICE", conflicts_with = "passwd_file")]
    pam: Option<String>,
    /// The shadow file for system accounts.
    #[arg(long, value_name = "PATH", default_value = shadow::SHADOW_PATH)]
    shadow_file: PathBuf,
    /// The failed-login store [default: /var/lib/asimap/throttle.sqlite as
    /// root, else in the temporary directory].
    #[arg(long, value_name = "PATH")]
    throttle_db: Option<PathBuf>,
    /// The engine [default: asimap-stdio next to this program].
    #[arg(long, value_name = "PATH")]
    engine: Option<PathBuf>,
    /// Passed to the engine as --state.
    #[arg(long, value_name = "PATH")]
    state: Option<PathBuf>,
    /// Passed to the engine as --mail-dir when the account names none.
    #[arg(long, value_name = "DIR")]
    mail_dir: Option<PathBuf>,
    /// Seconds a client may stay silent before logging in.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    idle_timeout: u64,
    /// Milliseconds before answering a failed login.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    fail_delay_ms: u64,
    /// Milliseconds before answering a locked-out attempt.
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    lockout_delay_ms: u64,
    /// Log level: error, warn, info, debug, trace.
    #[arg(long, default_value = "info")]
    log_level: log::LevelFilter,
    /// Log to stderr instead of syslog (never under inetd: stderr is the
    /// client's socket there).
    #[arg(long)]
    log_stderr: bool,
}

fn main() {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) if !e.use_stderr() || stdin_is_terminal_or_pipe() => e.exit(),
        Err(e) => {
            // Under inetd stderr is the client: report to syslog only.
            logging::init(
                "asimap-login",
                LogTarget::Syslog,
                log::LevelFilter::Error,
                LogContext::default(),
            );
            log::error!("bad command line: {}", e.kind());
            std::process::exit(2);
        }
    };
    let code = match args.cmd {
        Some(Cmd::Passwd {
            file,
            user,
            mail_dir,
        }) => report(set_password(&file, &user, mail_dir)),
        None => serve(args.serve),
    };
    std::process::exit(code);
}

/// True when stdin is not a socket (an admin at a terminal or a script).
fn stdin_is_terminal_or_pipe() -> bool {
    use std::os::fd::{AsFd, AsRawFd};
    let fd = std::io::stdin().as_fd().as_raw_fd();
    nix::sys::socket::getsockname::<nix::sys::socket::SockaddrStorage>(fd).is_err()
}

fn report(result: anyhow::Result<()>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("asimap-login: {e:#}");
            1
        }
    }
}

/// `asimap-login passwd FILE USER`.
fn set_password(
    file: &std::path::Path,
    user: &str,
    mail_dir: Option<PathBuf>,
) -> anyhow::Result<()> {
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .context("reading the password from stdin")?;
    let line = input.split(|&b| b == b'\n').next().unwrap_or_default();
    let password = line.strip_suffix(b"\r").unwrap_or(line);
    anyhow::ensure!(!password.is_empty(), "empty password");
    passwd::set_password(file, user, password, mail_dir.as_deref())?;
    Ok(())
}

fn serve(args: ServeArgs) -> i32 {
    let foreground = args.listen.is_some() || args.log_stderr;
    let target = if foreground {
        LogTarget::Stderr
    } else {
        LogTarget::Syslog
    };
    logging::init("asimap-login", target, args.log_level, LogContext::new(""));
    if !foreground {
        // A panic message must not reach the client's socket.
        std::panic::set_hook(Box::new(|info| log::error!("panic: {info}")));
    }
    let listen = args.listen.clone();
    let cfg = match config(args) {
        Ok(cfg) => cfg,
        Err(e) => {
            log::error!("{e:#}");
            return 1;
        }
    };
    let result = match listen {
        Some(addr) => login::listen(&cfg, &addr),
        None => login::serve_inherited(&cfg),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            e.log();
            1
        }
    }
}

fn config(args: ServeArgs) -> anyhow::Result<Config> {
    let backend = backend(&args);
    let engine = match args.engine {
        Some(path) => path,
        None => std::env::current_exe()
            .context("locating asimap-login")?
            .with_file_name("asimap-stdio"),
    };
    let mut cfg = Config::new(backend, engine);
    cfg.tls = match args.tls {
        Tls::Off => TlsMode::Off,
        Tls::Starttls => TlsMode::StartTls,
        Tls::Implicit => TlsMode::Implicit,
    };
    cfg.certs = match (args.cert, args.key) {
        (Some(cert), Some(key)) => Some(CertFiles { cert, key }),
        (None, None) => None,
        _ => anyhow::bail!("--cert and --key go together"),
    };
    anyhow::ensure!(
        cfg.tls == TlsMode::Off || cfg.certs.is_some(),
        "TLS needs --cert and --key"
    );
    cfg.allow_plaintext = args.allow_plaintext;
    cfg.throttle_db = args.throttle_db.unwrap_or_else(default_throttle_db);
    cfg.state = args.state;
    cfg.mail_dir = args.mail_dir;
    cfg.idle_timeout = Duration::from_secs(args.idle_timeout);
    cfg.fail_delay = Duration::from_millis(args.fail_delay_ms);
    cfg.lockout_delay = Duration::from_millis(args.lockout_delay_ms);
    cfg.log_stderr = args.listen.is_some() || args.log_stderr;
    Ok(cfg)
}

fn backend(args: &ServeArgs) -> Backend {
    #[cfg(feature = "pam")]
    if let Some(service) = &args.pam {
        return Backend::Pam(service.clone());
    }
    match &args.passwd_file {
        Some(path) => Backend::File(path.clone()),
        None => Backend::Shadow(args.shadow_file.clone()),
    }
}

/// Root's store is under /var/lib/asimap; an ordinary user's (development
/// mode) is in the temporary directory.
fn default_throttle_db() -> PathBuf {
    let uid = nix::unistd::getuid();
    if uid.is_root() {
        PathBuf::from(throttle::DEFAULT_PATH)
    } else {
        std::env::temp_dir().join(format!("asimap-throttle-{uid}.sqlite"))
    }
}
