//! `airlock import`: CAs made in the test by the openssl CLI, in every key format a kubeadm
//! (or hand-made) CA comes in, are imported, shown, and sign client certificates that
//! openssl accepts; bad inputs are refused by name with nothing written; and the plaintext
//! key never lands in the home.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::Value;

use crate::support::{
    airlock, assert_not_below, files_below, init_home, openssl, openssl_csr, passphrase_file,
};

/// The key formats `import` must read, as openssl makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// kubeadm's default: RSA-2048, PKCS#1 (`RSA PRIVATE KEY`).
    RsaPkcs1,
    /// RSA-2048, PKCS#8 (`PRIVATE KEY`).
    RsaPkcs8,
    /// ECDSA P-256, SEC1 (`EC PRIVATE KEY`), as kubeadm writes ECDSA keys.
    P256Sec1,
    /// ECDSA P-384, PKCS#8.
    P384Pkcs8,
    /// Ed25519, PKCS#8.
    Ed25519,
}

impl Kind {
    /// The PEM label openssl must have produced (checked, so the test imports what it says).
    fn pem_label(self) -> &'static str {
        match self {
            Self::RsaPkcs1 => "RSA PRIVATE KEY",
            Self::P256Sec1 => "EC PRIVATE KEY",
            Self::RsaPkcs8 | Self::P384Pkcs8 | Self::Ed25519 => "PRIVATE KEY",
        }
    }

    /// `status --json`'s `key.type` for a CA of this kind.
    fn status_type(self) -> &'static str {
        match self {
            Self::RsaPkcs1 | Self::RsaPkcs8 => "rsa",
            Self::P256Sec1 => "ecdsa-p256",
            Self::P384Pkcs8 => "ecdsa-p384",
            Self::Ed25519 => "ed25519",
        }
    }

    fn is_rsa(self) -> bool {
        matches!(self, Self::RsaPkcs1 | Self::RsaPkcs8)
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Makes a private key of `kind` at `dir/name.key` with openssl, exactly as the issue says.
fn make_key(dir: &Path, name: &str, kind: Kind) -> PathBuf {
    let key = dir.join(format!("{name}.key"));
    let out = path_str(&key);
    match kind {
        Kind::RsaPkcs1 => openssl(&["genrsa", "-traditional", "-out", out, "2048"]),
        Kind::RsaPkcs8 => openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            out,
        ]),
        Kind::P256Sec1 => openssl(&[
            "ecparam",
            "-genkey",
            "-name",
            "prime256v1",
            "-noout",
            "-out",
            out,
        ]),
        Kind::P384Pkcs8 => openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-out",
            out,
        ]),
        Kind::Ed25519 => openssl(&["genpkey", "-algorithm", "ED25519", "-out", out]),
    };
    let text = std::fs::read_to_string(&key).expect("read key");
    assert!(
        text.starts_with(&format!("-----BEGIN {}-----", kind.pem_label())),
        "openssl made an unexpected key format for {kind:?}: {}",
        text.lines().next().unwrap_or("")
    );
    key
}

/// A self-signed CA certificate for `key`, made as kubeadm-like CAs are made by hand.
/// `basic_constraints` is the openssl `-addext` value (e.g. `critical,CA:TRUE`).
/// `extra` are extra `openssl req` arguments (e.g. `-passin pass:x`).
fn make_cert(
    dir: &Path,
    name: &str,
    key: &Path,
    basic_constraints: &str,
    extra: &[&str],
) -> PathBuf {
    let cert = dir.join(format!("{name}.crt"));
    let bc = format!("basicConstraints={basic_constraints}");
    let mut args = vec![
        "req",
        "-x509",
        "-new",
        "-key",
        path_str(key),
        "-subj",
        "/CN=kubernetes",
        "-days",
        "3650",
        "-addext",
        &bc,
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
        "-out",
        path_str(&cert),
    ];
    args.extend_from_slice(extra);
    openssl(&args);
    cert
}

/// A CA (certificate, key) of `kind` in `dir`, named `name`.
fn make_ca(dir: &Path, name: &str, kind: Kind) -> (PathBuf, PathBuf) {
    let key = make_key(dir, name, kind);
    let cert = make_cert(dir, name, &key, "critical,CA:TRUE", &[]);
    (cert, key)
}

