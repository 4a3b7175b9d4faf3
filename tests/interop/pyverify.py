#!/usr/bin/env python3
"""Verify client certificates with pyca/cryptography's X.509 path validator.

Usage: python3 pyverify.py --ca BUNDLE.pem [--at RFC3339] [--webpki] CERT.pem...

An independent (Rust, RFC 5280 / CA/B-Forum based) second opinion next to
authn.go: every certificate in BUNDLE.pem is a trust anchor, the first
certificate of each CERT.pem is the leaf and any further ones are offered
as intermediates (as a TLS client would send them). The client verifier
requires the clientAuth EKU. On success it reports the identity the way
kube-apiserver derives it: user = subject CN (empty CN does not
authenticate), groups = subject O values in order, credential_id =
X509SHA256=<sha256 of leaf DER>, so its JSON lines match authn.go's.

Observed with cryptography 48: the default client policy (webpki_defaults_ee)
REQUIRES a subjectAltName extension ("invalid extension: 2.5.29.17:
Certificate is missing required extension"). Kubernetes client certs carry
their identity in the subject and need no SAN, and RFC 5280 4.2.1.6 only
requires a SAN when the subject is empty. So by default this script keeps
the WebPKI end-entity policy but relaxes exactly that one rule: a SAN may be
present (VerifiedClient.subjects is then None when absent). --webpki uses
the unmodified default policy instead. Other observations: the leaf must
carry an authorityKeyIdentifier (Go does not care); CAs with Ed25519 keys
are rejected ("Forbidden public key algorithm") while Ed25519 leaf keys are
accepted; a leaf from an unknown CA fails with the terse "candidates
exhausted: all candidates exhausted with no interior errors".

One JSON object per cert on stdout; exit 0 if all pass, 1 if any fails,
2 on usage errors or unreadable files.
"""
import argparse
import datetime
import hashlib
import json
import sys

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
)


def usage(msg):
    print(f"pyverify: {msg}", file=sys.stderr)
    sys.exit(2)


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        usage(e)


def identity(cert):
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    # Go's pkix.Name keeps the last CN if there are several.
    user = cns[-1].value if cns else ""
    if not user:
        raise ValueError("empty common name")
    groups = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    digest = hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()
    return {"user": user, "groups": groups, "credential_id": "X509SHA256=" + digest}


def main():
    p = argparse.ArgumentParser(description="cryptography client-cert verifier")
    p.add_argument("--ca", required=True, help="CA bundle (PEM)")
    p.add_argument("--at", help="verification time, RFC 3339 (default: now)")
    p.add_argument("--webpki", action="store_true",
                   help="unmodified WebPKI client policy (demands a SAN)")
    p.add_argument("certs", nargs="+", metavar="CERT.pem")
    args = p.parse_args()

    try:
        roots = x509.load_pem_x509_certificates(read(args.ca))
    except ValueError as e:
        usage(f"CA bundle {args.ca}: {e}")
    builder = PolicyBuilder().store(Store(roots))
    if args.at:
        try:
            at = datetime.datetime.fromisoformat(args.at.replace("Z", "+00:00"))
        except ValueError as e:
            usage(f"bad --at: {e}")
        if at.tzinfo is None:
            usage("bad --at: missing time zone")
        builder = builder.time(at.astimezone(datetime.timezone.utc))
    if not args.webpki:
        ee = ExtensionPolicy.webpki_defaults_ee().may_be_present(
            x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
        builder = builder.extension_policies(
            ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee)
    verifier = builder.build_client_verifier()

    status = 0
    for path in args.certs:
        data = read(path)
        try:
            leaf, *intermediates = x509.load_pem_x509_certificates(data)
            verifier.verify(leaf, intermediates)
            out = {"file": path, "ok": True, **identity(leaf)}
        except Exception as e:  # report every failure, including parse errors
            out, status = {"file": path, "ok": False, "error": str(e)}, 1
        print(json.dumps(out, ensure_ascii=False, separators=(",", ":")), flush=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
