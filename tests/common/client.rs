//! Running asimap-stdio on an [`MhTree`]: a whole scripted session with
//! stdin from a regular file, or an interactive child driven command by
//! command with a read timeout that fails the test instead of hanging.

use std::fs;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use super::mh::MhTree;
use super::resp::{Reply, Resp, group_replies, response_len, split_responses};

/// The engine binary built by cargo for these tests.
pub const ENGINE: &str = env!("CARGO_BIN_EXE_asimap-stdio");

/// How long a test waits for the engine before failing. A guard against
/// hangs, not a performance limit: set `ASIMAP_TEST_TIMEOUT` (seconds) to
/// raise it on a slow machine.
pub fn timeout() -> Duration {
    let secs = std::env::var("ASIMAP_TEST_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok());
    Duration::from_secs(secs.unwrap_or(60))
}

static RUN_ID: AtomicU32 = AtomicU32::new(0);

impl MhTree {
    /// The engine command with this tree's environment (`HOME`, `MH`) and
    /// stderr logging into a file in the temporary home. Returns the log path.
    pub fn engine_command(&self, args: &[&str]) -> (Command, PathBuf) {
        self.wrapped_engine_command(&[], args)
    }

    /// [`MhTree::engine_command`] run through a wrapper program such as
    /// `prlimit --nofile=64`: `wrapper` comes first, then the engine.
    pub fn wrapped_engine_command(&self, wrapper: &[&str], args: &[&str]) -> (Command, PathBuf) {
        let id = RUN_ID.fetch_add(1, Ordering::Relaxed);
        let log = self.home().join(format!("engine-{id}.log"));
        let stderr = fs::File::create(&log).expect("create engine log");
        let mut cmd = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut c = Command::new(program);
                c.args(rest).arg(ENGINE);
                c
            }
            None => Command::new(ENGINE),
        };
        cmd.arg("--log-stderr")
            .args(args)
            .env_clear()
            .env("HOME", self.home())
            .env("MH", self.profile_path())
            .env("PATH", "/usr/bin/mh:/usr/bin:/bin")
            .env("RUST_BACKTRACE", "1")
            .env("TZ", "UTC")
            .current_dir(self.home())
            .stdout(Stdio::piped())
            .stderr(stderr);
        (cmd, log)
    }

    /// Runs a whole session with stdin read from a regular file holding
    /// `script`, the way `asimap-stdio < session.imap` does.
    #[track_caller]
    pub fn run_script(&self, script: impl AsRef<[u8]>) -> Transcript {
        self.run_script_args(&[], script)
    }

    /// [`MhTree::run_script`] with extra engine arguments.
    #[track_caller]
    pub fn run_script_args(&self, args: &[&str], script: impl AsRef<[u8]>) -> Transcript {
        self.run_script_wrapped(&[], args, script)
    }

    /// [`MhTree::run_script_args`] through a wrapper program (see
    /// [`MhTree::wrapped_engine_command`]).
    #[track_caller]
    pub fn run_script_wrapped(
        &self,
        wrapper: &[&str],
        args: &[&str],
        script: impl AsRef<[u8]>,
    ) -> Transcript {
        let id = RUN_ID.fetch_add(1, Ordering::Relaxed);
        let path = self.home().join(format!("session-{id}.imap"));
        fs::write(&path, script).expect("write session script");
        let (mut cmd, log) = self.wrapped_engine_command(wrapper, args);
        cmd.stdin(fs::File::open(&path).expect("open session script"));
        let mut child = cmd.spawn().expect("start asimap-stdio");
        let mut stdout = child.stdout.take().expect("piped stdout");
        let reader = thread::spawn(move || {
            let mut out = Vec::new();
            let _ = stdout.read_to_end(&mut out);
            out
        });
        let status = wait_with_deadline(&mut child, &log);
        let out = reader.join().expect("stdout reader thread");
        Transcript::new(out, status.code(), read_log(&log))
    }

    /// Starts an interactive session and reads the `* PREAUTH` greeting.
    #[track_caller]
    pub fn client(&self) -> Client {
        let mut c = Client::spawn(self, &[]);
        let g = c.read_resp();
        assert!(
            g.is_untagged() && g.status() == "PREAUTH",
            "greeting should be * PREAUTH, got {:?}",
            g.text()
        );
        c.greeting = Some(g);
        c
    }
}

#[track_caller]
fn wait_with_deadline(child: &mut Child, log: &PathBuf) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout();
    loop {
        if let Some(status) = child.try_wait().expect("wait for asimap-stdio") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "asimap-stdio did not finish the scripted session within {:?}; log:\n{}",
                timeout(),
                read_log(log)
            );
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// The engine's stderr log (for failure messages).
pub fn read_log(path: &PathBuf) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(60).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}

