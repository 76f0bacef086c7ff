#!/usr/bin/env bash
# IDLE latency benchmark (issue 3): time from another session's STORE, and
# from an nmh `mark`, to the untagged FETCH in an idling session; with
# inotify and with the polling fallback (ASIMAP_NO_INOTIFY=1).
#
#   scripts/bench_idle.sh [TRIALS]        default 50 trials each
#
# Prints median, p95 and max; never fails on timing. Uses the debug build
# that `cargo test` makes (set CARGO_PROFILE=release to use --release).
set -euo pipefail
cd "$(dirname "$0")/.."
export ASIMAP_BENCH_TRIALS=${1:-${ASIMAP_BENCH_TRIALS:-50}}
profile=()
if [ "${CARGO_PROFILE:-}" = release ]; then profile=(--release); fi
cargo test "${profile[@]}" --test concurrent_idle_latency -- \
    --ignored --nocapture --test-threads=1 2>&1 |
    grep -E "IDLE latency|^inotify|^no inotify"
