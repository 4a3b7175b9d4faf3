//! Interop proof: what airlock signs is accepted by independent verifiers, with exactly
//! the identity the CSR asked for.
//!
//! One mixed batch (RSA-2048, RSA-3072, P-256, P-384 and Ed25519 CSRs made by openssl,
//! several O values in a deliberate non-sorted order, a UTF-8 CN and O) is signed by CAs
//! of every algorithm airlock can create, then checked by:
//!
//! - `openssl verify -purpose sslclient` (always run, in [`openssl_sees_the_profile`],
//!   together with the subject, serial, validity and extension checks);
//! - `tests/interop/authn.go`, which mirrors kube-apiserver's x509 authenticator: user,
//!   groups (in order) and credential id must be exactly what the CSR asked for;
//! - `tests/interop/pyverify.py`, pyca/cryptography's path validator, the same identity;
//! - `tests/interop/pkilint.sh`, RFC 5280 lint, on every certificate and on the CAs.
//!
//! A negative control shows the tools do fail: a certificate from another home's CA
//! (with the same issuer name) is rejected, as is one checked outside its validity, and
//! pkilint fails a certificate with a zero serial.
//!
//! The Go, Python and pkilint tests are `#[ignore]`d (see `main.rs`); a missing tool
//! fails them rather than skipping.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::support::{airlock, ca_cert, init_home, openssl, openssl_csr, require_tool};

/// The repository root: `tests/interop/*` are found from here.
const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// One CSR of the mixed batch: how openssl makes its key, the subject asked for, and the
/// identity Kubernetes must derive from the certificate.
struct Request {
    name: &'static str,
    key_args: &'static [&'static str],
    subject: &'static str,
    user: &'static str,
    groups: &'static [&'static str],
    rsa: bool,
}

const MIXED_BATCH: &[Request] = &[
    Request {
        name: "rsa2048",
        key_args: &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        subject: "/O=dev/O=ops/CN=alice",
        user: "alice",
        groups: &["dev", "ops"],
        rsa: true,
    },
    Request {
        name: "rsa3072",
        key_args: &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
        // Not alphabetical: the order must survive as asked, not be sorted.
        subject: "/O=ops/O=dev/O=audit/CN=bob",
        user: "bob",
        groups: &["ops", "dev", "audit"],
        rsa: true,
    },
    Request {
        name: "p256",
        key_args: &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        subject: "/O=dev/CN=carol",
        user: "carol",
        groups: &["dev"],
        rsa: false,
    },
    Request {
        name: "p384",
        key_args: &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        // No O at all: Kubernetes sees no groups (beyond system:authenticated).
        subject: "/CN=dave",
        user: "dave",
        groups: &[],
        rsa: false,
    },
    Request {
        name: "ed25519",
        key_args: &["-algorithm", "ED25519"],
        subject: "/O=team:platform/O=dev/CN=erin",
        user: "erin",
        groups: &["team:platform", "dev"],
        rsa: false,
    },
    Request {
        name: "utf8",
        key_args: &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        subject: "/O=équipe/CN=zoë",
        user: "zoë",
        groups: &["équipe"],
        rsa: false,
    },
];

// ---------------------------------------------------------------------------------------
// Always run: openssl only.
// ---------------------------------------------------------------------------------------

/// The mixed batch signed by a P-256 CA, read back with openssl alone.
#[test]
fn openssl_sees_the_profile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let ca = ca_cert(&home);
    let ca_ski = extensions(&ca)
        .into_iter()
        .find(|ext| ext.name == "X509v3 Subject Key Identifier")
        .map(|ext| ext.value)
        .expect("the CA certificate has a subject key identifier");
    let intake = make_batch(dir.path());

    let before = OffsetDateTime::now_utc();
    let certs = sign(&home, &pass, &intake, &dir.path().join("out"));
    let after = OffsetDateTime::now_utc();
    assert_whole_batch(&certs);

    for cert in &certs {
        let request = request_for(cert);
        check_purpose(&ca, cert);
        check_subject(cert, request);
        check_serial(cert, dir.path());
        check_not_before(cert, before, after);
        check_extensions(cert, request, &ca_ski);
    }
}