/// openssl's SHA-256 fingerprint of a certificate: upper-case hex with colons.
fn openssl_fingerprint(cert: &Path) -> String {
    let out = openssl(&[
        "x509",
        "-in",
        path_str(cert),
        "-noout",
        "-fingerprint",
        "-sha256",
    ]);
    out.trim()
        .split_once('=')
        .expect("openssl fingerprint line")
        .1
        .to_owned()
}

/// `airlock --home H --passphrase-file P import --cert C --key K --scrypt-work-factor 14`.
fn import_cmd(home: &Path, pass: &Path, cert: &Path, key: &Path) -> assert_cmd::Command {
    let mut command = airlock();
    command
        .arg("--home")
        .arg(home)
        .arg("--passphrase-file")
        .arg(pass)
        .arg("import")
        .arg("--cert")
        .arg(cert)
        .arg("--key")
        .arg(key)
        .args(["--scrypt-work-factor", "14"]);
    command
}

/// The plaintext key as it sits on the officer's media: its PEM text and decoded DER.
struct PlainKey {
    /// Base64 body lines of the PEM (the text as written on disk).
    lines: Vec<String>,
    /// The decoded DER.
    der: Vec<u8>,
    kind: Kind,
}

impl PlainKey {
    fn read(path: &Path, kind: Kind) -> Self {
        let text = std::fs::read_to_string(path).expect("read key");
        let lines: Vec<String> = text
            .lines()
            .filter(|line| !line.starts_with("-----") && !line.trim().is_empty())
            .map(str::to_owned)
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(lines.concat())
            .expect("key PEM body is base64");
        Self { lines, der, kind }
    }

    /// 32 bytes of the DER that are private: inside the private scalar (EC), the seed
    /// (Ed25519), or the CRT parameters in the last part of an RSA key.
    fn secret_slice(&self) -> &[u8] {
        let der = &self.der;
        let start = match self.kind {
            Kind::RsaPkcs1 | Kind::RsaPkcs8 => der.len() * 3 / 4,
            // ECPrivateKey: version INTEGER 1, then the scalar as an OCTET STRING.
            Kind::P256Sec1 | Kind::P384Pkcs8 => {
                find(der, &[0x02, 0x01, 0x01, 0x04]).expect("ECPrivateKey version and scalar") + 5
            }
            // PKCS#8 Ed25519: OCTET STRING { OCTET STRING (32) seed }.
            Kind::Ed25519 => find(der, &[0x04, 0x22, 0x04, 0x20]).expect("Ed25519 seed") + 4,
        };
        &der[start..start + 32]
    }

