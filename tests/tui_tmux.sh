#!/usr/bin/env bash
# The terminal UI in a real terminal: tmux at 80x24, keys sent, the screen read back.
#
#   bash tests/tui_tmux.sh [PATH_TO_AIRLOCK]
#
# Builds airlock (unless its path is given), makes a CA home and an intake folder of two
# openssl CSRs, starts `airlock --home H tui` in a detached tmux session, opens the
# folder's review, approves, signs with the passphrase typed into the prompt, checks the
# summary on screen and the certificates on disk (openssl verify), quits, and checks the
# exit status. A second run, `airlock --home H tui INTAKE_DIR`, opens on that folder's
# review, then walks a whole CA rotation on the Rotation screen (begin, reissue, finish,
# each with its typed confirmation and passphrases) and checks the reissued certificates
# against the new CA and the final bundle with openssl. Along the way: the prompts name
# each CA by role and id, the ledger is verified again after an act, and the rotation
# checklist can be scrolled to its end at 80x24. Runs headless (tmux makes its own
# terminal), as root or not. The new CA's key gets the default scrypt work factor, which
# a debug build takes tens of seconds to compute: the waits are long.
# Prints PASS/FAIL lines and exits non-zero on any failure. Without tmux or openssl it
# skips, unless AIRLOCK_INTEROP=1 (as .ci/run sets), where a missing tool fails.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

for tool in tmux openssl; do
    if ! command -v "$tool" >/dev/null; then
        if [ "${AIRLOCK_INTEROP:-}" = 1 ]; then
            echo "FAIL: $tool is not installed (AIRLOCK_INTEROP=1: a missing tool fails)"
            exit 1
        fi
        echo "SKIP: $tool is not installed"
        exit 0
    fi
done