/// The output of a scripted session.
#[derive(Debug)]
pub struct Transcript {
    /// Everything the engine wrote to stdout.
    pub raw: Vec<u8>,
    /// Every logical response in order.
    pub resps: Vec<Resp>,
    /// Replies by tag, in order.
    pub replies: Vec<Reply>,
    /// Untagged responses after the last tagged one (e.g. a final BYE).
    pub trailing: Vec<Resp>,
    /// The engine's exit code.
    pub exit_code: Option<i32>,
    /// The tail of the engine's stderr log.
    pub log: String,
}

impl Transcript {
    fn new(raw: Vec<u8>, exit_code: Option<i32>, log: String) -> Transcript {
        let resps = split_responses(&raw);
        let (replies, trailing) = group_replies(&resps);
        Transcript {
            raw,
            resps,
            replies,
            trailing,
            exit_code,
            log,
        }
    }

    /// The first response (the greeting).
    #[track_caller]
    pub fn greeting(&self) -> &Resp {
        self.resps
            .first()
            .unwrap_or_else(|| panic!("no output at all; log:\n{}", self.log))
    }

    /// The reply to the command tagged `tag`.
    #[track_caller]
    pub fn reply(&self, tag: &str) -> &Reply {
        let found = self
            .replies
            .iter()
            .find(|r| r.tagged.tag() == tag.as_bytes());
        found.unwrap_or_else(|| {
            panic!(
                "no tagged response for {tag}; whole output:\n{}\nlog:\n{}",
                self.text(),
                self.log
            )
        })
    }

    /// The whole output as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    /// Tags of the tagged responses, in order.
    pub fn tags(&self) -> Vec<String> {
        let tags = self
            .replies
            .iter()
            .map(|r| String::from_utf8_lossy(r.tagged.tag()));
        tags.map(|t| t.into_owned()).collect()
    }
}