/// `openssl verify`: a client certificate, and not a server one.
fn check_purpose(ca: &Path, cert: &Path) {
    let shown = cert.display();
    let (ok, text) = openssl_verify(ca, cert, "sslclient", false);
    assert!(
        ok && text.trim() == format!("{shown}: OK"),
        "{shown}: openssl verify -purpose sslclient: {text}"
    );
    let (ok, text) = openssl_verify(ca, cert, "sslserver", false);
    assert!(
        !ok,
        "{shown}: openssl verify -purpose sslserver accepted a client certificate: {text}"
    );
    assert!(
        text.contains("unsuitable certificate purpose"),
        "{shown}: sslserver failed for another reason: {text}"
    );
}

/// The subject: the O values in the order asked, then the CN, UTF-8 intact.
fn check_subject(cert: &Path, request: &Request) {
    let shown = cert.display();
    let mut expected: Vec<(String, String)> = request
        .groups
        .iter()
        .map(|group| ("O".to_owned(), (*group).to_owned()))
        .collect();
    expected.push(("CN".to_owned(), request.user.to_owned()));
    let rfc2253 = subject(cert, "RFC2253,-esc_msb");
    let mut forward = split_name(&rfc2253, ',');
    forward.reverse(); // RFC 2253 lists the last RDN first.
    assert_eq!(
        forward, expected,
        "{shown}: subject (RFC2253,-esc_msb) is '{rfc2253}'"
    );
    let utf8 = subject(cert, "utf8");
    assert_eq!(
        split_name(&utf8, ','),
        expected,
        "{shown}: subject (utf8) is '{utf8}'"
    );
}

/// The serial: a positive, minimally encoded INTEGER of 16 random octets (17 with the
/// sign octet), and the same number `openssl x509 -serial` prints.
fn check_serial(cert: &Path, scratch: &Path) {
    let shown = cert.display();
    let der = der_of(cert, scratch);
    let serial = serial_content(cert, &der);
    let octets = serial.len();
    assert!(
        octets == 16 || octets == 17,
        "{shown}: serial has {octets} octets"
    );
    assert!(serial[0] & 0x80 == 0, "{shown}: serial is negative");
    if octets == 17 {
        assert!(
            serial[0] == 0 && serial[1] & 0x80 != 0,
            "{shown}: serial is not minimal DER"
        );
    } else {
        assert!(serial[0] != 0, "{shown}: serial is not minimal DER");
    }
    let printed = openssl(&["x509", "-in", path_str(cert), "-noout", "-serial"]);
    let significant = if octets == 17 {
        &serial[1..]
    } else {
        &serial[..]
    };
    assert_eq!(
        printed.trim(),
        format!("serial={}", hex(significant).to_uppercase()),
        "{shown}: serial"
    );
}

/// notBefore: five minutes before the signing, in whole seconds.
fn check_not_before(cert: &Path, before: OffsetDateTime, after: OffsetDateTime) {
    let not_before = not_before(cert);
    let earliest =
        before.replace_nanosecond(0).expect("whole seconds") - time::Duration::minutes(5);
    let latest = after - time::Duration::minutes(5);
    assert!(
        earliest <= not_before && not_before <= latest,
        "{}: notBefore {not_before} is not 5 minutes before the signing ({before} .. {after})",
        cert.display()
    );
}