    /// Asserts that no file below `home` holds this key in any plaintext form: the whole
    /// DER, a secret 32-byte slice of it, or any full base64 line of its PEM; and that no
    /// file holds a PEM private key block at all.
    fn assert_absent_from(&self, home: &Path, after: &str) {
        assert_not_below(
            home,
            &self.der,
            &format!("plaintext CA key DER (after {after})"),
        );
        assert_not_below(
            home,
            self.secret_slice(),
            &format!("a secret slice of the plaintext CA key (after {after})"),
        );
        for line in self.lines.iter().filter(|line| line.len() >= 16) {
            assert_not_below(
                home,
                line.as_bytes(),
                &format!("a base64 line of the plaintext CA key PEM (after {after})"),
            );
        }
        assert_not_below(
            home,
            b"PRIVATE KEY-----",
            &format!("a PEM private key block (after {after})"),
        );
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Makes a client CSR with openssl in `dir/scratch` and copies only the CSR into
/// `dir/intake` (the key stays out of the intake folder).
fn add_client_csr(dir: &Path, name: &str, key_args: &[&str]) -> PathBuf {
    let scratch = dir.join("scratch");
    let intake = dir.join("intake");
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    std::fs::create_dir_all(&intake).expect("intake dir");
    let csr = openssl_csr(&scratch, name, key_args, &format!("/O=dev/CN={name}"));
    std::fs::copy(&csr, intake.join(format!("{name}.csr"))).expect("copy CSR");
    intake
}

/// The openssl text of a certificate.
fn cert_text(cert: &Path) -> String {
    openssl(&["x509", "-in", path_str(cert), "-noout", "-text"])
}

/// `openssl verify -purpose sslclient -CAfile CA CERT` must say OK.
fn assert_openssl_verifies(ca: &Path, cert: &Path) {
    let out = openssl(&[
        "verify",
        "-purpose",
        "sslclient",
        "-CAfile",
        path_str(ca),
        path_str(cert),
    ]);
    assert!(out.trim_end().ends_with(": OK"), "openssl verify: {out}");
}

fn status_json(home: &Path) -> Value {
    let output = airlock()
        .arg("--home")
        .arg(home)
        .args(["--json", "status"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&output).expect("status --json is JSON")
}

/// Nothing was written by a refused import: no `cas/`, no ledger entries, no policy file;
/// at most the lock file that opening the home takes.
fn assert_nothing_written(home: &Path, case: &str) {
    assert!(
        !home.join("cas").exists(),
        "{case}: a cas/ folder was written"
    );
    let ledger = home.join("ledger.jsonl");
    if ledger.exists() {
        let bytes = std::fs::read(&ledger).expect("read ledger");
        assert!(
            bytes.is_empty(),
            "{case}: ledger has entries: {}",
            String::from_utf8_lossy(&bytes)
        );
    }
    if home.exists() {
        let names: Vec<String> = files_below(home)
            .iter()
            .map(|path| {
                path.strip_prefix(home)
                    .expect("below home")
                    .display()
                    .to_string()
            })
            .filter(|name| name != "lock")
            .collect();
        assert!(
            names.is_empty(),
            "{case}: files were written into the home: {names:?}"
        );
    }
}

/// Runs an import that must be refused: exit 1, stderr names `input` and carries one of
/// `reasons`, and nothing is written. Returns stderr.
fn assert_refused(
    home: &Path,
    pass: &Path,
    cert: &Path,
    key: &Path,
    input: &Path,
    reasons: &[&str],
    case: &str,
) -> String {
    let output = import_cmd(home, pass, cert, key)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        stderr.contains(&format!("'{}'", input.display())),
        "{case}: the error does not name '{}': {stderr}",
        input.display()
    );
    assert!(
        reasons.iter().any(|reason| stderr.contains(reason)),
        "{case}: the error gives none of the reasons {reasons:?}: {stderr}"
    );
    assert!(
        output.stdout.is_empty() || !String::from_utf8_lossy(&output.stdout).contains("imported"),
        "{case}: stdout claims an import: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_nothing_written(home, case);
    stderr
}

/// Replaces 4 base64 characters in the middle of the PEM body by other base64 characters,
/// so the file is still valid PEM but the key bytes are wrong.
fn flip_body(pem: &str) -> String {
    let mut lines: Vec<String> = pem.lines().map(str::to_owned).collect();
    let body: Vec<usize> = (0..lines.len())
        .filter(|&index| !lines[index].starts_with("-----") && lines[index].len() >= 40)
        .collect();
    let index = body[body.len() / 2];
    let mut chars: Vec<char> = lines[index].chars().collect();
    let middle = chars.len() / 2;
    for char in &mut chars[middle - 2..middle + 2] {
        *char = match *char {
            'z' => 'A',
            'Z' => 'a',
            '9' => '+',
            '+' => '/',
            '/' => '0',
            other => char::from(u8::try_from(u32::from(other) + 1).expect("ascii")),
        };
    }
    lines[index] = chars.into_iter().collect();
    assert_ne!(lines.join("\n") + "\n", pem, "the body changed");
    lines.join("\n") + "\n"
}

/// Cuts the PEM body to half its length (a multiple of 4 base64 characters, so it still
/// decodes), keeping the BEGIN and END lines.
fn truncate_body(pem: &str) -> String {
    let begin = pem.lines().next().expect("BEGIN line");
    let end = pem.lines().last().expect("END line");
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let keep = (body.len() / 2) / 4 * 4;
    let cut = &body[..keep];
    let mut out = format!("{begin}\n");
    for chunk in cut.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("ascii"));
        out.push('\n');
    }
    out.push_str(end);
    out.push('\n');
    out
}

/// Proves, for one key format: import succeeds and says what it imported (subject,
/// openssl's SHA-256 fingerprint) and that the officer must destroy the plaintext key;
/// `status --json` shows the CA; the CA signs a client certificate that
/// `openssl verify -purpose sslclient` accepts (with keyEncipherment exactly when the
/// client key is RSA); the ledger verifies; and after every step the plaintext key is
/// nowhere in the home.
fn import_sign_verify(kind: Kind) {
    let dir = tempfile::tempdir().expect("temp dir");
    let media = dir.path().join("media");
    std::fs::create_dir_all(&media).expect("media dir");
    let (cert, key) = make_ca(&media, "ca", kind);
    let plain = PlainKey::read(&key, kind);
    let home = dir.path().join("home");
    let pass = passphrase_file(dir.path());

    // Import: exit 0, the subject, the fingerprint, the warning about the plaintext key.
    let output = import_cmd(&home, &pass, &cert, &key)
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        stdout.contains("CN=kubernetes"),
        "{kind:?}: subject not shown: {stdout}"
    );
    let fingerprint = openssl_fingerprint(&cert);
    assert!(
        stdout.to_uppercase().contains(&fingerprint.to_uppercase()),
        "{kind:?}: fingerprint {fingerprint} not shown: {stdout}"
    );
    assert!(
        stdout.contains(&format!("'{}'", key.display())) && stdout.contains("Destroy it"),
        "{kind:?}: import does not tell the officer to destroy the plaintext key: {stdout}"
    );
    plain.assert_absent_from(&home, "import");