/// An interactive asimap-stdio child process.
pub struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Vec<u8>>,
    buf: Vec<u8>,
    eof: bool,
    next_tag: u32,
    log: PathBuf,
    /// The greeting, when one was read.
    pub greeting: Option<Resp>,
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Client {
    /// Starts the engine with `args`; reads nothing yet.
    pub fn spawn(tree: &MhTree, args: &[&str]) -> Client {
        let (mut cmd, log) = tree.engine_command(args);
        cmd.stdin(Stdio::piped());
        let mut child = cmd.spawn().expect("start asimap-stdio");
        let stdin = child.stdin.take();
        let mut stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut chunk = vec![0u8; 65536];
            while let Ok(n) = stdout.read(&mut chunk) {
                if n == 0 || tx.send(chunk[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            rx,
            buf: Vec::new(),
            eof: false,
            next_tag: 1,
            log,
            greeting: None,
        }
    }

    /// A fresh tag `tN`.
    pub fn tag(&mut self) -> String {
        let t = format!("t{}", self.next_tag);
        self.next_tag += 1;
        t
    }

    /// Writes raw bytes to the engine.
    #[track_caller]
    pub fn send(&mut self, bytes: impl AsRef<[u8]>) {
        let stdin = self.stdin.as_mut().expect("stdin already closed");
        if let Err(e) = stdin.write_all(bytes.as_ref()).and_then(|_| stdin.flush()) {
            panic!(
                "write to asimap-stdio failed: {e}; log:\n{}",
                read_log(&self.log)
            );
        }
    }

    /// Writes raw bytes, returning false if the engine closed its input.
    pub fn try_send(&mut self, bytes: impl AsRef<[u8]>) -> bool {
        let Some(stdin) = self.stdin.as_mut() else {
            return false;
        };
        stdin
            .write_all(bytes.as_ref())
            .and_then(|_| stdin.flush())
            .is_ok()
    }

    /// Closes the engine's stdin (end of input).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Sends `TAG command CRLF` with a fresh tag and reads its reply.
    #[track_caller]
    pub fn cmd(&mut self, command: &str) -> Reply {
        let tag = self.tag();
        self.send(format!("{tag} {command}\r\n"));
        self.read_reply(&tag)
    }

    /// [`Client::cmd`], panicking unless the reply is OK.
    #[track_caller]
    pub fn ok(&mut self, command: &str) -> Reply {
        let r = self.cmd(command);
        r.ok();
        r
    }

    /// SELECTs `mailbox` (quoted), panicking unless OK.
    #[track_caller]
    pub fn select(&mut self, mailbox: &str) -> Reply {
        self.ok(&format!("SELECT {}", quote(mailbox)))
    }

    /// APPENDs `msg` to `mailbox` with a synchronizing literal; `extra` is
    /// put between the name and the literal (flags, date-time).
    #[track_caller]
    pub fn append(&mut self, mailbox: &str, extra: &str, msg: &[u8]) -> Reply {
        let tag = self.tag();
        let sep = if extra.is_empty() { "" } else { " " };
        self.send(format!(
            "{tag} APPEND {}{sep}{extra} {{{}}}\r\n",
            quote(mailbox),
            msg.len()
        ));
        let cont = self.read_resp();
        assert!(
            cont.is_continuation(),
            "expected + before the literal, got {:?}",
            cont.text()
        );
        self.send(msg);
        self.send(b"\r\n");
        self.read_reply(&tag)
    }

    /// Reads responses until the one tagged `tag`.
    #[track_caller]
    pub fn read_reply(&mut self, tag: &str) -> Reply {
        let mut untagged = Vec::new();
        let mut continuations = Vec::new();
        loop {
            let r = self.read_resp();
            if r.is_untagged() {
                untagged.push(r);
            } else if r.is_continuation() {
                continuations.push(r);
            } else if r.tag() == tag.as_bytes() {
                return Reply {
                    untagged,
                    continuations,
                    tagged: r,
                };
            } else {
                panic!(
                    "response for an unexpected tag while waiting for {tag}: {:?}",
                    r.text()
                );
            }
        }
    }

    /// Reads one logical response (a line with its literals).
    #[track_caller]
    pub fn read_resp(&mut self) -> Resp {
        self.read_resp_within(timeout())
            .unwrap_or_else(|| panic!("asimap-stdio closed its output; log:\n{}", self.log()))
    }

    /// Reads one response, or None at end of output; panics on timeout.
    #[track_caller]
    pub fn read_resp_within(&mut self, limit: Duration) -> Option<Resp> {
        let deadline = Instant::now() + limit;
        loop {
            let (len, complete) = response_len(&self.buf);
            if complete {
                let rest = self.buf.split_off(len);
                let line = std::mem::replace(&mut self.buf, rest);
                return split_responses(&line).into_iter().next();
            }
            if self.eof {
                return None;
            }
            self.fill(deadline);
        }
    }

    #[track_caller]
    fn fill(&mut self, deadline: Instant) {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(left) {
            Ok(chunk) => self.buf.extend_from_slice(&chunk),
            Err(RecvTimeoutError::Disconnected) => self.eof = true,
            Err(RecvTimeoutError::Timeout) => panic!(
                "no complete response from asimap-stdio within {left:?}; \
                 partial output {:?}; log:\n{}",
                String::from_utf8_lossy(&self.buf),
                self.log()
            ),
        }
    }

    /// Reads until end of output and returns everything left.
    #[track_caller]
    pub fn read_to_end(&mut self) -> Vec<Resp> {
        let mut out = Vec::new();
        while let Some(r) = self.read_resp_within(timeout()) {
            out.push(r);
        }
        out
    }

    /// True when, within `wait`, the engine sends nothing. Used only to check
    /// the absence of output; a test never passes or fails on speed.
    pub fn quiet_for(&mut self, wait: Duration) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        match self.rx.recv_timeout(wait) {
            Ok(chunk) => {
                self.buf.extend_from_slice(&chunk);
                false
            }
            Err(RecvTimeoutError::Timeout) => true,
            Err(RecvTimeoutError::Disconnected) => {
                self.eof = true;
                true
            }
        }
    }

    /// Sends LOGOUT and checks for BYE, the tagged OK and a clean exit.
    #[track_caller]
    pub fn logout(mut self) {
        let r = self.cmd("LOGOUT");
        r.ok();
        assert!(!r.untagged("BYE").is_empty(), "LOGOUT without * BYE:\n{r}");
        self.close_stdin();
        let rest = self.read_to_end();
        assert!(rest.is_empty(), "output after LOGOUT: {rest:?}");
        let status = self.wait_exit();
        assert!(
            status.success(),
            "asimap-stdio exited with {status} after LOGOUT"
        );
    }

    /// Waits for the process to end (bounded by the test timeout).
    #[track_caller]
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        wait_with_deadline(&mut self.child, &self.log)
    }

    /// The tail of the engine's stderr log.
    pub fn log(&self) -> String {
        read_log(&self.log)
    }
}

/// An IMAP quoted string for `s` (escapes `"` and `\`).
pub fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