/// basicConstraints critical CA:FALSE; keyUsage critical digitalSignature (and
/// keyEncipherment for RSA keys only); extKeyUsage clientAuth alone; an SKI of its own;
/// the AKI equal to the CA's SKI.
fn check_extensions(cert: &Path, request: &Request, ca_ski: &str) {
    let shown = cert.display();
    let exts = extensions(cert);
    let find = |name: &str| {
        assert!(
            exts.iter().any(|ext| ext.name == name),
            "{shown}: no {name} in {exts:?}"
        );
        exts.iter()
            .find(|ext| ext.name == name)
            .expect("checked above")
    };
    let basic = find("X509v3 Basic Constraints");
    assert!(
        basic.critical && basic.value == "CA:FALSE",
        "{shown}: {basic:?}"
    );
    let key_usage = find("X509v3 Key Usage");
    let usage = if request.rsa {
        "Digital Signature, Key Encipherment"
    } else {
        "Digital Signature"
    };
    assert!(
        key_usage.critical && key_usage.value == usage,
        "{shown}: {key_usage:?}, expected '{usage}'"
    );
    let eku = find("X509v3 Extended Key Usage");
    assert_eq!(
        eku.value, "TLS Web Client Authentication",
        "{shown}: {eku:?}"
    );
    let ski = find("X509v3 Subject Key Identifier");
    assert!(
        !ski.value.is_empty() && ski.value != ca_ski,
        "{shown}: {ski:?}"
    );
    let aki = find("X509v3 Authority Key Identifier");
    // OpenSSL 1.1 prints "keyid:AB:CD..", 3.x prints "AB:CD..".
    assert_eq!(
        aki.value.trim_start_matches("keyid:"),
        ca_ski,
        "{shown}: AKI is not the CA's SKI"
    );
}

// ---------------------------------------------------------------------------------------
// Interop: Go (kube-apiserver's authenticator), Python cryptography, pkilint.
// ---------------------------------------------------------------------------------------

/// A P-256 CA: openssl, Go, Python and pkilint all accept the batch.
#[test]
#[ignore = "interop: needs go, python3 cryptography, pkilint (AIRLOCK_INTEROP=1 cargo test -- --include-ignored)"]
fn ecdsa_p256_ca_batch_authenticates_everywhere() {
    interop_case("ecdsa-p256", &Python::Accepts);
}

/// A P-384 CA: openssl, Go, Python and pkilint all accept the batch.
#[test]
#[ignore = "interop: needs go, python3 cryptography, pkilint (AIRLOCK_INTEROP=1 cargo test -- --include-ignored)"]
fn ecdsa_p384_ca_batch_authenticates_everywhere() {
    interop_case("ecdsa-p384", &Python::Accepts);
}

/// An Ed25519 CA: openssl, Go (hence Kubernetes) and pkilint accept the batch. pyca/
/// cryptography's verifier refuses Ed25519 *CA* keys by design (its WebPKI-derived policy
/// allows only RSA and ECDSA issuers), so Python is asserted to refuse it for exactly that
/// reason, not skipped; Ed25519 *leaf* keys are accepted under the ECDSA CAs above.
#[test]
#[ignore = "interop: needs go, python3 cryptography, pkilint (AIRLOCK_INTEROP=1 cargo test -- --include-ignored)"]
fn ed25519_ca_batch_authenticates_in_go_and_lints_clean() {
    interop_case("ed25519", &Python::RefusesEd25519Ca);
}

