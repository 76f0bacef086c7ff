//! The shared SQLite file under load (issue 3): 20 sessions of one user
//! doing mixed writes (APPEND, STORE, COPY, EXPUNGE, SELECT, NOOP) at
//! once, with two more sessions in IDLE. No SQLITE_BUSY or `NO
//! [SERVERBUG]` may reach a client, the `-wal` file stays bounded, an
//! idling session holds no read transaction (a TRUNCATE checkpoint gets
//! through), and the folders end consistent.
//!
//! 20 s in CI; `ASIMAP_STRESS_SECS=60` runs the full minute.

mod common;
mod crash_util;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::{Client, MhTree};
use crash_util::{append_cmd, message};

const SESSIONS: usize = 20;

/// How long the writers run.
fn duration() -> Duration {
    let secs = std::env::var("ASIMAP_STRESS_SECS")
        .ok()
        .and_then(|s| s.parse().ok());
    Duration::from_secs(secs.unwrap_or(20))
}

/// What went wrong or right in one writer.
#[derive(Default)]
struct Tally {
    commands: u64,
    refused: Vec<String>,
}

/// Sends one command (with a literal already in `cmd` when APPEND) and
/// checks its reply: OK, or NO [EXPUNGEISSUED] for a message another
/// session removed. Anything else is kept for the final assertion.
fn run(c: &mut Client, tally: &mut Tally, cmd: &str) {
    let tag = c.tag();
    let line = if cmd.starts_with("APPEND") {
        format!("{tag} {cmd}")
    } else {
        format!("{tag} {cmd}\r\n")
    };
    c.send(line);
    let reply = c.read_reply(&tag);
    tally.commands += 1;
    let text = reply.to_string();
    let status = reply.status();
    let ok = status == "OK" || (status == "NO" && text.contains("[EXPUNGEISSUED]"));
    if !ok || text.contains("SERVERBUG") || text.to_lowercase().contains("database is locked") {
        tally.refused.push(format!("{cmd:.60}: {text}"));
    }
}

/// One writer's loop.
fn writer(tree: Arc<MhTree>, n: usize, stop: Arc<AtomicBool>, ids: Arc<AtomicU64>) -> Tally {
    let mut tally = Tally::default();
    let mut c = tree.client();
    let mut round = 0u64;
    run(&mut c, &mut tally, "SELECT INBOX");
    while !stop.load(Ordering::Relaxed) {
        round += 1;
        let id = format!("s{}", ids.fetch_add(1, Ordering::Relaxed));
        let cmd = match (round + n as u64) % 8 {
            0 | 1 => append_cmd("", "INBOX", "", &message(&id))[1..].to_string(),
            2 => "UID STORE 1:* +FLAGS.SILENT (\\Flagged)".to_string(),
            3 => format!("STORE 1:{} -FLAGS (\\Flagged \\Seen)", 1 + round % 3),
            4 => "COPY 1:2 copies".to_string(),
            5 => "STORE 1 +FLAGS.SILENT (\\Deleted)".to_string(),
            6 => "EXPUNGE".to_string(),
            _ if round % 16 == 7 => "SELECT copies".to_string(),
            _ => "NOOP".to_string(),
        };
        if cmd.starts_with("SELECT copies") {
            run(&mut c, &mut tally, &cmd);
            run(&mut c, &mut tally, "STORE 1:* +FLAGS.SILENT (\\Deleted)");
            run(&mut c, &mut tally, "EXPUNGE");
            run(&mut c, &mut tally, "SELECT INBOX");
            continue;
        }
        if cmd.starts_with("STORE 1") || cmd.starts_with("COPY") {
            // The inbox may be empty: give it a message first.
            let seed = append_cmd("", "INBOX", "", &message(&format!("{id}x")));
            run(&mut c, &mut tally, &seed[1..]);
            run(&mut c, &mut tally, "NOOP");
        }
        run(&mut c, &mut tally, &cmd);
    }
    c.logout();
    tally
}

/// The `-wal` file's size now (0 when absent).
fn wal_size(tree: &MhTree) -> u64 {
    std::fs::metadata(tree.mail().join(".asimap.sqlite-wal")).map_or(0, |m| m.len())
}

#[test]
fn twenty_sessions_of_mixed_writes() {
    let tree = Arc::new(MhTree::new());
    tree.folder("copies");
    tree.fill("inbox", 5);
    let stop = Arc::new(AtomicBool::new(false));
    let ids = Arc::new(AtomicU64::new(1));

    let mut idlers: Vec<Client> = (0..2).map(|_| tree.client()).collect();
    for c in &mut idlers {
        c.select("INBOX");
        c.send("i1 IDLE\r\n");
        assert!(c.read_resp().is_continuation(), "IDLE not accepted");
    }
    let writers: Vec<_> = (0..SESSIONS)
        .map(|n| {
            let (tree, stop, ids) = (Arc::clone(&tree), Arc::clone(&stop), Arc::clone(&ids));
            thread::spawn(move || writer(tree, n, stop, ids))
        })
        .collect();

    let end = Instant::now() + duration();
    let mut wal_max = 0;
    while Instant::now() < end {
        wal_max = wal_max.max(wal_size(&tree));
        thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Relaxed);
    let mut commands = 0;
    let mut refused = Vec::new();
    for w in writers {
        let t = w.join().expect("writer thread");
        commands += t.commands;
        refused.extend(t.refused);
    }
    wal_max = wal_max.max(wal_size(&tree));
    eprintln!("stress: {commands} commands, WAL at most {wal_max} bytes");
    assert!(
        refused.is_empty(),
        "refused commands:\n{}",
        refused.join("\n")
    );
    assert!(
        commands > SESSIONS as u64 * 4,
        "only {commands} commands ran"
    );
    assert!(wal_max < 16 << 20, "WAL grew to {wal_max} bytes");

    // The idling sessions hold no snapshot: a TRUNCATE checkpoint, which
    // waits for every reader, completes and empties the WAL.
    let conn = rusqlite::Connection::open(tree.mail().join(".asimap.sqlite")).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let (busy, log): (i64, i64) = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(
        (busy, log),
        (0, 0),
        "checkpoint blocked while sessions idle"
    );

    for mut c in idlers {
        c.send("DONE\r\n");
        let r = c.read_reply("i1");
        r.ok();
        c.logout();
    }
    for (imap, mh) in [("INBOX", "inbox"), ("copies", "copies")] {
        let (_, seen) = crash_util::view(&tree, imap);
        assert_eq!(
            seen.len(),
            tree.numbers(mh).len(),
            "{imap}: files and UIDs differ"
        );
        let mut uids: Vec<u32> = seen.iter().map(|s| s.uid).collect();
        uids.dedup();
        assert_eq!(uids.len(), seen.len(), "{imap}: a UID twice");
        crash_util::nmh_reads(&tree, mh, seen.is_empty());
    }
}
