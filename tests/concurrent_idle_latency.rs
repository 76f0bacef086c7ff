//! Benchmark, not a test (ignored by default; `scripts/bench_idle.sh`
//! runs it): how long an idling session takes to report a flag change
//! made by another session's STORE and by nmh's `mark`, with inotify and
//! with the polling fallback. Prints median and p95; asserts only that
//! every change arrived, never a time.

mod common;
mod conc_util;

use std::time::{Duration, Instant};

use common::MhTree;
use conc_util::{Conn, EnvClient, start_idle};

/// Trials per measurement (`ASIMAP_BENCH_TRIALS` overrides).
fn trials() -> usize {
    std::env::var("ASIMAP_BENCH_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50)
}

/// Reads untagged responses until a FETCH of message 1 arrives.
fn wait_fetch_1(c: &mut impl Conn) {
    loop {
        let r = c.next_resp();
        if r.fetch().is_some_and(|(n, _)| n == 1) {
            return;
        }
    }
}

/// Median and 95th percentile in milliseconds.
fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{what:<44} n={:<3} median {:>8.1} ms   p95 {:>8.1} ms   max {:>8.1} ms",
        samples.len(),
        ms(pick(0.5)),
        ms(pick(0.95)),
        ms(samples[samples.len() - 1]),
    );
}

/// Toggles \Flagged on message 1 from session `a` and times its arrival
/// at the idling `idler`.
fn store_latency(a: &mut common::Client, idler: &mut impl Conn) -> Vec<Duration> {
    (0..trials())
        .map(|i| {
            let sign = if i % 2 == 0 { '+' } else { '-' };
            let tag = format!("s{i}");
            let t0 = Instant::now();
            a.send(format!("{tag} STORE 1 {sign}FLAGS (\\Flagged)\r\n"));
            wait_fetch_1(idler);
            let d = t0.elapsed();
            a.read_reply(&tag).ok();
            d
        })
        .collect()
}

/// Toggles sequence `flagged` on message 1 with nmh `mark` and times its
/// arrival, from the start of `mark`.
fn mark_latency(tree: &MhTree, idler: &mut impl Conn) -> Vec<Duration> {
    (0..trials())
        .map(|i| {
            let op = if i % 2 == 0 { "-add" } else { "-delete" };
            let t0 = Instant::now();
            tree.nmh("mark", &["+inbox", "1", "-sequence", "flagged", op]);
            wait_fetch_1(idler);
            t0.elapsed()
        })
        .collect()
}

fn bench(label: &str, env: &[(&str, &str)]) {
    let tree = MhTree::new();
    tree.fill("inbox", 20);
    tree.write_sequences("inbox", "unseen: 1-20\n");
    let mut idler = EnvClient::start(&tree, env);
    idler.ok_cmd("SELECT INBOX");
    start_idle(&mut idler, "i1");
    let mut a = tree.client();
    a.select("INBOX");
    report(
        &format!("{label}: other session's STORE"),
        store_latency(&mut a, &mut idler),
    );
    report(
        &format!("{label}: nmh mark (incl. mark's run)"),
        mark_latency(&tree, &mut idler),
    );
    a.logout();
}

#[test]
#[ignore = "benchmark: run scripts/bench_idle.sh"]
fn idle_latency() {
    println!(
        "IDLE latency over {} trials (debug build unless noted)",
        trials()
    );
    bench("inotify", &[]);
    bench("no inotify", &[("ASIMAP_NO_INOTIFY", "1")]);
}