/// Negative controls: the verifiers demonstrably fail. The same CSR is signed by three
/// homes whose CAs all carry the subject `CN=test-ca`, so only the key differs.
#[test]
#[ignore = "interop: needs go, python3 cryptography, pkilint (AIRLOCK_INTEROP=1 cargo test -- --include-ignored)"]
fn foreign_ca_and_bad_certificates_are_rejected() {
    require_tools();
    let dir = tempfile::tempdir().expect("tempdir");
    let authn = build_authn(dir.path());
    let keys = dir.path().join("keys");
    let intake = dir.path().join("intake");
    std::fs::create_dir_all(&keys).expect("keys folder");
    std::fs::create_dir_all(&intake).expect("intake folder");
    let csr = openssl_csr(
        &keys,
        "mallory",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "/O=dev/CN=mallory",
    );
    std::fs::copy(&csr, intake.join("mallory.csr")).expect("copy CSR");

    let mut homes = Vec::new();
    for algo in ["ecdsa-p256", "ecdsa-p384", "ed25519"] {
        let base = dir.path().join(algo);
        std::fs::create_dir_all(&base).expect("home parent");
        let (home, pass) = init_home(&base, algo);
        let certs = sign(&home, &pass, &intake, &base.join("out"));
        assert_eq!(certs.len(), 1, "one certificate from {algo}");
        homes.push((algo, ca_cert(&home), certs[0].clone()));
    }
    let (_, ca_a, cert_a) = &homes[0];

    // Positive control: the tools accept the first home's own certificate.
    let go = go_authn(&authn, ca_a, std::slice::from_ref(cert_a), None);
    assert!(
        go.code == Some(0) && go.lines.len() == 1 && go.lines[0]["ok"] == true,
        "Go: {go:?}"
    );
    let py = pyverify(ca_a, std::slice::from_ref(cert_a), None);
    assert!(
        py.code == Some(0) && py.lines.len() == 1 && py.lines[0]["ok"] == true,
        "Python: {py:?}"
    );

    // A certificate from another home's CA, same issuer name, is rejected by all three.
    for (algo, _, foreign) in &homes[1..] {
        let (ok, text) = openssl_verify(ca_a, foreign, "sslclient", false);
        assert!(
            !ok,
            "openssl accepted a certificate of the {algo} home against the P-256 CA: {text}"
        );
        let go = go_authn(&authn, ca_a, &[cert_a.clone(), foreign.clone()], None);
        assert_eq!(go.code, Some(1), "Go: {go:?}");
        assert!(
            go.lines.len() == 2 && go.lines[0]["ok"] == true,
            "Go, own certificate: {go:?}"
        );
        assert_rejected("Go", &go.lines[1], "signed by unknown authority", foreign);
        let py = pyverify(ca_a, std::slice::from_ref(foreign), None);
        assert_eq!(py.code, Some(1), "Python: {py:?}");
        assert_rejected("Python", &py.lines[0], "candidates exhausted", foreign);
    }

    let (_, ca_b, cert_b) = &homes[1];
    check_bundle(
        &authn,
        dir.path(),
        [ca_a, ca_b.as_path()],
        [cert_a, cert_b.as_path()],
    );
    check_validity_window(&authn, ca_a, cert_a);
    check_pkilint_fails(dir.path(), &keys.join("mallory.key"));
}

/// A bundle of two CAs (as --client-ca-file holds during a rotation) accepts both
/// homes' certificates.
fn check_bundle(authn: &Path, dir: &Path, cas: [&Path; 2], certs: [&Path; 2]) {
    let [ca_a, ca_b] = cas;
    let [cert_a, cert_b] = certs;
    let bundle = dir.join("bundle.pem");
    let mut bytes = std::fs::read(ca_a).expect("read CA");
    bytes.extend(std::fs::read(ca_b).expect("read CA"));
    std::fs::write(&bundle, bytes).expect("write bundle");
    let both = [cert_a.to_path_buf(), cert_b.to_path_buf()];
    let go = go_authn(authn, &bundle, &both, None);
    assert!(
        go.code == Some(0) && go.lines.iter().all(|line| line["ok"] == true),
        "Go with a bundle: {go:?}"
    );
    let py = pyverify(&bundle, &both, None);
    assert!(
        py.code == Some(0) && py.lines.iter().all(|line| line["ok"] == true),
        "Python with a bundle: {py:?}"
    );
}

/// Outside the validity period, before notBefore and after notAfter, Go and Python
/// refuse the certificate.
fn check_validity_window(authn: &Path, ca: &Path, cert: &Path) {
    let certs = [cert.to_path_buf()];
    for at in ["2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z"] {
        let go = go_authn(authn, ca, &certs, Some(at));
        assert_eq!(go.code, Some(1), "Go at {at}: {go:?}");
        assert_rejected("Go", &go.lines[0], "expired or is not yet valid", cert);
        let py = pyverify(ca, &certs, Some(at));
        assert_eq!(py.code, Some(1), "Python at {at}: {py:?}");
        assert_rejected("Python", &py.lines[0], "not valid at validation time", cert);
    }
}

