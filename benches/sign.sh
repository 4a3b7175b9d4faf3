#!/usr/bin/env bash
# End-to-end benchmark of `airlock sign`, side by side with OpenSSL, plus ring's floor.
#
# Usage: benches/sign.sh [N...]          (default: 1000 10000; each N at most 20000)
#
# For each algorithm (a P-256 CA signing P-256 CSRs, an RSA-2048 CA signing RSA-2048
# CSRs) and each N, in one run on the same CSRs:
#   airlock       `airlock sign` of an intake folder of N CSRs into a new OUT folder, in a
#                 fresh copy of a CA home whose key is age-encrypted at scrypt work factor
#                 18 (the default). Best of $AIRLOCK_BENCH_REPEAT runs.
#                 unlock s  = t(sign of 1 CSR) - t(review of the same CSR): the one-time
#                             age/scrypt decryption and key check (review needs no key).
#                 signing-only certs/s = (N-1) / (t_N - t_1), t_1 = sign of 1 CSR.
#                 peak RSS at WF 14: the same N-CSR run in a home at work factor 14 (16 MiB
#                 of scrypt instead of 256 MiB), i.e. what the batch itself needs.
#   airlock (fsync off): the same, under eatmydata (fsync is a no-op); diagnostic only,
#                 not a valid way to run airlock. Skipped if eatmydata is missing.
#   openssl ca    `openssl ca -batch -infiles <N CSRs>`, one process, plaintext CA key,
#                 rand_serial, the same client profile; signing-only as above.
#   openssl x509  a loop of `openssl x509 -req` (one process per CSR) over the first
#                 min(N, $AIRLOCK_BENCH_X509_SAMPLE) CSRs, scaled to certs/s.
#   ring floor    benches/floor: ring alone doing 1 CSR verify + 1 CA signature + 1
#                 parse-back verify per certificate on 1 and 2 threads.
#
# The P-256 CA of airlock is made by `airlock init`; OpenSSL, which cannot read airlock's
# age-encrypted key, uses an OpenSSL-made P-256 CA (same curve and hash, same cost). The
# RSA-2048 CA is made by OpenSSL and imported into airlock, so both use the same key.
#
# Environment:
#   AIRLOCK_BENCH_CACHE        CSRs and keys, kept across runs
#                              (default ${TMPDIR:-/tmp}/airlock-bench-cache)
#   AIRLOCK_BENCH_REPEAT       runs per timed airlock / openssl ca measurement (default 3)
#   AIRLOCK_BENCH_X509_SAMPLE  CSRs in the openssl x509 loop (default 1000)
#   AIRLOCK_BENCH_RSA_KEYS     distinct RSA-2048 subject keys, reused round-robin under
#                              distinct CNs (default 64; RSA key generation is slow)
#   AIRLOCK_BENCH_ALGS         algorithms to run (default "p256 rsa2048")
#   AIRLOCK_BENCH_KEEP=1       keep the work folder (homes, outputs, logs)
#
# Prints the environment, progress on stderr and a Markdown table on stdout at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPEAT=${AIRLOCK_BENCH_REPEAT:-3}
X509_SAMPLE=${AIRLOCK_BENCH_X509_SAMPLE:-1000}
ALGS=${AIRLOCK_BENCH_ALGS:-p256 rsa2048}
PASSPHRASE='airlock-bench-passphrase'

