#!/usr/bin/env bash
# Run asimap-stdio on a copy of the demo MH tree shipped in demo/.
#
#   scripts/demo.sh           run a short scripted IMAP session and print it
#   scripts/demo.sh -i        interactive session: type IMAP commands yourself
#                             (a tag, a command, Enter; "a LOGOUT" ends it)
#   scripts/demo.sh -f FILE   run the IMAP commands in FILE instead
#   scripts/demo.sh -k ...    keep the temporary copy and print where it is
#
# The repository is never modified: the demo tree is copied to a temporary
# directory that becomes $HOME for the engine, so the MH profile's
# "Path: Mail" points at the copy. Message mtimes (which IMAP shows as
# INTERNALDATE) are set from each message's Date: header.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
mode=script
script_file=
keep=no
while getopts "if:kh" opt; do
    case $opt in
        i) mode=interactive ;;
        f) mode=file; script_file=$OPTARG ;;
        k) keep=yes ;;
        h) sed -n '2,13p' "$0"; exit 0 ;;
        *) sed -n '2,13p' "$0" >&2; exit 2 ;;
    esac
done

echo "demo: building asimap-stdio" >&2
cargo build --quiet --manifest-path "$ROOT/Cargo.toml" --bin asimap-stdio
engine="${CARGO_TARGET_DIR:-$ROOT/target}/debug/asimap-stdio"

home=$(mktemp -d "${TMPDIR:-/tmp}/asimap-demo.XXXXXX")
if [ "$keep" = yes ]; then
    echo "demo: the MH tree is kept in $home/Mail" >&2
else
    trap 'rm -rf "$home"' EXIT
fi
cp -R "$ROOT/demo/Mail" "$home/Mail"
cp "$ROOT/demo/mh_profile" "$home/.mh_profile"
chmod 700 "$home"

# INTERNALDATE is the file's mtime: take it from the Date: header.
find "$home/Mail" -type f -name '[1-9]*' | while read -r msg; do
    date=$(sed -n '/^$/q; s/^Date: *//p' "$msg" | head -n 1)
    [ -n "$date" ] && touch -d "$date" "$msg"
done

run_engine() {
    env HOME="$home" MH="$home/.mh_profile" "$engine" "$@"
}

case $mode in
    interactive)
        echo "demo: interactive IMAP session on $home/Mail" >&2
        echo "demo: try: a1 LIST \"\" \"*\"   a2 SELECT INBOX   a3 FETCH 1:* (FLAGS ENVELOPE)   a4 LOGOUT" >&2
        if command -v rlwrap >/dev/null; then
            rlwrap env HOME="$home" MH="$home/.mh_profile" "$engine"
        else
            run_engine
        fi
        ;;
    file)
        run_engine < "$script_file"
        ;;
    script)
        session="$home/session.imap"
        cat > "$session" <<'IMAP'
a1 CAPABILITY
a2 LIST "" "*"
a3 SELECT INBOX
a4 FETCH 1:* (FLAGS ENVELOPE)
a5 SEARCH UNSEEN
a6 UID SEARCH SUBJECT "lunch"
a7 FETCH 5 (INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])
a8 STATUS "lists/rust" (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)
a9 LOGOUT
IMAP
        echo "=== commands sent (a scripted session from a file) ==="
        cat "$session"
        echo
        echo "=== asimap-stdio's replies ==="
        run_engine < "$session"
        ;;
esac