/// pkilint fails what RFC 5280 forbids: a CA certificate with serial 0 and no keyUsage.
fn check_pkilint_fails(dir: &Path, key: &Path) {
    let bad = dir.join("serial-zero.crt");
    openssl(&[
        "req",
        "-x509",
        "-key",
        path_str(key),
        "-subj",
        "/CN=bad",
        "-set_serial",
        "0",
        "-days",
        "1",
        "-out",
        path_str(&bad),
    ]);
    let lint = pkilint(std::slice::from_ref(&bad));
    let text = String::from_utf8_lossy(&lint.stdout);
    assert_eq!(
        lint.status.code(),
        Some(1),
        "pkilint passed a zero serial: {text}"
    );
    assert!(
        text.contains(&format!("-- {}: FAIL", bad.display())),
        "pkilint: {text}"
    );
    assert!(
        text.contains("(ERROR)"),
        "pkilint reported no ERROR finding: {text}"
    );
}

/// What pyca/cryptography is expected to make of a CA's batch.
enum Python {
    /// Every certificate verifies, with the requested identity.
    Accepts,
    /// Every certificate is refused because the CA key is Ed25519 (a documented choice
    /// of cryptography's verifier, see `pyverify.py`).
    RefusesEd25519Ca,
}

fn interop_case(algo: &str, python: &Python) {
    require_tools();
    let dir = tempfile::tempdir().expect("tempdir");
    let (home, pass) = init_home(dir.path(), algo);
    let ca = ca_cert(&home);

    // The CA certificate itself: self-verifies and lints clean.
    let (ok, text) = openssl_verify(&ca, &ca, "any", true);
    assert!(ok, "{algo} CA does not self-verify: {text}");
    assert_lints_clean(std::slice::from_ref(&ca));

    let intake = make_batch(dir.path());
    let certs = sign(&home, &pass, &intake, &dir.path().join("out"));
    assert_whole_batch(&certs);

    for cert in &certs {
        for strict in [false, true] {
            let (ok, text) = openssl_verify(&ca, cert, "sslclient", strict);
            assert!(
                ok && text.trim() == format!("{}: OK", cert.display()),
                "{algo} CA, {}, strict {strict}: {text}",
                cert.display()
            );
        }
    }

    let scratch = dir.path().join("der");
    std::fs::create_dir_all(&scratch).expect("scratch folder");
    let authn = build_authn(dir.path());
    let go = go_authn(&authn, &ca, &certs, None);
    assert_identities(
        &format!("Go authenticator ({algo} CA)"),
        &go,
        &certs,
        &scratch,
    );

    let py = pyverify(&ca, &certs, None);
    match python {
        Python::Accepts => {
            assert_identities(
                &format!("Python cryptography ({algo} CA)"),
                &py,
                &certs,
                &scratch,
            );
            assert_eq!(py.lines, go.lines, "Go and Python disagree ({algo} CA)");
        }
        Python::RefusesEd25519Ca => {
            assert_eq!(py.code, Some(1), "Python: {py:?}");
            assert_eq!(py.lines.len(), certs.len(), "Python: {py:?}");
            for (line, cert) in py.lines.iter().zip(&certs) {
                assert_rejected("Python", line, "Forbidden public key algorithm", cert);
            }
        }
    }

    assert_lints_clean(&certs);
}

// ---------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------

