#!/usr/bin/env bash
# Benchmark asimap-stdio against Dovecot on the same generated mail.
#
#   scripts/bench.sh SIZE [RUNS]      e.g. scripts/bench.sh 10000
#
# Builds target/release/asimap-stdio, then runs the shared compare.sh
# (../shared/bench beside the repository, or $BENCH_SCRIPTS), which
# generates a corpus of SIZE messages once (kept in $BENCH_DIR, default
# /var/tmp/asimap-bench), and prints one table per server. Finally compares
# the SEARCH hit counts of both servers with the corpus manifest.
# Needs dovecot-imapd and rsync (installed here if missing, as root).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE=${1:?usage: scripts/bench.sh SIZE [RUNS]}
RUNS=${2:-3}
BENCH=${BENCH_SCRIPTS:-}
if [ -z "$BENCH" ]; then
    for dir in "$ROOT/../shared/bench" /work/shared/bench; do
        if [ -x "$dir/compare.sh" ] || [ -f "$dir/compare.sh" ]; then
            BENCH=$dir
            break
        fi
    done
fi
[ -n "$BENCH" ] || { echo "bench.sh: compare.sh not found; set BENCH_SCRIPTS" >&2; exit 1; }
export BENCH_DIR=${BENCH_DIR:-/var/tmp/asimap-bench}

missing=()
for pkg in dovecot-imapd rsync python3; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "bench.sh: please install ${missing[*]}" >&2
        exit 1
    fi
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

echo "bench.sh: building the release engine" >&2
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --bin asimap-stdio
engine="${CARGO_TARGET_DIR:-$ROOT/target}/release/asimap-stdio"

sh "$BENCH/compare.sh" "$SIZE" "$engine" "$RUNS"

# SEARCH hit counts of each server against the manifest.
python3 - "$BENCH_DIR" "$SIZE" <<'PY'
import json, os, sys
bench_dir, size = sys.argv[1], sys.argv[2]
man = json.load(open(os.path.join(bench_dir, "corpus", size, "manifest.json")))
search = man["folders"][0]["search"]
want_subject = len(search["subject_matches"])
# Matches in malformed headers (raw 8-bit, broken encoded-words) are left
# server dependent by the manifest: a count within that margin agrees.
margin = len(search.get("subject_matches_malformed_header", []))
want_body = len(search["body_matches"])
print("\nSEARCH hits against the manifest (subject=%d, +%d in malformed headers; "
      "body=%d):" % (want_subject, margin, want_body))
for server in ("dovecot", "asimap"):
    path = os.path.join(bench_dir, "results", "%s-%s.json" % (server, size))
    if not os.path.exists(path):
        print("  %-8s no results" % server)
        continue
    info = json.load(open(path))["summary"]["info_last"]
    got_s = info.get("search_subject_hits")
    got_b = info.get("search_body_hits")
    ok = (got_s is not None and want_subject <= got_s <= want_subject + margin
          and got_b == want_body)
    verdict = "agrees with the manifest" if ok else "DIFFERS from the manifest"
    print("  %-8s subject=%s body=%s: %s" % (server, got_s, got_b, verdict))
PY