    // The certificate in the home is the imported one, byte for byte (same fingerprint).
    let home_cert = crate::support::ca_cert(&home);
    assert_eq!(
        openssl_fingerprint(&home_cert),
        fingerprint,
        "{kind:?}: home ca.crt differs"
    );

    // status --json shows the CA.
    let status = status_json(&home);
    let cas = status["cas"].as_array().expect("cas array");
    assert_eq!(cas.len(), 1, "{kind:?}: {status}");
    let ca = &cas[0];
    assert_eq!(ca["common_name"], "kubernetes", "{kind:?}: {ca}");
    assert_eq!(ca["origin"], "imported", "{kind:?}: {ca}");
    assert_eq!(ca["key"]["type"], kind.status_type(), "{kind:?}: {ca}");
    if kind.is_rsa() {
        assert_eq!(ca["key"]["bits"], 2048, "{kind:?}: {ca}");
    }
    assert_eq!(
        ca["fingerprint"]
            .as_str()
            .expect("fingerprint")
            .to_uppercase(),
        fingerprint.replace(':', "").to_uppercase(),
        "{kind:?}: {ca}"
    );
    assert!(
        ca["days_left"].as_i64().expect("days_left") >= 3648,
        "{kind:?}: {ca}"
    );
    plain.assert_absent_from(&home, "status");

    sign_and_verify(kind, dir.path(), &home, &pass, &plain);
}