fn require_tools() {
    require_tool("go");
    require_tool("python3");
    require_tool("lint_pkix_cert");
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Keys and CSRs of [`MIXED_BATCH`] under `dir/keys`; the CSRs alone copied into
/// `dir/intake` (a key in the intake would be a rejected item). Returns the intake.
fn make_batch(dir: &Path) -> PathBuf {
    let keys = dir.join("keys");
    let intake = dir.join("intake");
    std::fs::create_dir_all(&keys).expect("keys folder");
    std::fs::create_dir_all(&intake).expect("intake folder");
    for request in MIXED_BATCH {
        let csr = openssl_csr(&keys, request.name, request.key_args, request.subject);
        std::fs::copy(&csr, intake.join(format!("{}.csr", request.name)))
            .expect("copy CSR into the intake");
    }
    intake
}

/// `airlock sign INTAKE --out OUT` must exit 0; returns OUT's certificates, sorted.
fn sign(home: &Path, pass: &Path, intake: &Path, out: &Path) -> Vec<PathBuf> {
    airlock()
        .arg("--home")
        .arg(home)
        .arg("--passphrase-file")
        .arg(pass)
        .arg("sign")
        .arg("--yes")
        .arg(intake)
        .arg("--out")
        .arg(out)
        .assert()
        .code(0);
    let mut certs: Vec<PathBuf> = std::fs::read_dir(out)
        .expect("output folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "crt"))
        .collect();
    certs.sort();
    certs
}

/// Every request of the batch got its certificate, and nothing else was written.
fn assert_whole_batch(certs: &[PathBuf]) {
    let mut got: Vec<String> = certs.iter().map(|cert| stem(cert)).collect();
    got.sort();
    let mut wanted: Vec<String> = MIXED_BATCH
        .iter()
        .map(|request| request.name.to_owned())
        .collect();
    wanted.sort();
    assert_eq!(got, wanted, "certificates written");
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}

fn request_for(cert: &Path) -> &'static Request {
    let name = stem(cert);
    MIXED_BATCH
        .iter()
        .find(|request| request.name == name)
        .expect("a certificate named after a request")
}

/// `openssl verify [-x509_strict] -purpose PURPOSE -CAfile CA CERT`: (passed, output).
fn openssl_verify(ca: &Path, cert: &Path, purpose: &str, strict: bool) -> (bool, String) {
    let mut command = Command::new("openssl");
    command.arg("verify");
    if strict {
        command.arg("-x509_strict");
    }
    let output = command
        .args(["-purpose", purpose, "-CAfile"])
        .arg(ca)
        .arg(cert)
        .output()
        .expect("openssl is a test prerequisite");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// The certificate's subject line, without `subject=`, printed with `-nameopt OPTS`.
fn subject(cert: &Path, nameopt: &str) -> String {
    let line = openssl(&[
        "x509",
        "-in",
        path_str(cert),
        "-noout",
        "-subject",
        "-nameopt",
        nameopt,
    ]);
    line.trim_end_matches('\n')
        .strip_prefix("subject=")
        .expect("openssl prints subject=")
        .to_owned()
}

/// `O=dev, O=ops, CN=alice` (any spacing) as (type, value) pairs. The batch's values
/// hold no separators, so no unescaping is needed.
fn split_name(name: &str, separator: char) -> Vec<(String, String)> {
    name.split(separator)
        .map(|part| {
            let (key, value) = part.split_once('=').expect("TYPE=value");
            (key.trim().to_owned(), value.trim().to_owned())
        })
        .collect()
}

/// The certificate as DER, converted by openssl into `scratch`.
fn der_of(cert: &Path, scratch: &Path) -> Vec<u8> {
    let der = scratch.join(format!("{}.der", stem(cert)));
    openssl(&[
        "x509",
        "-in",
        path_str(cert),
        "-outform",
        "DER",
        "-out",
        path_str(&der),
    ]);
    std::fs::read(&der).expect("read DER")
}

/// The content octets of the serial INTEGER, located by `openssl asn1parse` (the first
/// primitive INTEGER at depth 2: the version sits at depth 3 inside `[0]`).
fn serial_content(cert: &Path, der: &[u8]) -> Vec<u8> {
    let parsed = openssl(&["asn1parse", "-in", path_str(cert)]);
    let line = parsed
        .lines()
        .find(|line| line.contains("d=2") && line.contains("prim: INTEGER"))
        .expect("a serial INTEGER");
    // "   13:d=2  hl=2 l=  17 prim: INTEGER           :FFEC..."
    let offset: usize = line
        .split(':')
        .next()
        .expect("offset")
        .trim()
        .parse()
        .expect("offset number");
    let field = |name: &str| -> usize {
        let rest = line.split(name).nth(1).expect("asn1parse field");
        rest.split_whitespace()
            .next()
            .expect("value")
            .parse()
            .expect("number")
    };
    let header = field("hl=");
    let length = field(" l=");
    der[offset + header..offset + header + length].to_vec()
}

/// notBefore, from `openssl x509 -startdate` ("Nov  9 13:31:05 2026 GMT").
fn not_before(cert: &Path) -> OffsetDateTime {
    let line = openssl(&["x509", "-in", path_str(cert), "-noout", "-startdate"]);
    let text = line.trim().strip_prefix("notBefore=").expect("notBefore=");
    let parts: Vec<&str> = text.split_whitespace().collect();
    assert!(
        parts.len() == 5 && parts[4] == "GMT",
        "unexpected date '{text}'"
    );
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month_number = months
        .iter()
        .position(|month| *month == parts[0])
        .expect("month name")
        + 1;
    let month = Month::try_from(u8::try_from(month_number).expect("month")).expect("month");
    let day: u8 = parts[1].parse().expect("day");
    let year: i32 = parts[3].parse().expect("year");
    let hms: Vec<u8> = parts[2]
        .split(':')
        .map(|part| part.parse().expect("time field"))
        .collect();
    let date = Date::from_calendar_date(year, month, day).expect("date");
    let clock = Time::from_hms(hms[0], hms[1], hms[2]).expect("time");
    PrimitiveDateTime::new(date, clock).assume_utc()
}

/// One extension as `openssl x509 -ext` prints it.
#[derive(Debug)]
struct Extension {
    name: String,
    critical: bool,
    value: String,
}

fn extensions(cert: &Path) -> Vec<Extension> {
    let text = openssl(&[
        "x509",
        "-in",
        path_str(cert),
        "-noout",
        "-ext",
        "basicConstraints,keyUsage,extendedKeyUsage,subjectKeyIdentifier,authorityKeyIdentifier",
    ]);
    let mut extensions: Vec<Extension> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            let last = extensions
                .last_mut()
                .expect("a value follows an extension name");
            if !last.value.is_empty() {
                last.value.push('\n');
            }
            last.value.push_str(line.trim());
        } else {
            let (name, rest) = line.split_once(':').expect("NAME: [critical]");
            extensions.push(Extension {
                name: name.trim().to_owned(),
                critical: rest.trim() == "critical",
                value: String::new(),
            });
        }
    }
    extensions
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

/// `X509SHA256=` and the SHA-256 of the DER, as kube-apiserver names the credential.
fn credential_id(der: &[u8]) -> String {
    format!(
        "X509SHA256={}",
        hex(ring::digest::digest(&ring::digest::SHA256, der).as_ref())
    )
}

/// What a verifier printed: exit code, its JSON lines, stderr.
#[derive(Debug)]
struct Verdicts {
    code: Option<i32>,
    lines: Vec<Value>,
    stderr: String,
}

fn verdicts(output: &Output, tool: &str) -> Verdicts {
    let stdout = String::from_utf8(output.stdout.clone()).expect("verifier output is UTF-8");
    let lines = stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).map_err(|error| format!("{tool} printed '{line}': {error}"))
        })
        .collect::<Result<Vec<Value>, String>>()
        .expect("verifier output is one JSON object per line");
    Verdicts {
        code: output.status.code(),
        lines,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Builds `tests/interop/authn.go` into `dir/authn`, from the repository root. If Go has
/// no usable build cache (no or an unwritable HOME), GOCACHE and GOPATH go to `dir`.
fn build_authn(dir: &Path) -> PathBuf {
    let binary = dir.join("authn");
    let mut go = Command::new("go");
    go.current_dir(REPO)
        .args(["build", "-o"])
        .arg(&binary)
        .arg("tests/interop/authn.go")
        // Standard library only: nothing to fetch, and no toolchain switch.
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env_remove("GOFLAGS");
    if !go_cache_usable() {
        go.env("GOCACHE", dir.join("gocache"))
            .env("GOPATH", dir.join("gopath"));
    }
    let output = go.output().expect("run go");
    assert!(
        output.status.success(),
        "go build tests/interop/authn.go failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    binary
}

fn go_cache_usable() -> bool {
    let Ok(output) = Command::new("go").args(["env", "GOCACHE"]).output() else {
        return false;
    };
    let cache = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    output.status.success()
        && !cache.is_empty()
        && cache != "off"
        && std::fs::create_dir_all(&cache).is_ok()
        && tempfile::tempfile_in(&cache).is_ok()
}

fn go_authn(authn: &Path, ca: &Path, certs: &[PathBuf], at: Option<&str>) -> Verdicts {
    let mut command = Command::new(authn);
    command.arg("--ca").arg(ca);
    if let Some(at) = at {
        command.args(["--at", at]);
    }
    let output = command.args(certs).output().expect("run authn");
    verdicts(&output, "authn.go")
}

fn pyverify(ca: &Path, certs: &[PathBuf], at: Option<&str>) -> Verdicts {
    let mut command = Command::new("python3");
    command
        .arg(Path::new(REPO).join("tests/interop/pyverify.py"))
        .arg("--ca")
        .arg(ca);
    if let Some(at) = at {
        command.args(["--at", at]);
    }
    let output = command.args(certs).output().expect("run python3");
    verdicts(&output, "pyverify.py")
}

/// Every certificate authenticated, in order, as exactly the user and groups its CSR
/// asked for, with the credential id of its DER.
fn assert_identities(tool: &str, verdicts: &Verdicts, certs: &[PathBuf], scratch: &Path) {
    assert_eq!(
        verdicts.code,
        Some(0),
        "{tool} failed: {:?}\n{}",
        verdicts.lines,
        verdicts.stderr
    );
    assert_eq!(
        verdicts.lines.len(),
        certs.len(),
        "{tool}: one line per certificate: {verdicts:?}"
    );
    for (line, cert) in verdicts.lines.iter().zip(certs) {
        let request = request_for(cert);
        let shown = cert.display();
        assert_eq!(line["file"], path_str(cert), "{tool}: lines out of order");
        assert_eq!(line["ok"], true, "{tool}, {shown}: {line}");
        assert_eq!(line["user"], request.user, "{tool}, {shown}: user");
        let groups: Vec<&str> = line["groups"]
            .as_array()
            .expect("groups is an array")
            .iter()
            .map(|group| group.as_str().expect("a group is a string"))
            .collect();
        assert_eq!(groups, request.groups, "{tool}, {shown}: groups (in order)");
        let expected = credential_id(&der_of(cert, scratch));
        assert_eq!(
            line["credential_id"],
            expected.as_str(),
            "{tool}, {shown}: credential id"
        );
    }
}

fn assert_rejected(tool: &str, line: &Value, reason: &str, cert: &Path) {
    assert_eq!(
        line["file"],
        path_str(cert),
        "{tool}: lines out of order: {line}"
    );
    assert_eq!(
        line["ok"],
        false,
        "{tool} accepted {}: {line}",
        cert.display()
    );
    let error = line["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(reason),
        "{tool} rejected {} for another reason than '{reason}': {error}",
        cert.display()
    );
}

fn pkilint(files: &[PathBuf]) -> Output {
    Command::new("bash")
        .arg(Path::new(REPO).join("tests/interop/pkilint.sh"))
        .args(files)
        .output()
        .expect("run pkilint.sh")
}

/// pkilint.sh exits 0 and reports PASS (no ERROR or FATAL finding) for every file.
fn assert_lints_clean(files: &[PathBuf]) {
    let output = pkilint(files);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "pkilint.sh found ERROR/FATAL findings:\n{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for file in files {
        assert!(
            text.contains(&format!("-- {}: PASS", file.display())),
            "pkilint.sh did not pass {}:\n{text}",
            file.display()
        );
    }
}