SIZES=("$@")
if [ ${#SIZES[@]} -eq 0 ]; then
    SIZES=(1000 10000)
fi
MAX=0
for n in "${SIZES[@]}"; do
    if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 2 ] || [ "$n" -gt 20000 ]; then
        echo "usage: $0 [N...]   (each N from 2 to 20000; airlock reads at most 20000 files)" >&2
        exit 2
    fi
    [ "$n" -gt "$MAX" ] && MAX=$n
done

# shellcheck source=benches/lib.sh
. "$ROOT/benches/lib.sh"

for tool in openssl cargo awk; do
    command -v "$tool" >/dev/null || die "$tool is needed"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is needed (apt-get install -y time)"
EATMYDATA=$(command -v eatmydata || true)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/airlock-bench.XXXXXX")
if [ "${AIRLOCK_BENCH_KEEP:-0}" = 1 ]; then
    log "work folder kept: $WORK"
else
    trap 'rm -rf "$WORK"' EXIT
fi
printf '%s\n' "$PASSPHRASE" >"$WORK/pass"
chmod 600 "$WORK/pass"
RESULTS=$WORK/results.tsv
: >"$RESULTS"

# ---------------------------------------------------------------------------- build

log "building airlock (cargo build --release --locked)"
(cd "$ROOT" && cargo build --release --locked --quiet)
AIRLOCK=${CARGO_TARGET_DIR:-$ROOT/target}/release/airlock
[ -x "$AIRLOCK" ] || die "no binary at $AIRLOCK"
log "building the ring floor (benches/floor)"
cargo build --release --locked --quiet --manifest-path "$ROOT/benches/floor/Cargo.toml"
FLOOR=${CARGO_TARGET_DIR:-$ROOT/benches/floor/target}/release/airlock-floor

# ---------------------------------------------------------------------------- timing

# timed OUT_PREFIX CMD...: runs CMD under /usr/bin/time -v; sets T (wall seconds, from
# the shell's microsecond clock) and RSS_KB (peak resident set of the process tree).
timed() {
    local prefix=$1
    shift
    local start end status=0
    start=$EPOCHREALTIME
    /usr/bin/time -v -o "$prefix.time" "$@" >"$prefix.out" 2>"$prefix.err" || status=$?
    end=$EPOCHREALTIME
    if [ "$status" -ne 0 ]; then
        tail -n 20 "$prefix.err" >&2
        die "exit status $status from: $*"
    fi
    T=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
    RSS_KB=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$prefix.time")
    CPU=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$prefix.time")
}

# best-of helpers: BEST_T = smallest T (BEST_CPU: that run's CPU time), BEST_RSS =
# largest RSS over the runs.
best_reset() { BEST_T=; BEST_CPU=; BEST_RSS=0; ALL_T=; }
best_add() {
    ALL_T=${ALL_T:+$ALL_T/}$(awk -v t="$T" 'BEGIN { printf "%.1f", t }')
    if [ -z "$BEST_T" ] || awk -v a="$T" -v b="$BEST_T" 'BEGIN { exit !(a < b) }'; then
        BEST_T=$T
        BEST_CPU=$CPU
    fi
    [ "$RSS_KB" -gt "$BEST_RSS" ] && BEST_RSS=$RSS_KB
    return 0
}

# record TOOL ALG N WALL CPU E2E SIGNING UNLOCK RSS_MIB RSS14_MIB NOTE
record() {
    local IFS=$'\t'
    printf '%s\n' "$*" >>"$RESULTS"
}

rate() { awk -v n="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.0f", n / t; else print "n/a" }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

# ---------------------------------------------------------------------------- inputs

# openssl_ca_material DIR ALG CN: a self-signed CA (key.pem, ca.crt) made by OpenSSL.
openssl_ca_material() {
    local dir=$1 alg=$2 cn=$3
    mkdir -p "$dir"
    case $alg in
    p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/key.pem" 2>/dev/null ;;
    rsa2048) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/key.pem" 2>/dev/null ;;
    esac
    cat >"$dir/req.cnf" <<EOF
[req]
distinguished_name = dn
x509_extensions = v3_ca
prompt = no
[dn]
CN = $cn
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
EOF
    openssl req -x509 -new -config "$dir/req.cnf" -key "$dir/key.pem" -days 3650 -sha256 \
        -out "$dir/ca.crt"
}

# client_ext ALG: the OpenSSL extension section matching airlock's issuance profile.
client_ext() {
    local usage=digitalSignature
    [ "$1" = rsa2048 ] && usage=digitalSignature,keyEncipherment
    cat <<EOF
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,$usage
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
}

# ---------------------------------------------------------------------------- measurements

# fresh_home TEMPLATE: a copy of a CA home to sign in; prints its path.
RUN=0
fresh_home() {
    RUN=$((RUN + 1))
    local home=$WORK/run-$RUN
    cp -a "$1" "$home.home"
    printf '%s' "$home"
}