/// Signs a throwaway client CSR with the imported CA (and, for an RSA CA, an RSA client
/// too) and checks the results with openssl, the ledger with `audit verify`, and the home
/// for the plaintext key after each step.
fn sign_and_verify(kind: Kind, dir: &Path, home: &Path, pass: &Path, plain: &PlainKey) {
    let home_cert = crate::support::ca_cert(home);
    let intake = add_client_csr(
        dir,
        "alice",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    if kind.is_rsa() {
        add_client_csr(
            dir,
            "bob",
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        );
    }
    let out = dir.join("out");
    airlock()
        .arg("--home")
        .arg(home)
        .arg("--passphrase-file")
        .arg(pass)
        .arg("sign")
        .arg("--yes")
        .arg(&intake)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    plain.assert_absent_from(home, "sign");
    let alice = out.join("alice.crt");
    assert_openssl_verifies(&home_cert, &alice);
    let alice_text = cert_text(&alice);
    assert!(
        alice_text.contains("Subject: O = dev, CN = alice"),
        "{kind:?}: {alice_text}"
    );
    assert!(
        alice_text.contains("TLS Web Client Authentication"),
        "{kind:?}: {alice_text}"
    );
    assert!(
        alice_text.contains("Digital Signature"),
        "{kind:?}: {alice_text}"
    );
    assert!(
        !alice_text.contains("Key Encipherment"),
        "{kind:?}: an ECDSA client certificate must not carry keyEncipherment: {alice_text}"
    );
    if kind.is_rsa() {
        let bob = out.join("bob.crt");
        assert_openssl_verifies(&home_cert, &bob);
        let bob_text = cert_text(&bob);
        assert!(
            bob_text.contains("Digital Signature, Key Encipherment"),
            "{kind:?}: an RSA client certificate carries keyEncipherment: {bob_text}"
        );
        assert!(
            bob_text.contains("Signature Algorithm: sha256WithRSAEncryption"),
            "{bob_text}"
        );
    }

    // The ledger (import entry, seal, issuance) verifies.
    airlock()
        .arg("--home")
        .arg(home)
        .args(["audit", "verify"])
        .assert()
        .success();
    plain.assert_absent_from(home, "audit verify");
}

/// Proves, for one key format: a key of the same type from another CA, a key with flipped
/// bytes, and a truncated key are each refused with exit 1, naming the key file and why,
/// with nothing written to the home.
fn bad_keys_are_refused(kind: Kind) {
    let dir = tempfile::tempdir().expect("temp dir");
    let media = dir.path().join("media");
    std::fs::create_dir_all(&media).expect("media dir");
    let (cert, key) = make_ca(&media, "ca", kind);
    let (_, other_key) = make_ca(&media, "other", kind);
    let pass = passphrase_file(dir.path());
    let pem = std::fs::read_to_string(&key).expect("read key");

    let home = dir.path().join("home-mismatch");
    assert_refused(
        &home,
        &pass,
        &cert,
        &other_key,
        &other_key,
        &["does not match"],
        &format!("{kind:?} mismatched key"),
    );

    let flipped = media.join("flipped.key");
    std::fs::write(&flipped, flip_body(&pem)).expect("write flipped key");
    let home = dir.path().join("home-flipped");
    // Flipped bytes land in a parameter that no longer fits the rest (not a usable key)
    // or in the secret alone (a valid key that is not the certificate's).
    assert_refused(
        &home,
        &pass,
        &cert,
        &flipped,
        &flipped,
        &["is not a usable private key", "does not match"],
        &format!("{kind:?} flipped key"),
    );

    let truncated = media.join("truncated.key");
    std::fs::write(&truncated, truncate_body(&pem)).expect("write truncated key");
    let home = dir.path().join("home-truncated");
    assert_refused(
        &home,
        &pass,
        &cert,
        &truncated,
        &truncated,
        &["is not a usable private key"],
        &format!("{kind:?} truncated key"),
    );

    // And the untouched key still imports: the refusals were about the keys, not the CA.
    let home = dir.path().join("home-good");
    import_cmd(&home, &pass, &cert, &key).assert().success();
}

/// kubeadm's default CA: RSA-2048, PKCS#1 (`openssl genrsa -traditional`).
#[test]
fn rsa_pkcs1_kubeadm_ca_imports_and_signs() {
    import_sign_verify(Kind::RsaPkcs1);
}

/// Mismatched, flipped and truncated PKCS#1 RSA keys are refused.
#[test]
fn rsa_pkcs1_bad_keys_are_refused() {
    bad_keys_are_refused(Kind::RsaPkcs1);
}

/// RSA-2048 in PKCS#8.
#[test]
fn rsa_pkcs8_ca_imports_and_signs() {
    import_sign_verify(Kind::RsaPkcs8);
}

/// Mismatched, flipped and truncated PKCS#8 RSA keys are refused.
#[test]
fn rsa_pkcs8_bad_keys_are_refused() {
    bad_keys_are_refused(Kind::RsaPkcs8);
}

/// ECDSA P-256 in SEC1 (`openssl ecparam -genkey -noout`), kubeadm's ECDSA format.
#[test]
fn p256_sec1_ca_imports_and_signs() {
    import_sign_verify(Kind::P256Sec1);
}

/// Mismatched, flipped and truncated SEC1 P-256 keys are refused.
#[test]
fn p256_sec1_bad_keys_are_refused() {
    bad_keys_are_refused(Kind::P256Sec1);
}

/// ECDSA P-384 in PKCS#8.
#[test]
fn p384_pkcs8_ca_imports_and_signs() {
    import_sign_verify(Kind::P384Pkcs8);
}

/// Mismatched, flipped and truncated PKCS#8 P-384 keys are refused.
#[test]
fn p384_pkcs8_bad_keys_are_refused() {
    bad_keys_are_refused(Kind::P384Pkcs8);
}

/// Ed25519 in PKCS#8.
#[test]
fn ed25519_ca_imports_and_signs() {
    import_sign_verify(Kind::Ed25519);
}

/// Mismatched, flipped and truncated Ed25519 keys are refused.
#[test]
fn ed25519_bad_keys_are_refused() {
    bad_keys_are_refused(Kind::Ed25519);
}

/// A key of another type than the certificate's (EC key for an RSA CA, Ed25519 key for a
/// P-256 CA, RSA key for an Ed25519 CA) is refused by name, nothing written.
#[test]
fn key_of_another_type_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pass = passphrase_file(dir.path());
    let (rsa_cert, rsa_key) = make_ca(dir.path(), "rsa", Kind::RsaPkcs1);
    let (p256_cert, p256_key) = make_ca(dir.path(), "p256", Kind::P256Sec1);
    let (ed_cert, ed_key) = make_ca(dir.path(), "ed", Kind::Ed25519);
    let cases = [
        (
            &rsa_cert,
            &p256_key,
            vec!["not ECDSA", "does not match", "is not a usable private key"],
        ),
        (
            &p256_cert,
            &ed_key,
            vec!["does not match", "is not a usable private key"],
        ),
        (
            &ed_cert,
            &rsa_key,
            vec!["does not match", "is not a usable private key"],
        ),
    ];
    for (index, (cert, key, reasons)) in cases.iter().enumerate() {
        let home = dir.path().join(format!("home{index}"));
        assert_refused(
            &home,
            &pass,
            cert,
            key,
            key,
            reasons,
            &format!("{} with {}", cert.display(), key.display()),
        );
    }
}

