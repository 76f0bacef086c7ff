//! Becoming the user: resolve the account, `setgroups` from
//! `getgrouplist`, `setgid`, `setuid`, prove root cannot be regained, then
//! a clean environment, umask 077, the home directory, and the exec of
//! `asimap-stdio`.

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::sys::resource::{Resource, setrlimit};
use nix::sys::stat::{Mode, umask};
use nix::unistd::{self, Gid, Uid, User};

/// A resolved local account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalUser {
    /// The login name.
    pub name: String,
    /// Its uid.
    pub uid: Uid,
    /// Its primary gid.
    pub gid: Gid,
    /// Supplementary groups, primary included.
    pub groups: Vec<Gid>,
    /// Its home directory.
    pub home: PathBuf,
    /// Its login shell.
    pub shell: PathBuf,
}

/// Errors of switching to the user or starting the engine.
#[derive(Debug, thiserror::Error)]
pub enum DropError {
    /// No such local account.
    #[error("no local account {0:?}")]
    NoAccount(String),
    /// Logging in as root is never allowed.
    #[error("refusing to serve uid 0")]
    Root,
    /// Not running as root, and the account is not the invoking user.
    #[error("cannot switch to {0:?} without root")]
    NotRoot(String),
    /// A system call failed.
    #[error("{what}: {source}")]
    Sys {
        /// What was being done.
        what: &'static str,
        /// The cause.
        source: nix::Error,
    },
    /// After the switch, root could still be regained.
    #[error("privileges were not dropped: setuid(0) still succeeds")]
    StillRoot,
    /// An argument or variable with a NUL byte.
    #[error("NUL byte in {0}")]
    Nul(&'static str),
}

fn sys(what: &'static str) -> impl FnOnce(nix::Error) -> DropError {
    move |source| DropError::Sys { what, source }
}

/// Looks up `name` and its groups (call before dropping anything: it may
/// read NSS files only root can read).
pub fn resolve(name: &str) -> Result<LocalUser, DropError> {
    let user = User::from_name(name)
        .map_err(sys("getpwnam"))?
        .ok_or_else(|| DropError::NoAccount(name.to_string()))?;
    let cname = CString::new(name).map_err(|_| DropError::Nul("user name"))?;
    let groups = unistd::getgrouplist(&cname, user.gid).map_err(sys("getgrouplist"))?;
    Ok(from_user(user, groups))
}

/// The invoking user (development mode, no switch).
pub fn current() -> Result<LocalUser, DropError> {
    let uid = unistd::getuid();
    let user = User::from_uid(uid)
        .map_err(sys("getpwuid"))?
        .ok_or_else(|| DropError::NoAccount(uid.to_string()))?;
    let groups = unistd::getgroups().map_err(sys("getgroups"))?;
    Ok(from_user(user, groups))
}

fn from_user(user: User, groups: Vec<Gid>) -> LocalUser {
    LocalUser {
        name: user.name,
        uid: user.uid,
        gid: user.gid,
        groups,
        home: user.dir,
        shell: user.shell,
    }
}

/// Becomes `user` for good: as root, setgroups, setgid, setuid, then checks
/// that setuid(0) fails; without root, only accepts the invoking user.
/// Then: no core dumps, umask 077, cwd the home directory.
pub fn become_user(user: &LocalUser) -> Result<(), DropError> {
    if user.uid.is_root() {
        return Err(DropError::Root);
    }
    if unistd::geteuid().is_root() {
        switch_ids(user)?;
    } else if unistd::getuid() != user.uid {
        return Err(DropError::NotRoot(user.name.clone()));
    }
    setrlimit(Resource::RLIMIT_CORE, 0, 0).map_err(sys("setrlimit"))?;
    umask(Mode::from_bits_truncate(0o077));
    unistd::chdir(&user.home).map_err(sys("chdir home"))
}

fn switch_ids(user: &LocalUser) -> Result<(), DropError> {
    unistd::setgroups(&user.groups).map_err(sys("setgroups"))?;
    unistd::setgid(user.gid).map_err(sys("setgid"))?;
    unistd::setuid(user.uid).map_err(sys("setuid"))?;
    if unistd::setuid(Uid::from_raw(0)).is_ok() || unistd::seteuid(Uid::from_raw(0)).is_ok() {
        return Err(DropError::StillRoot);
    }
    if unistd::getuid() != user.uid || unistd::geteuid() != user.uid {
        return Err(DropError::StillRoot);
    }
    Ok(())
}

/// The whole environment the engine gets.
pub fn clean_env(user: &LocalUser) -> Result<Vec<CString>, DropError> {
    let vars = [
        ("HOME", user.home.as_os_str()),
        ("USER", OsStr::new(&user.name)),
        ("LOGNAME", OsStr::new(&user.name)),
        ("PATH", OsStr::new("/usr/local/bin:/usr/bin:/bin")),
        ("SHELL", user.shell.as_os_str()),
    ];
    vars.iter()
        .map(|(k, v)| {
            let mut s = format!("{k}=").into_bytes();
            s.extend_from_slice(v.as_bytes());
            CString::new(s).map_err(|_| DropError::Nul("environment"))
        })
        .collect()
}

/// How to start the engine for an authenticated session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineCommand {
    /// The asimap-stdio executable.
    pub engine: PathBuf,
    /// The LOGIN or AUTHENTICATE tag the engine answers.
    pub tag: String,
    /// The IMAP user name.
    pub imap_user: String,
    /// The mail root, when not the profile's.
    pub mail_dir: Option<PathBuf>,
    /// The state file, when not the default.
    pub state: Option<PathBuf>,
    /// The session id, for the log.
    pub session_id: String,
    /// The client's address, for the log.
    pub remote: String,
    /// Have the engine log to stderr (foreground mode).
    pub log_stderr: bool,
}