# airlock_sign TEMPLATE INTAKE [WRAPPER]: one timed `airlock sign` in a fresh home copy.
airlock_sign() {
    local run
    run=$(fresh_home "$1")
    timed "$run" ${3:+"$3"} "$AIRLOCK" --home "$run.home" --passphrase-file "$WORK/pass" \
        sign "$2" --out "$run.outdir"
    local expected made
    expected=$(find "$2" -maxdepth 1 -type f | wc -l)
    made=$(find "$run.outdir" -maxdepth 1 -name '*.crt' | wc -l)
    [ "$made" -eq "$expected" ] || die "airlock wrote $made certificates for $expected CSRs ($run)"
    # Sanity: the first certificate chains to the CA, for client authentication.
    local first ca_crt
    first=$(find "$run.outdir" -maxdepth 1 -name '*.crt' | sort | sed -n 1p)
    ca_crt=$(find "$run.home/cas" -name ca.crt | sed -n 1p)
    openssl verify -CAfile "$ca_crt" -purpose sslclient "$first" >/dev/null ||
        die "airlock's certificate $first does not verify against $ca_crt"
    [ "${AIRLOCK_BENCH_KEEP:-0}" = 1 ] || rm -rf "$run.home" "$run.outdir"
}

airlock_review() {
    local run
    run=$(fresh_home "$1")
    timed "$run" "$AIRLOCK" --home "$run.home" review "$2"
    rm -rf "$run.home"
}

# openssl_ca CADIR ALG INTAKE: one timed `openssl ca -batch -infiles`, fresh database.
openssl_ca() {
    local ca=$1 alg=$2 in=$3
    RUN=$((RUN + 1))
    local db=$WORK/run-$RUN.ossl
    mkdir -p "$db/newcerts"
    : >"$db/index.txt"
    cat >"$db/ca.cnf" <<EOF
[ca]
default_ca = bench
[bench]
database = $db/index.txt
new_certs_dir = $db/newcerts
certificate = $ca/ca.crt
private_key = $ca/key.pem
rand_serial = yes
default_md = sha256
default_days = 90
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no
preserve = yes
x509_extensions = client_ext
[policy_any]
organizationName = optional
commonName = supplied
$(client_ext "$alg")
EOF
    local files
    mapfile -t files < <(cd "$in" && ls)
    timed "$db/run" bash -c 'cd "$1" && shift && exec "$@"' _ "$in" \
        openssl ca -batch -config "$db/ca.cnf" -notext -out "$db/certs.pem" -infiles "${files[@]}"
    local made
    made=$(find "$db/newcerts" -type f | wc -l)
    [ "$made" -eq "${#files[@]}" ] || die "openssl ca wrote $made certificates for ${#files[@]} CSRs"
    [ "${AIRLOCK_BENCH_KEEP:-0}" = 1 ] || rm -rf "$db"
}

# openssl_x509_loop CADIR ALG INTAKE COUNT: one process per CSR.
openssl_x509_loop() {
    local ca=$1 alg=$2 in=$3 count=$4
    RUN=$((RUN + 1))
    local dir=$WORK/run-$RUN.x509
    mkdir -p "$dir/out"
    client_ext "$alg" >"$dir/ext.cnf"
    (cd "$in" && ls | awk -v c="$count" 'NR <= c') >"$dir/list"
    timed "$dir/run" bash -c '
        in=$1 dir=$2 ca=$3
        while read -r f; do
            openssl x509 -req -in "$in/$f" -CA "$ca/ca.crt" -CAkey "$ca/key.pem" -days 90 \
                -sha256 -extfile "$dir/ext.cnf" -extensions client_ext -out "$dir/out/$f.crt" 2>/dev/null
        done <"$dir/list"' _ "$in" "$dir" "$ca"
    local made
    made=$(find "$dir/out" -type f | wc -l)
    [ "$made" -eq "$count" ] || die "openssl x509 wrote $made certificates for $count CSRs"
    [ "${AIRLOCK_BENCH_KEEP:-0}" = 1 ] || rm -rf "$dir"
}

