#!/usr/bin/env bash
# Profiles one `airlock sign` run with perf and splits it into phases.
#
# Usage: benches/profile.sh [N] [ALG]      (default: 1000 p256; ALG is p256 or rsa2048)
# Environment: AIRLOCK_BENCH_WF (scrypt work factor, default 18), AIRLOCK_PROFILE_NOFSYNC=1
# (run under eatmydata), AIRLOCK_BENCH_KEEP=1, and the cache variables of lib.sh.
#
# Builds airlock (release, with the line tables the release profile keeps), signs N cached
# CSRs (see lib.sh) in a fresh home at scrypt work factor $AIRLOCK_BENCH_WF (default 18)
# under `perf record -e cpu-clock --call-graph dwarf`, then prints:
#   - the phase table of perf_phases.py (CPU time and wall-clock window of each phase);
#   - perf report's top symbols by self time, and airlock's functions by inclusive time.
# Needs perf (linux-perf) and a perf_event_paranoid that lets you sample your own
# processes. On a VM without hardware counters cpu-clock still works.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${1:-1000}
ALG=${2:-p256}
WF=${AIRLOCK_BENCH_WF:-18}
# AIRLOCK_PROFILE_NOFSYNC=1 runs airlock under eatmydata (fsync a no-op) to see the
# CPU-bound phases without the I/O waits. Diagnostic only.
WRAP=()
if [ "${AIRLOCK_PROFILE_NOFSYNC:-0}" = 1 ]; then
    command -v eatmydata >/dev/null || die "AIRLOCK_PROFILE_NOFSYNC=1 needs eatmydata"
    WRAP=(eatmydata)
fi
FREQ=999
# shellcheck source=benches/lib.sh
. "$ROOT/benches/lib.sh"

command -v perf >/dev/null || die "perf is needed (apt-get install -y linux-perf)"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/airlock-profile.XXXXXX")
if [ "${AIRLOCK_BENCH_KEEP:-0}" = 1 ]; then
    log "work folder kept: $WORK"
else
    trap 'rm -rf "$WORK"' EXIT
fi

(cd "$ROOT" && cargo build --release --locked --quiet)
AIRLOCK=${CARGO_TARGET_DIR:-$ROOT/target}/release/airlock
make_csrs "$ALG" "$N"
IN=$(intake "$ALG" "$N")
printf 'airlock-bench-passphrase\n' >"$WORK/pass"
chmod 600 "$WORK/pass"
case $ALG in
p256)
    "$AIRLOCK" --home "$WORK/home" --passphrase-file "$WORK/pass" \
        init --cn bench --scrypt-work-factor "$WF" >/dev/null
    ;;
rsa2048)
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/ca.key" 2>/dev/null
    openssl req -x509 -new -key "$WORK/ca.key" -subj /CN=bench-rsa -days 3650 -sha256 \
        -addext 'keyUsage=critical,keyCertSign,cRLSign' -out "$WORK/ca.crt"
    "$AIRLOCK" --home "$WORK/home" --passphrase-file "$WORK/pass" \
        import --cert "$WORK/ca.crt" --key "$WORK/ca.key" --scrypt-work-factor "$WF" >/dev/null
    ;;
*) die "ALG is p256 or rsa2048" ;;
esac

log "perf record: airlock sign of $N $ALG CSRs, scrypt work factor $WF (load: $(cut -d' ' -f1-3 /proc/loadavg))"
perf record -q -F "$FREQ" -e cpu-clock -g --call-graph dwarf,32768 -o "$WORK/perf.data" \
    "${WRAP[@]}" "$AIRLOCK" --home "$WORK/home" --passphrase-file "$WORK/pass" sign "$IN" --out "$WORK/out" \
    >/dev/null 2>"$WORK/sign.err"

echo "## airlock sign, $N $ALG CSRs, scrypt work factor $WF${WRAP:+, fsync off (eatmydata)}"
echo
perf script -i "$WORK/perf.data" -F tid,time,ip,sym 2>/dev/null |
    python3 "$ROOT/benches/perf_phases.py" --freq "$FREQ"
echo
echo "## top symbols by self time"
echo
echo '```'
perf report -i "$WORK/perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null |
    grep -E '^ +[0-9]' | sed -E 's/[ -]+$//' | awk 'NR <= 25' || true
echo '```'
echo
echo "## airlock functions by inclusive time"
echo
echo '```'
perf report -i "$WORK/perf.data" --children --sort symbol --stdio -g none 2>/dev/null |
    grep -E '^ +[0-9].*airlock::' | sed -E 's/[ -]+$//' | cut -c1-160 | awk 'NR <= 30' || true
echo '```'
