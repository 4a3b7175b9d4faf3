# Shared by sign.sh and profile.sh: logging and the cached benchmark CSRs.
# Needs WORK (a scratch folder) set before `intake` is called.

CACHE=${AIRLOCK_BENCH_CACHE:-${TMPDIR:-/tmp}/airlock-bench-cache}
RSA_KEYS=${AIRLOCK_BENCH_RSA_KEYS:-64}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# make_csrs ALG COUNT: the cache holds csr-000001.pem .. csr-COUNT.pem, each with its
# own CN (bench-user-NNNNNN) and O=bench-team. P-256: a fresh key per CSR. RSA-2048:
# $RSA_KEYS keys used round-robin.
make_csrs() {
    local alg=$1 count=$2 dir=$CACHE/$1
    mkdir -p "$dir"
    local missing
    missing=$(for i in $(seq -f '%06g' 1 "$count"); do
        [ -s "$dir/csr-$i.pem" ] || echo "$i"
    done)
    [ -z "$missing" ] && return 0
    log "generating $(wc -w <<<"$missing") $alg CSRs in $dir (2 in parallel; cached for later runs)"
    case $alg in
    p256)
        xargs -P2 -n 250 bash -c '
            dir=$1; shift
            for i; do
                openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
                    -keyout /dev/null -subj "/O=bench-team/CN=bench-user-$i" \
                    -out "$dir/csr-$i.pem.tmp" 2>/dev/null
                mv "$dir/csr-$i.pem.tmp" "$dir/csr-$i.pem"
            done' _ "$dir" <<<"$missing"
        ;;
    rsa2048)
        mkdir -p "$dir/keys"
        seq -f '%03g' 0 $((RSA_KEYS - 1)) | xargs -P2 -n 8 bash -c '
            dir=$1; shift
            for k; do
                [ -s "$dir/keys/key-$k.pem" ] && continue
                openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
                    -out "$dir/keys/key-$k.pem.tmp" 2>/dev/null
                mv "$dir/keys/key-$k.pem.tmp" "$dir/keys/key-$k.pem"
            done' _ "$dir"
        xargs -P2 -n 250 bash -c '
            dir=$1; keys=$2; shift 2
            for i; do
                k=$(printf %03d $((10#$i % keys)))
                openssl req -new -key "$dir/keys/key-$k.pem" \
                    -subj "/O=bench-team/CN=bench-user-$i" \
                    -out "$dir/csr-$i.pem.tmp" 2>/dev/null
                mv "$dir/csr-$i.pem.tmp" "$dir/csr-$i.pem"
            done' _ "$dir" "$RSA_KEYS" <<<"$missing"
        ;;
    esac
}

# intake ALG N: a folder with the first N CSRs (hard links into the cache if possible).
intake() {
    local alg=$1 n=$2 dest=$WORK/$1/in-$2
    if [ ! -d "$dest" ]; then
        mkdir -p "$dest"
        seq -f "$CACHE/$alg/csr-%06g.pem" 1 "$n" | xargs cp -l -t "$dest" 2>/dev/null ||
            seq -f "$CACHE/$alg/csr-%06g.pem" 1 "$n" | xargs cp -t "$dest"
    fi
    printf '%s' "$dest"
}