if [ $# -ge 1 ]; then
    airlock=$(realpath "$1")
else
    cargo build --locked --quiet || { echo "FAIL: cargo build"; exit 1; }
    airlock=$(realpath target/debug/airlock)
fi

work=$(mktemp -d)
socket="airlock-tui-test-$$"
tmux_() { tmux -L "$socket" "$@"; }
cleanup() {
    tmux_ kill-server >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

passphrase="tmux test passphrase"
printf '%s\n' "$passphrase" >"$work/pass"
home="$work/home"
if "$airlock" --home "$home" --passphrase-file "$work/pass" init --cn tmux-test-ca \
    --scrypt-work-factor 14 >"$work/init.log" 2>&1; then
    pass "airlock init made a CA home"
else
    cat "$work/init.log"
    fail "airlock init"
    exit 1
fi
mkdir "$work/intake"
for user in alice bob; do
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$work/$user.key" -subj "/O=dev/CN=$user" \
        -out "$work/intake/$user.csr" 2>/dev/null || { fail "openssl req for $user"; exit 1; }
done

# The session the checks look at (the second run has its own).
target=tui
screen() { tmux_ capture-pane -p -t "$target" 2>/dev/null; }
# wait_for TEXT SECONDS: polls the screen until it shows TEXT.
wait_for() {
    local deadline=$((SECONDS + $2))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if screen | grep -qF -- "$1"; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}
# keys ...: sends keys, then lets the UI draw.
keys() { tmux_ send-keys -t "$target" "$@"; sleep 0.3; }
show_screen() {
    echo "----- screen -----"
    screen
    echo "------------------"
}
check() {
    local what=$1 text=$2 seconds=${3:-10}
    if wait_for "$text" "$seconds"; then
        pass "$what"
    else
        fail "$what (no '$text' on screen)"
        show_screen
    fi
}

# The exit status is written to a file: the session's shell outlives airlock briefly.
tmux_ new-session -d -s tui -x 80 -y 24 \
    "cd '$work' && '$airlock' --home '$home' tui; echo \$? >'$work/exit'; sleep 2"

check "the dashboard opens at 80x24" "✔ verified" 20
if screen | head -1 | grep -qF "[1 Dashboard]"; then
    pass "the tab bar shows the dashboard"
else
    fail "the tab bar shows the dashboard"
fi

# Open the review: the path input starts in the current folder; Tab completes 'in'.
keys o
check "the folder prompt opens" "Review an intake folder"
keys -l in
keys Tab
check "Tab completes the folder name" "intake/"
keys Enter
check "the review lists both CSRs" "Items: 2 accepted" 20
check "the batch digest is shown" "Batch digest"

keys A
check "approving all accepted items" "2 approved"

# Sign: output folder (default), typed confirmation, masked passphrase.
keys s
check "the output folder is asked" "intake-signed"
keys Enter
check "the typed confirmation is asked" "Type 'sign' to confirm"
keys -l sign
keys Tab
keys Enter
check "the passphrase names the CA by role and id" "Passphrase for the active CA 'tmux-test-ca' ("
keys -l "$passphrase"
if screen | grep -qF "$passphrase"; then
    fail "the passphrase is masked"
else
    pass "the passphrase is masked"
fi
keys Enter
check "the summary shows what was signed" "Signed 2 new certificate(s)" 120
check "the summary names the output folder" "Output  $work/intake-signed"

out="$work/intake-signed"
for file in alice.crt bob.crt report.json SHA256SUMS; do
    if [ -s "$out/$file" ]; then
        pass "$file written"
    else
        fail "$file written"
    fi
done
ca_cert=$(ls "$home"/cas/*/ca.crt)
if openssl verify -purpose sslclient -CAfile "$ca_cert" "$out/alice.crt" "$out/bob.crt"; then
    pass "openssl verifies both certificates as client certificates"
else
    fail "openssl verify"
fi

# Close the summary. Esc and q go separately: together they read as Alt-q.
keys Escape
sleep 0.3
# The verified line speaks of the ledger after the act (issue 10, item 17).
keys 1
entries=$(wc -l <"$home/ledger.jsonl" | tr -d ' ')
check "the ledger is verified again after signing" "✔ verified: $entries entries" 20
keys q
deadline=$((SECONDS + 10))
while [ ! -s "$work/exit" ] && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 0.2
done
status=$(cat "$work/exit" 2>/dev/null || echo "none")
if [ "$status" = 0 ]; then
    pass "airlock tui exited with status 0"
else
    fail "airlock tui exit status is '$status', not 0"
    show_screen
fi

# As typed: the completion leaves a trailing slash.
if grep -qE "\"intake\":\"$work/intake/?\"" "$home/ledger.jsonl"; then
    pass "the ledger records the reviewed intake folder"
else
    fail "the ledger records the reviewed intake folder"
fi

# ---- Second run: open on a folder's review, then walk a rotation.
new_passphrase="tmux new CA passphrase"
# A session of its own: killing the server and starting a new one at once can race.
rm -f "$work/exit"
target=tui2
tmux_ new-session -d -s "$target" -x 80 -y 24 \
    "cd '$work' && '$airlock' --home '$home' tui '$work/intake'; echo \$? >'$work/exit'; sleep 2"
check "tui INTAKE_DIR opens on the folder's review" "Items: 2 accepted" 20

keys 5
check "the rotation screen shows the phase" "Rotation phase stable"
check "the timeline marks the current phase" "● stable ─begin─▶ ○ overlap"

keys b
check "begin asks the new CA's name first" "Begin a rotation: the new CA's name"
keys Enter
check "begin asks for a typed confirmation" "Type 'begin' to confirm"
keys -l begin
keys Tab
keys Enter
check "begin asks the active CA's passphrase first" "Passphrase for the active CA 'tmux-test-ca' ("
keys -l "$passphrase"
keys Enter
check "begin then asks a new passphrase for the new CA" "Passphrase for the NEW CA 'tmux-test-ca' (made next):"
keys -l "$new_passphrase"
keys Enter
check "begin asks the new passphrase again" "(again)"
keys -l "$new_passphrase"
if screen | grep -qF "$new_passphrase"; then
    fail "the new passphrase is masked"
else
    pass "the new passphrase is masked"
fi
keys Enter
check "the rotation begins" "Rotation begun: the new CA is incoming" 240
keys Escape
check "the phase is overlap" "Rotation phase overlap"
# At 80x24 the checklist runs below the screen: its end can be scrolled to (issue 10,
# item 17), and back.
keys End
check "End scrolls to the end of the checklist" "8. next step"
check "the screen says there is more above" "↑ more above"
keys Home
check "Home scrolls back to the top" "Rotation phase overlap"

keys r
check "reissue asks the output folder" "Output folder for the reissued certificates"
keys Enter
check "reissue asks for a typed confirmation" "Type 'reissue' to confirm"
keys -l reissue
keys Tab
keys Enter
check "reissue asks the incoming CA's passphrase" "Passphrase for the incoming CA 'tmux-test-ca' ("
keys -l "$new_passphrase"
keys Enter
check "both certificates are reissued" "Reissued 2 certificate(s) with the new CA" 240
keys Escape
check "the phase is reissued" "Rotation phase reissued"

keys f
check "finish asks what becomes of the old key" "Keep it archived"
keys Enter
check "finish asks for a typed confirmation" "Type 'finish' to confirm"
keys -l finish
keys Tab
keys Enter
check "finish asks the incoming CA's passphrase" "Passphrase for the incoming CA 'tmux-test-ca' ("
keys -l "$new_passphrase"
keys Enter
check "the rotation finishes" "Rotation finished: the new CA is the only one trusted" 240
keys Escape
check "the phase is stable again" "Rotation phase stable · the last rotation finished on"
keys End
check "the ended rotation's checklist can be scrolled to its end" "8. next step"

reissued="$work/reissued"
new_ca=$(grep -l . "$home"/cas/*/ca.crt | while read -r cert; do
    if ! cmp -s "$cert" "$ca_cert"; then echo "$cert"; fi
done | head -1)
if [ -n "$new_ca" ] && openssl verify -purpose sslclient -CAfile "$new_ca" \
    "$reissued/alice.crt" "$reissued/bob.crt"; then
    pass "openssl verifies the reissued certificates against the new CA"
else
    fail "openssl verify of the reissued certificates"
fi
final_bundle=$(ls "$home"/bundles/*-finished-client-ca-bundle.crt 2>/dev/null | tail -1)
if [ -n "$final_bundle" ] && [ "$(grep -c 'BEGIN CERTIFICATE' "$final_bundle")" = 1 ] \
    && openssl verify -purpose sslclient -CAfile "$final_bundle" "$reissued/alice.crt" >/dev/null \
    && ! openssl verify -purpose sslclient -CAfile "$final_bundle" "$out/alice.crt" >/dev/null 2>&1; then
    pass "the final bundle trusts the new CA alone"
else
    fail "the final bundle trusts the new CA alone"
fi

keys q
deadline=$((SECONDS + 10))
while [ ! -s "$work/exit" ] && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 0.2
done
status=$(cat "$work/exit" 2>/dev/null || echo "none")
if [ "$status" = 0 ]; then
    pass "the second run exited with status 0"
else
    fail "the second run's exit status is '$status', not 0"
    show_screen
fi

echo "tui_tmux: $passed passed, $failed failed"
[ "$failed" = 0 ]