bench_alg() {
    local alg=$1
    local dir=$WORK/$alg
    mkdir -p "$dir"
    make_csrs "$alg" "$MAX"

    # CA homes at work factor 18 (measured) and 14 (peak RSS without scrypt's 256 MiB).
    log "$alg: making the CAs"
    openssl_ca_material "$dir/ossl-ca" "$alg" "bench-$alg-openssl"
    for wf in 18 14; do
        case $alg in
        p256)
            "$AIRLOCK" --home "$dir/home-wf$wf" --passphrase-file "$WORK/pass" \
                init --cn bench --scrypt-work-factor "$wf" >/dev/null
            ;;
        rsa2048)
            "$AIRLOCK" --home "$dir/home-wf$wf" --passphrase-file "$WORK/pass" \
                import --cert "$dir/ossl-ca/ca.crt" --key "$dir/ossl-ca/key.pem" \
                --scrypt-work-factor "$wf" >/dev/null
            ;;
        esac
    done
    local one
    one=$(intake "$alg" 1)

    log "$alg: review and sign of 1 CSR (fixed cost and unlock), best of $REPEAT"
    best_reset
    for _ in $(seq "$REPEAT"); do airlock_review "$dir/home-wf18" "$one"; best_add; done
    local t_review1=$BEST_T
    best_reset
    for _ in $(seq "$REPEAT"); do airlock_sign "$dir/home-wf18" "$one"; best_add; done
    local t_sign1=$BEST_T
    local unlock
    unlock=$(awk -v a="$t_sign1" -v b="$t_review1" 'BEGIN { printf "%.2f", a - b }')
    local t_nofsync1=
    if [ -n "$EATMYDATA" ]; then
        best_reset
        for _ in $(seq "$REPEAT"); do airlock_sign "$dir/home-wf18" "$one" "$EATMYDATA"; best_add; done
        t_nofsync1=$BEST_T
    fi
    best_reset
    for _ in $(seq "$REPEAT"); do openssl_ca "$dir/ossl-ca" "$alg" "$one"; best_add; done
    local t_ca1=$BEST_T

    for n in "${SIZES[@]}"; do
        local in
        in=$(intake "$alg" "$n")

        log "$alg N=$n: airlock sign, best of $REPEAT (load: $(cut -d' ' -f1-3 /proc/loadavg))"
        best_reset
        for _ in $(seq "$REPEAT"); do airlock_sign "$dir/home-wf18" "$in"; best_add; done
        local t_n=$BEST_T cpu_n=$BEST_CPU rss_n=$BEST_RSS all_n=$ALL_T
        log "$alg N=$n: airlock sign at work factor 14 (peak RSS without scrypt)"
        airlock_sign "$dir/home-wf14" "$in"
        local rss14=$RSS_KB
        record airlock "$alg" "$n" "$t_n" "$cpu_n" "$(rate "$n" "$t_n")" \
            "$(rate $((n - 1)) "$(awk -v a="$t_n" -v b="$t_sign1" 'BEGIN { print a - b }')")" \
            "$unlock" "$(mib "$rss_n")" "$(mib "$rss14")" "scrypt WF 18; best of $REPEAT runs: $all_n s"

        if [ -n "$EATMYDATA" ]; then
            log "$alg N=$n: airlock sign with fsync made a no-op (eatmydata), best of $REPEAT"
            best_reset
            for _ in $(seq "$REPEAT"); do airlock_sign "$dir/home-wf18" "$in" "$EATMYDATA"; best_add; done
            record "airlock, fsync off (diagnostic)" "$alg" "$n" "$BEST_T" "$BEST_CPU" "$(rate "$n" "$BEST_T")" \
                "$(rate $((n - 1)) "$(awk -v a="$BEST_T" -v b="$t_nofsync1" 'BEGIN { print a - b }')")" \
                "$unlock" "$(mib "$BEST_RSS")" "-" "eatmydata, not a valid way to run airlock; runs: $ALL_T s"
        fi

        log "$alg N=$n: openssl ca -batch -infiles, best of $REPEAT"
        best_reset
        for _ in $(seq "$REPEAT"); do openssl_ca "$dir/ossl-ca" "$alg" "$in"; best_add; done
        record "openssl ca -infiles" "$alg" "$n" "$BEST_T" "$BEST_CPU" "$(rate "$n" "$BEST_T")" \
            "$(rate $((n - 1)) "$(awk -v a="$BEST_T" -v b="$t_ca1" 'BEGIN { print a - b }')")" \
            "-" "$(mib "$BEST_RSS")" "-" "plaintext key, no fsync; runs: $ALL_T s"

        local sample=$((n < X509_SAMPLE ? n : X509_SAMPLE))
        log "$alg N=$n: openssl x509 -req loop over $sample CSRs"
        openssl_x509_loop "$dir/ossl-ca" "$alg" "$in" "$sample"
        local note="one process per CSR"
        [ "$sample" -lt "$n" ] && note="first $sample of $n CSRs, scaled; one process per CSR"
        record "openssl x509 -req loop" "$alg" "$n" \
            "$(awk -v t="$T" -v s="$sample" -v n="$n" 'BEGIN { printf "%.3f", t * n / s }')" \
            "$(awk -v t="$CPU" -v s="$sample" -v n="$n" 'BEGIN { printf "%.2f", t * n / s }')" \
            "$(rate "$sample" "$T")" "-" "-" "$(mib "$RSS_KB")" "-" "$note"
    done
}