/// Encrypted keys are refused with advice, nothing written: a PKCS#8
/// `ENCRYPTED PRIVATE KEY` and a traditional `Proc-Type: 4,ENCRYPTED` RSA key.
#[test]
fn encrypted_keys_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pass = passphrase_file(dir.path());

    let pkcs8 = dir.path().join("enc8.key");
    openssl(&[
        "genpkey",
        "-algorithm",
        "ED25519",
        "-aes256",
        "-pass",
        "pass:x",
        "-out",
        path_str(&pkcs8),
    ]);
    let text = std::fs::read_to_string(&pkcs8).expect("read key");
    assert!(
        text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{text}"
    );
    let cert = make_cert(
        dir.path(),
        "enc8",
        &pkcs8,
        "critical,CA:TRUE",
        &["-passin", "pass:x"],
    );
    let stderr = assert_refused(
        &dir.path().join("home8"),
        &pass,
        &cert,
        &pkcs8,
        &pkcs8,
        &["is an encrypted private key"],
        "PKCS#8 encrypted key",
    );
    assert!(stderr.contains("decrypt it first"), "{stderr}");

    let traditional = dir.path().join("enc1.key");
    openssl(&[
        "genrsa",
        "-aes128",
        "-traditional",
        "-passout",
        "pass:x",
        "-out",
        path_str(&traditional),
        "2048",
    ]);
    let text = std::fs::read_to_string(&traditional).expect("read key");
    assert!(text.contains("Proc-Type: 4,ENCRYPTED"), "{text}");
    let cert = make_cert(
        dir.path(),
        "enc1",
        &traditional,
        "critical,CA:TRUE",
        &["-passin", "pass:x"],
    );
    assert_refused(
        &dir.path().join("home1"),
        &pass,
        &cert,
        &traditional,
        &traditional,
        &["is an encrypted private key"],
        "traditional encrypted RSA key",
    );
}

/// A certificate that is not a CA (basicConstraints CA:FALSE) is refused, naming the
/// certificate file and the reason, nothing written.
#[test]
fn non_ca_certificate_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pass = passphrase_file(dir.path());
    let key = make_key(dir.path(), "leaf", Kind::P256Sec1);
    let cert = make_cert(dir.path(), "leaf", &key, "critical,CA:FALSE", &[]);
    assert_refused(
        &dir.path().join("home"),
        &pass,
        &cert,
        &key,
        &cert,
        &["is not a CA certificate: basicConstraints says CA:FALSE"],
        "CA:FALSE certificate",
    );
}

