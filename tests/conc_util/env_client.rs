//! An interactive asimap-stdio child started with extra environment
//! variables (such as `ASIMAP_NO_INOTIFY=1`), which the shared
//! [`Client`] cannot set, and the [`Conn`] trait both implement so the
//! model helpers work with either.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::Instant;

use crate::common::client::{read_log, timeout};
use crate::common::resp::{response_len, split_responses};
use crate::common::{Client, MhTree, Reply, Resp};

/// What the model helpers need from a connection.
pub trait Conn {
    /// Writes raw bytes.
    fn send_bytes(&mut self, bytes: &[u8]);
    /// Reads one response (panics on timeout or end of output).
    fn next_resp(&mut self) -> Resp;
    /// Reads until the reply tagged `tag`.
    fn reply_to(&mut self, tag: &str) -> Reply;
    /// Sends a command with a fresh tag; panics unless OK.
    fn ok_cmd(&mut self, command: &str) -> Reply;
}

impl Conn for Client {
    fn send_bytes(&mut self, bytes: &[u8]) {
        self.send(bytes);
    }
    fn next_resp(&mut self) -> Resp {
        self.read_resp()
    }
    fn reply_to(&mut self, tag: &str) -> Reply {
        self.read_reply(tag)
    }
    fn ok_cmd(&mut self, command: &str) -> Reply {
        self.ok(command)
    }
}

/// An engine child with extra environment variables.
pub struct EnvClient {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Vec<u8>>,
    buf: Vec<u8>,
    next_tag: u32,
    log: PathBuf,
}

impl Drop for EnvClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl EnvClient {
    /// Starts the engine on `tree` with `env` added and reads the greeting.
    #[track_caller]
    pub fn start(tree: &MhTree, env: &[(&str, &str)]) -> EnvClient {
        Self::start_wrapped(tree, &[], env)
    }

    /// [`EnvClient::start`] through a wrapper such as `prlimit --nofile=8`.
    #[track_caller]
    pub fn start_wrapped(tree: &MhTree, wrapper: &[&str], env: &[(&str, &str)]) -> EnvClient {
        let (mut cmd, log) = tree.wrapped_engine_command(wrapper, &[]);
        for (k, v) in env {
            cmd.env(k, v);
        }
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
        let mut c = EnvClient {
            child,
            stdin,
            rx,
            buf: Vec::new(),
            next_tag: 1,
            log,
        };
        let g = c.next_resp();
        assert_eq!(g.status(), "PREAUTH", "greeting {g:?}");
        c
    }
}

impl EnvClient {
    /// The tail of the engine's stderr log.
    pub fn log(&self) -> String {
        read_log(&self.log)
    }

    /// Sends LOGOUT, expects OK, and waits for the process to end.
    #[track_caller]
    pub fn logout(mut self) {
        self.ok_cmd("LOGOUT");
        self.stdin = None;
        let status = self.child.wait().expect("wait for asimap-stdio");
        assert!(status.success(), "asimap-stdio exited with {status}");
    }
}

impl Conn for EnvClient {
    fn send_bytes(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        if let Err(e) = stdin.write_all(bytes).and_then(|_| stdin.flush()) {
            panic!("write to asimap-stdio: {e}; log:\n{}", read_log(&self.log));
        }
    }

    fn next_resp(&mut self) -> Resp {
        let deadline = Instant::now() + timeout();
        loop {
            let (len, complete) = response_len(&self.buf);
            if complete {
                let rest = self.buf.split_off(len);
                let line = std::mem::replace(&mut self.buf, rest);
                if let Some(r) = split_responses(&line).into_iter().next() {
                    return r;
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(chunk) => self.buf.extend_from_slice(&chunk),
                Err(e) => panic!(
                    "no response from asimap-stdio ({e}); partial {:?}; log:\n{}",
                    String::from_utf8_lossy(&self.buf),
                    read_log(&self.log)
                ),
            }
        }
    }

    fn reply_to(&mut self, tag: &str) -> Reply {
        let (mut untagged, mut continuations) = (Vec::new(), Vec::new());
        loop {
            let r = self.next_resp();
            if r.is_untagged() {
                untagged.push(r);
            } else if r.is_continuation() {
                continuations.push(r);
            } else {
                assert_eq!(r.tag(), tag.as_bytes(), "unexpected tag: {r:?}");
                return Reply {
                    untagged,
                    continuations,
                    tagged: r,
                };
            }
        }
    }

    fn ok_cmd(&mut self, command: &str) -> Reply {
        let tag = format!("e{}", self.next_tag);
        self.next_tag += 1;
        self.send_bytes(format!("{tag} {command}\r\n").as_bytes());
        let r = self.reply_to(&tag);
        r.ok();
        r
    }
}