# ---------------------------------------------------------------------------- run

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "tree: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" \
        "($(git -C "$ROOT" status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null | wc -l) changed files in src/ and Cargo.*)"
    echo "airlock: $("$AIRLOCK" --version)"
    echo "openssl: $(openssl version)"
    echo "cpu: $(nproc) x $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
    echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "work folder file system: $(df -T "$WORK" | awk 'NR == 2 { print $2 " on " $1 }')"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$WORK/env.txt" >&2

for alg in $ALGS; do
    bench_alg "$alg"
done

log "ring floor (benches/floor), load: $(cut -d' ' -f1-3 /proc/loadavg)"
FLOOR_ARGS=()
if [[ " $ALGS " == *" rsa2048 "* ]]; then
    openssl pkcs8 -topk8 -nocrypt -in "$WORK/rsa2048/ossl-ca/key.pem" -outform DER -out "$WORK/rsa-ca.der"
    openssl pkcs8 -topk8 -nocrypt -in "$CACHE/rsa2048/keys/key-000.pem" -outform DER -out "$WORK/rsa-sub.der"
    FLOOR_ARGS=(--rsa-ca-pkcs8 "$WORK/rsa-ca.der" --rsa-subject-pkcs8 "$WORK/rsa-sub.der")
else
    FLOOR_ARGS=(--rsa-certs 0)
fi
[[ " $ALGS " == *" p256 "* ]] || FLOOR_ARGS+=(--p256-certs 0)
"$FLOOR" "${FLOOR_ARGS[@]}" | tee "$WORK/floor.txt" >&2
awk '$1 == "floor" {
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        printf "ring floor, %s thread%s\t%s\t-\t-\t-\t%s\t%s\t-\t-\t-\t1 CSR verify + 1 CA signature + 1 verify; best of 3\n",
            v["threads"], (v["threads"] == 1 ? "" : "s"), v["alg"], v["certs_per_s"], v["certs_per_s"]
    }' "$WORK/floor.txt" >>"$RESULTS"
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average at end: $LOAD_END"

# ---------------------------------------------------------------------------- report

echo
cat "$WORK/env.txt"
echo "load average at end: $LOAD_END"
echo
echo "| tool | keys | N | wall s | CPU s | certs/s end to end | certs/s signing only | unlock s | peak RSS MiB | peak RSS MiB at WF 14 | note |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
awk -F'\t' '{
        alg = ($2 == "p256" ? "P-256" : ($2 == "rsa2048" ? "RSA-2048" : $2))
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, alg, $3, $4, $5, $6, $7, $8, $9, $10, $11
    }' "$RESULTS"
echo
grep '^op ' "$WORK/floor.txt" | sed 's/^/ring per operation, 1 thread: /' || true

# The bar: airlock end to end for the largest N of P-256 at least 2x openssl ca.
awk -F'\t' -v n="$MAX" '
    $2 == "p256" && $3 == n && $1 == "airlock" { a = $6; s = $7; r = $9; r14 = $10 }
    $2 == "p256" && $3 == n && $1 == "openssl ca -infiles" { o = $6 }
    END {
        if (a == "" || o == "") exit
        printf "\nbar (P-256, N=%d): airlock %s certs/s end to end vs openssl ca %s: %.2fx (need 2x): %s\n",
            n, a, o, a / o, (a >= 2 * o ? "MET" : "NOT MET")
        printf "aim: signing only %s certs/s (aim 8000): %s\n", s, (s >= 8000 ? "MET" : "NOT MET")
        printf "aim: peak RSS %s MiB for %d CSRs (aim < 100): %s; %s MiB at scrypt WF 14\n", r, n, (r < 100 ? "MET" : "NOT MET"), r14
    }' "$RESULTS"