/// Makes a self-signed CA valid only from `start` to `end` (openssl `ca` times such as
/// `20200101000000Z`) with `openssl ca -selfsign`, which, unlike `req -x509`, can set
/// both dates.
fn make_dated_ca(dir: &Path, name: &str, start: &str, end: &str) -> (PathBuf, PathBuf) {
    let work = dir.join(format!("{name}-ca"));
    std::fs::create_dir_all(work.join("newcerts")).expect("ca work dir");
    std::fs::write(work.join("index.txt"), "").expect("index");
    std::fs::write(work.join("serial"), "01\n").expect("serial");
    let config = work.join("ca.cnf");
    std::fs::write(
        &config,
        format!(
            "[ca]\ndefault_ca = ca_default\n[ca_default]\ndatabase = {w}/index.txt\n\
             new_certs_dir = {w}/newcerts\nserial = {w}/serial\ndefault_md = sha256\n\
             policy = policy_any\nunique_subject = no\nemail_in_dn = no\nx509_extensions = v3_ca\n\
             [policy_any]\ncommonName = supplied\n[v3_ca]\nbasicConstraints = critical,CA:TRUE\n\
             keyUsage = critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier = hash\n",
            w = work.display()
        ),
    )
    .expect("write ca.cnf");
    let key = make_key(dir, name, Kind::P256Sec1);
    let csr = work.join("ca.csr");
    openssl(&[
        "req",
        "-new",
        "-key",
        path_str(&key),
        "-subj",
        "/CN=kubernetes",
        "-out",
        path_str(&csr),
    ]);
    let cert = dir.join(format!("{name}.crt"));
    openssl(&[
        "ca",
        "-batch",
        "-config",
        path_str(&config),
        "-selfsign",
        "-keyfile",
        path_str(&key),
        "-in",
        path_str(&csr),
        "-startdate",
        start,
        "-enddate",
        end,
        "-notext",
        "-out",
        path_str(&cert),
    ]);
    (cert, key)
}

/// An expired CA and a not-yet-valid CA are refused, naming the certificate and its
/// validity, nothing written.
#[test]
fn out_of_date_ca_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pass = passphrase_file(dir.path());

    let (cert, key) = make_dated_ca(dir.path(), "expired", "20200101000000Z", "20210101000000Z");
    let stderr = assert_refused(
        &dir.path().join("home-expired"),
        &pass,
        &cert,
        &key,
        &cert,
        &["is not valid now"],
        "expired CA",
    );
    assert!(
        stderr.contains("2021-01-01T00:00:00Z"),
        "the error shows notAfter: {stderr}"
    );

    let (cert, key) = make_dated_ca(dir.path(), "future", "20900101000000Z", "20910101000000Z");
    let stderr = assert_refused(
        &dir.path().join("home-future"),
        &pass,
        &cert,
        &key,
        &cert,
        &["is not valid now"],
        "not-yet-valid CA",
    );
    assert!(
        stderr.contains("2090-01-01T00:00:00Z"),
        "the error shows notBefore: {stderr}"
    );
}

/// Garbage in either input is refused by name, nothing written: random text, random
/// bytes that look like DER, an empty file, a key file given as the certificate and a
/// certificate given as the key, a missing file.
#[test]
fn garbage_inputs_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pass = passphrase_file(dir.path());
    let (cert, key) = make_ca(dir.path(), "ca", Kind::P256Sec1);
    let text = dir.path().join("text.bin");
    std::fs::write(&text, "this is not a certificate or a key\n").expect("write");
    let der_like = dir.path().join("der.bin");
    let mut bytes = vec![0x30, 0x82, 0x01, 0x00];
    bytes.extend((0..256_u32).map(|n| u8::try_from((n * 7 + 3) % 256).expect("byte")));
    std::fs::write(&der_like, &bytes).expect("write");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").expect("write");
    let missing = dir.path().join("missing.pem");

    let not_cert = ["is not a usable certificate"];
    let not_key = ["is not a usable private key"];
    let cases: [(&PathBuf, &PathBuf, &PathBuf, &[&str]); 9] = [
        (&text, &key, &text, &not_cert),
        (&der_like, &key, &der_like, &not_cert),
        (&empty, &key, &empty, &not_cert),
        (&key, &key, &key, &["no PEM CERTIFICATE block"]),
        (&cert, &text, &text, &not_key),
        (&cert, &der_like, &der_like, &not_key),
        (&cert, &empty, &empty, &not_key),
        (&cert, &cert, &cert, &["no PEM private key block"]),
        (&cert, &missing, &missing, &["cannot read"]),
    ];
    for (index, (cert_in, key_in, named, reasons)) in cases.iter().enumerate() {
        let home = dir.path().join(format!("home{index}"));
        assert_refused(
            &home,
            &pass,
            cert_in,
            key_in,
            named,
            reasons,
            &format!(
                "case {index}: --cert {} --key {}",
                cert_in.display(),
                key_in.display()
            ),
        );
    }
}