impl EngineCommand {
    /// The argument vector, program name first.
    pub fn argv(&self) -> Result<Vec<CString>, DropError> {
        let mut args: Vec<&OsStr> = vec![
            self.engine.as_os_str(),
            OsStr::new("--authenticated"),
            OsStr::new(&self.tag),
            OsStr::new("--imap-user"),
            OsStr::new(&self.imap_user),
            OsStr::new("--session-id"),
            OsStr::new(&self.session_id),
            OsStr::new("--remote"),
            OsStr::new(&self.remote),
        ];
        push_opt(&mut args, "--mail-dir", self.mail_dir.as_deref());
        push_opt(&mut args, "--state", self.state.as_deref());
        if self.log_stderr {
            args.push(OsStr::new("--log-stderr"));
        }
        args.iter()
            .map(|a| CString::new(a.as_bytes()).map_err(|_| DropError::Nul("argument")))
            .collect()
    }

    /// Replaces this process with the engine; returns only on failure.
    pub fn exec(&self, env: &[CString]) -> DropError {
        let argv = match self.argv() {
            Ok(argv) => argv,
            Err(e) => return e,
        };
        let Some(path) = argv.first() else {
            return DropError::Nul("argument");
        };
        match unistd::execve(path, &argv, env) {
            Err(e) => DropError::Sys {
                what: "exec engine",
                source: e,
            },
            Ok(never) => match never {},
        }
    }
}

fn push_opt<'a>(args: &mut Vec<&'a OsStr>, flag: &'a str, value: Option<&'a Path>) {
    if let Some(v) = value {
        args.push(OsStr::new(flag));
        args.push(v.as_os_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_carries_the_contract() {
        let cmd = EngineCommand {
            engine: "/usr/libexec/asimap-stdio".into(),
            tag: "a1".into(),
            imap_user: "ann".into(),
            mail_dir: Some("/srv/ann".into()),
            state: None,
            session_id: "abc".into(),
            remote: "192.0.2.1".into(),
            log_stderr: false,
        };
        let argv: Vec<String> = cmd
            .argv()
            .expect("argv")
            .into_iter()
            .map(|c| c.into_string().expect("utf-8"))
            .collect();
        let want = "/usr/libexec/asimap-stdio --authenticated a1 --imap-user ann \
                    --session-id abc --remote 192.0.2.1 --mail-dir /srv/ann";
        assert_eq!(argv.join(" "), want);
    }

    #[test]
    fn environment_is_exactly_five_variables() {
        let user = current().expect("current user");
        let env = clean_env(&user).expect("env");
        let names: Vec<String> = env
            .iter()
            .map(|c| {
                c.to_string_lossy()
                    .split('=')
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .collect();
        assert_eq!(names, ["HOME", "USER", "LOGNAME", "PATH", "SHELL"]);
    }

    #[test]
    fn resolves_root_and_refuses_to_serve_it() {
        let root = resolve("root").expect("root exists");
        assert!(root.uid.is_root());
        assert!(matches!(become_user(&root), Err(DropError::Root)));
        assert!(matches!(
            resolve("no-such-user-asimap"),
            Err(DropError::NoAccount(_))
        ));
    }
}
