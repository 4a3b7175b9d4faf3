#!/usr/bin/env bash
# pkilint.sh: lint certificates against the RFC 5280 profile with pkilint.
#
# Usage: pkilint.sh CERT.pem...   (PEM or DER; only the first cert of a file)
#
# For each file, prints pkilint's findings of severity INFO and above
# ("Validator @ node" then "    code (SEVERITY): message"), then asks
# pkilint again with `-s ERROR`, whose exit status is the number of
# ERROR/FATAL findings (or 1 if the file is not a certificate). That keeps
# the verdict on pkilint's own severity ordering instead of parsing its text.
# Exit 0 if no file has ERROR or FATAL findings (WARNING, NOTICE and INFO are
# shown but allowed), 1 if any does, 2 on usage errors or unreadable files.
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: pkilint.sh CERT.pem..." >&2
    exit 2
fi
command -v lint_pkix_cert >/dev/null || { echo "pkilint.sh: lint_pkix_cert not on PATH" >&2; exit 2; }

status=0
for cert in "$@"; do
    if [[ ! -f "$cert" || ! -r "$cert" ]]; then
        echo "pkilint.sh: cannot read $cert" >&2
        exit 2
    fi
    echo "== $cert"
    lint_pkix_cert lint -s INFO "$cert" || true
    if lint_pkix_cert lint -s ERROR -f CSV "$cert" >/dev/null 2>&1; then
        echo "-- $cert: PASS (no ERROR/FATAL findings)"
    else
        echo "-- $cert: FAIL (ERROR/FATAL findings or unparseable)"
        status=1
    fi
done
exit "$status"