/// A home that already has a CA refuses a second one: exit 1 naming the existing CA, the
/// ledger is byte for byte unchanged, still one CA, and the refused key is not stored.
#[test]
fn import_into_a_home_with_a_ca_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let ledger_before = std::fs::read(home.join("ledger.jsonl")).expect("ledger");
    let files_before = files_below(&home).len();
    let media = dir.path().join("media");
    std::fs::create_dir_all(&media).expect("media dir");
    let (cert, key) = make_ca(&media, "ca", Kind::RsaPkcs1);

    let output = import_cmd(&home, &pass, &cert, &key)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("already has CA 'test-ca'"), "{stderr}");

    assert_eq!(
        std::fs::read(home.join("ledger.jsonl")).expect("ledger"),
        ledger_before,
        "ledger changed"
    );
    assert_eq!(
        files_below(&home).len(),
        files_before,
        "files were added to the home"
    );
    assert_eq!(
        std::fs::read_dir(home.join("cas")).expect("cas").count(),
        1,
        "a second CA folder appeared"
    );
    PlainKey::read(&key, Kind::RsaPkcs1).assert_absent_from(&home, "refused import");
    let status = status_json(&home);
    assert_eq!(status["cas"][0]["common_name"], "test-ca", "{status}");
    assert_eq!(status["cas"].as_array().expect("cas").len(), 1, "{status}");
}

/// An RSA-1024 CA is refused as an unsupported CA key (RSA must be 2048 bits or more),
/// nothing written.
#[test]
fn weak_rsa_ca_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pass = passphrase_file(dir.path());
    let key = dir.path().join("weak.key");
    openssl(&["genrsa", "-traditional", "-out", path_str(&key), "1024"]);
    let cert = make_cert(dir.path(), "weak", &key, "critical,CA:TRUE", &[]);
    let output = import_cmd(&dir.path().join("home"), &pass, &cert, &key)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unsupported CA key 'RSA-1024'"), "{stderr}");
    assert_nothing_written(&dir.path().join("home"), "RSA-1024 CA");
}

/// An import whose ledger write fails leaves nothing half-done: no `cas/<id>/` files
/// without a ledger entry, and the same import succeeds once the fault is gone.
///
/// The fault is simulated by a `ledger.jsonl` that is a dangling symlink: reading it finds
/// no ledger (an empty home), but appending to it fails, as a full or failing disk would.
#[test]
fn failed_ledger_write_leaves_no_orphan_ca_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pass = passphrase_file(dir.path());
    let (cert, key) = make_ca(dir.path(), "ca", Kind::P256Sec1);
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let ledger = home.join("ledger.jsonl");
    std::os::unix::fs::symlink(dir.path().join("no-such-dir/ledger.jsonl"), &ledger)
        .expect("symlink");

    let output = import_cmd(&home, &pass, &cert, &key)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        stderr.contains("ledger"),
        "the error names the ledger: {stderr}"
    );
    let orphans: Vec<PathBuf> = if home.join("cas").exists() {
        files_below(&home.join("cas"))
    } else {
        Vec::new()
    };
    assert!(
        orphans.is_empty(),
        "the import failed (exit 1) but left CA files the ledger does not know: {orphans:?}"
    );

    // Fault gone: the same import must work (it must not trip over leftovers).
    std::fs::remove_file(&ledger).expect("remove symlink");
    let retry = import_cmd(&home, &pass, &cert, &key)
        .output()
        .expect("run airlock");
    assert!(
        retry.status.success(),
        "retrying the import after the fault failed: {}",
        String::from_utf8_lossy(&retry.stderr)
    );
}
