//! Hostile intake: every policy case, and every malformed or dangerous input a USB stick
//! can carry, each with its verdict and a reason that names the cause.
//!
//! Every airlock run here has a 60 s timeout and must not panic. Inputs are generated in
//! temporary folders (openssl, and rcgen where openssl refuses to build the input).
//! Where a case fails because of a defect in airlock, the assertion message says so.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;

use crate::support::{airlock, files_below, init_home, openssl};

const TIMEOUT: Duration = Duration::from_mins(1);
const CLIENT: &str = "kubernetes.io/kube-apiserver-client";
const P256: &[&str] = &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Runs airlock with a timeout; asserts that it finished and did not panic.
fn run(args: &[&std::ffi::OsStr]) -> Output {
    let output = airlock()
        .args(args)
        .timeout(TIMEOUT)
        .output()
        .map_err(|error| format!("airlock {args:?}: {error}"))
        .expect("airlock can be run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked"),
        "airlock {args:?} panicked:\n{stderr}"
    );
    assert!(
        output.status.code().is_some(),
        "airlock {args:?} was killed by a signal (timeout or crash): {stderr}"
    );
    output
}

fn os(text: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(text)
}

fn review_json(home: &Path, intake: &Path) -> (Output, Value) {
    let output = run(&[
        os("--home"),
        home.as_os_str(),
        os("--json"),
        os("review"),
        intake.as_os_str(),
    ]);
    // 3 when an item is rejected, as for sign (issue 10, item 12).
    assert!(
        matches!(output.status.code(), Some(0 | 3)),
        "review failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value = serde_json::from_slice(&output.stdout).expect("review --json prints JSON");
    (output, value)
}

fn review_text(home: &Path, intake: &Path) -> Output {
    run(&[
        os("--home"),
        home.as_os_str(),
        os("review"),
        intake.as_os_str(),
    ])
}

fn sign(home: &Path, pass: &Path, intake: &Path, out: &Path, json: bool) -> Output {
    let mut args = vec![
        os("--home"),
        home.as_os_str(),
        os("--passphrase-file"),
        pass.as_os_str(),
    ];
    if json {
        args.push(os("--json"));
    }
    args.extend([
        os("sign"),
        os("--yes"),
        intake.as_os_str(),
        os("--out"),
        out.as_os_str(),
    ]);
    run(&args)
}

fn audit_entries(home: &Path) -> Vec<Value> {
    let output = run(&[
        os("--home"),
        home.as_os_str(),
        os("--json"),
        os("audit"),
        os("show"),
    ]);
    assert!(output.status.success(), "audit show failed");
    let value: Value = serde_json::from_slice(&output.stdout).expect("audit show --json");
    value
        .as_array()
        .expect("audit show --json is an array")
        .clone()
}

fn issued_for_csr(home: &Path, csr_sha256: &str) -> usize {
    audit_entries(home)
        .iter()
        .filter(|entry| entry["kind"] == "cert.issued")
        .filter(|entry| entry["payload"]["csr_sha256"] == csr_sha256)
        .count()
}

/// Items of a review, by input.
fn items_by_input(review: &Value) -> BTreeMap<String, Value> {
    review["items"]
        .as_array()
        .expect("items[]")
        .iter()
        .map(|item| {
            (
                item["input"].as_str().expect("input").to_owned(),
                item.clone(),
            )
        })
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|entry| entry.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Generates a private key with `openssl genpkey`.
fn genkey(keys: &Path, name: &str, args: &[&str]) -> PathBuf {
    let key = keys.join(format!("{name}.key"));
    let mut all = vec!["genpkey"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-out", path_str(&key)]);
    openssl(&all);
    key
}

/// A CSR for `key` with `openssl req`; `extra` goes before `-out`. Returns the PEM bytes.
fn req(key: &Path, subject: &str, extra: &[&str], out: &Path) -> Vec<u8> {
    let mut args = vec![
        "req",
        "-new",
        "-key",
        path_str(key),
        "-subj",
        subject,
        "-utf8",
    ];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-out", path_str(out)]);
    openssl(&args);
    fs::read(out).expect("read CSR")
}

fn pem_of(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut text = format!("-----BEGIN {label}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        text.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        text.push('\n');
    }
    writeln!(text, "-----END {label}-----").expect("writing to a String cannot fail");
    text
}

fn der_of_pem(pem: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(pem);
    let body: String = text
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .expect("PEM body")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut text, byte| {
        write!(text, "{byte:02x}").expect("writing to a String cannot fail");
        text
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// A `CertificateSigningRequest` object in YAML around a PEM CSR.
fn csr_object(name: &str, csr_pem: &[u8], signer: &str, usages: &[&str], extra: &str) -> String {
    let request = base64::engine::general_purpose::STANDARD.encode(csr_pem);
    let usages = usages
        .iter()
        .map(|usage| format!("\"{usage}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: \"{name}\"\nspec:\n  request: {request}\n  signerName: {signer}\n  usages: [{usages}]\n{extra}"
    )
}

/// What a row expects.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Rejected, and one reason contains every substring (case-insensitive).
    Rejected(&'static [&'static str]),
    /// Accepted, and one flag contains every substring per group (case-insensitive).
    Accepted(&'static [&'static [&'static str]]),
}

fn one_contains_all(texts: &[String], needles: &[&str]) -> bool {
    texts.iter().any(|text| {
        let lower = text.to_lowercase();
        needles
            .iter()
            .all(|needle| lower.contains(&needle.to_lowercase()))
    })
}

/// Checks every row against the review; returns the failures (empty when all pass).
fn check_rows(review: &Value, rows: &[(String, Expect)]) -> Vec<String> {
    let items = items_by_input(review);
    let mut failures = Vec::new();
    for (input, expect) in rows {
        let Some(item) = items.get(input) else {
            failures.push(format!(
                "{input}: no item in the review (inputs: {:?})",
                items.keys().collect::<Vec<_>>()
            ));
            continue;
        };
        let verdict = item["verdict"].as_str().unwrap_or("?");
        let reasons = strings(&item["reasons"]);
        let flags = strings(&item["flags"]);
        match expect {
            Expect::Rejected(needles) => {
                if verdict != "rejected" {
                    failures.push(format!(
                        "{input}: expected rejected, got {verdict} (flags {flags:?})"
                    ));
                } else if !one_contains_all(&reasons, needles) {
                    failures.push(format!(
                        "{input}: rejected, but no reason names the cause {needles:?}: {reasons:?}"
                    ));
                }
            }
            Expect::Accepted(groups) => {
                if verdict != "accepted" {
                    failures.push(format!(
                        "{input}: expected accepted, got {verdict}: {reasons:?}"
                    ));
                }
                for needles in *groups {
                    if !one_contains_all(&flags, needles) {
                        failures.push(format!("{input}: no flag says {needles:?}: {flags:?}"));
                    }
                }
            }
        }
    }
    failures
}

fn sorted_names(folder: &Path) -> Vec<std::ffi::OsString> {
    let mut names: Vec<_> = fs::read_dir(folder)
        .expect("read folder")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    names.sort();
    names
}

fn assert_no_failures(what: &str, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{what}: {} case(s) failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------
// Policy cases
// ---------------------------------------------------------------------------------------

/// Writes one CSR per policy case into `intake`; returns the rows.
#[allow(
    clippy::too_many_lines,
    reason = "one table of cases, read top to bottom"
)]
fn policy_intake(keys: &Path, intake: &Path) -> Vec<(String, Expect)> {
    let mut rows: Vec<(String, Expect)> = Vec::new();
    let mut row = |name: &str, expect: Expect| rows.push((name.to_owned(), expect));
    let ec = genkey(keys, "ec", P256);
    let rsa = genkey(
        keys,
        "rsa2048",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );

    // Controls: what must be accepted.
    req(
        &ec,
        "/O=dev/CN=good-p256",
        &[],
        &intake.join("good_p256.csr"),
    );
    row("good_p256.csr", Expect::Accepted(&[]));
    let p384 = genkey(
        keys,
        "p384",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    );
    req(&p384, "/CN=good-p384", &[], &intake.join("good_p384.csr"));
    row("good_p384.csr", Expect::Accepted(&[]));
    let ed = genkey(keys, "ed25519", &["-algorithm", "ED25519"]);
    req(
        &ed,
        "/CN=good-ed25519",
        &[],
        &intake.join("good_ed25519.csr"),
    );
    row("good_ed25519.csr", Expect::Accepted(&[]));
    req(&rsa, "/CN=good-rsa", &[], &intake.join("good_rsa2048.csr"));
    row("good_rsa2048.csr", Expect::Accepted(&[]));
    let cn64 = format!("/CN={}", "b".repeat(64));
    req(&ec, &cn64, &[], &intake.join("cn_64_chars.csr"));
    row("cn_64_chars.csr", Expect::Accepted(&[]));

    // A self-signature that does not verify: one byte of the signature flipped.
    let der_path = keys.join("tampered.der");
    req(&ec, "/CN=tampered", &["-outform", "DER"], &der_path);
    let mut der = fs::read(&der_path).expect("read DER CSR");
    let last = der.len() - 3;
    der[last] ^= 0x01;
    fs::write(
        intake.join("bad_signature.csr"),
        pem_of("CERTIFICATE REQUEST", &der),
    )
    .expect("write");
    let verified = std::process::Command::new("openssl")
        .args(["req", "-verify", "-noout", "-in"])
        .arg(intake.join("bad_signature.csr"))
        .output()
        .expect("openssl");
    // openssl 3.0 exits 0 even on a verify failure: read what it says.
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(
        !said.contains("verify OK"),
        "the tampered CSR still verifies with openssl: {said}"
    );
    row(
        "bad_signature.csr",
        Expect::Rejected(&["self-signature", "not verify"]),
    );

    // Unsupported keys.
    let rsa1024 = genkey(
        keys,
        "rsa1024",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
    );
    req(
        &rsa1024,
        "/CN=rsa1024",
        &[],
        &intake.join("key_rsa1024.csr"),
    );
    row(
        "key_rsa1024.csr",
        Expect::Rejected(&["RSA", "1024", "too small"]),
    );
    let params = keys.join("dsa.params");
    openssl(&[
        "genpkey",
        "-genparam",
        "-algorithm",
        "DSA",
        "-out",
        path_str(&params),
    ]);
    let dsa = genkey(keys, "dsa", &["-paramfile", path_str(&params)]);
    req(&dsa, "/CN=dsa", &[], &intake.join("key_dsa.csr"));
    row("key_dsa.csr", Expect::Rejected(&["unsupported key", "DSA"]));
    let p521 = genkey(
        keys,
        "p521",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
    );
    req(&p521, "/CN=p521", &[], &intake.join("key_p521.csr"));
    row(
        "key_p521.csr",
        Expect::Rejected(&["unsupported key", "P-521"]),
    );
    let brainpool = genkey(
        keys,
        "brainpool",
        &[
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:brainpoolP256r1",
        ],
    );
    req(
        &brainpool,
        "/CN=brainpool",
        &[],
        &intake.join("key_brainpool.csr"),
    );
    // brainpoolP256r1 is 1.3.36.3.3.2.8.1.1.7.
    row(
        "key_brainpool.csr",
        Expect::Rejected(&["unsupported key", "brainpoolP256r1"]),
    );
    let pss = genkey(
        keys,
        "pss",
        &["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    req(&pss, "/CN=pss", &[], &intake.join("key_rsa_pss.csr"));
    row(
        "key_rsa_pss.csr",
        Expect::Rejected(&["unsupported key", "RSA-PSS"]),
    );

    // Broken signature hashes (openssl 3.0 still signs a CSR with MD5 on request).
    req(&rsa, "/CN=md5", &["-md5"], &intake.join("sig_md5.csr"));
    let text = openssl(&[
        "req",
        "-in",
        path_str(&intake.join("sig_md5.csr")),
        "-noout",
        "-text",
    ]);
    assert!(
        text.contains("md5WithRSAEncryption"),
        "openssl did not sign with MD5:\n{text}"
    );
    row("sig_md5.csr", Expect::Rejected(&["MD5"]));
    req(&rsa, "/CN=sha1", &["-sha1"], &intake.join("sig_sha1.csr"));
    row("sig_sha1.csr", Expect::Rejected(&["SHA-1"]));

    // Names.
    req(&ec, "/O=dev", &[], &intake.join("cn_empty.csr"));
    row("cn_empty.csr", Expect::Rejected(&["CN"]));
    req(&ec, "/CN=alice/CN=bob", &[], &intake.join("cn_twice.csr"));
    row("cn_twice.csr", Expect::Rejected(&["2 CN"]));
    req(
        &ec,
        "/CN=ali\u{1b}[31mce",
        &[],
        &intake.join("cn_escape.csr"),
    );
    row("cn_escape.csr", Expect::Rejected(&["control character"]));
    req(
        &ec,
        "/CN=alice\u{202e}nimda",
        &[],
        &intake.join("cn_bidi.csr"),
    );
    row("cn_bidi.csr", Expect::Rejected(&["bidirectional"]));
    // openssl refuses a CN over 64 characters: rcgen does not check.
    let key = rcgen::KeyPair::generate().expect("rcgen key");
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "c".repeat(65));
    let long = params.serialize_request(&key).expect("rcgen CSR");
    fs::write(intake.join("cn_65_chars.csr"), long.pem().expect("PEM")).expect("write");
    row(
        "cn_65_chars.csr",
        Expect::Rejected(&["65 characters", "64"]),
    );

    // Forbidden identities.
    req(
        &ec,
        "/O=dev/O=system:masters/CN=x",
        &[],
        &intake.join("group_masters.csr"),
    );
    row(
        "group_masters.csr",
        Expect::Rejected(&["system:masters", "forbidden"]),
    );
    req(
        &ec,
        "/O=dev+O=system:masters/CN=x",
        &["-multivalue-rdn"],
        &intake.join("group_masters_multivalued_rdn.csr"),
    );
    let subject = openssl(&[
        "req",
        "-in",
        path_str(&intake.join("group_masters_multivalued_rdn.csr")),
        "-noout",
        "-subject",
    ]);
    assert!(
        subject.contains("O = dev + O = system:masters"),
        "not a multi-valued RDN: {subject}"
    );
    row(
        "group_masters_multivalued_rdn.csr",
        Expect::Rejected(&["system:masters", "forbidden"]),
    );
    req(
        &ec,
        "/O=system:nodes/CN=x",
        &[],
        &intake.join("group_nodes.csr"),
    );
    row(
        "group_nodes.csr",
        Expect::Rejected(&["system:nodes", "forbidden"]),
    );
    req(
        &ec,
        "/CN=system:node:worker",
        &[],
        &intake.join("user_node.csr"),
    );
    row(
        "user_node.csr",
        Expect::Rejected(&["system:node:worker", "forbidden"]),
    );
    req(
        &ec,
        "/CN=system:kube-scheduler",
        &[],
        &intake.join("user_scheduler.csr"),
    );
    row(
        "user_scheduler.csr",
        Expect::Rejected(&["system:kube-scheduler", "forbidden"]),
    );
    req(
        &ec,
        "/CN=system:anonymous",
        &[],
        &intake.join("user_anonymous.csr"),
    );
    row(
        "user_anonymous.csr",
        Expect::Rejected(&["system:anonymous", "forbidden"]),
    );

    // Requested extensions.
    req(
        &ec,
        "/CN=wants-ca",
        &["-addext", "basicConstraints=critical,CA:TRUE"],
        &intake.join("ext_ca_true.csr"),
    );
    row("ext_ca_true.csr", Expect::Rejected(&["CA:TRUE"]));
    req(
        &ec,
        "/CN=wants-server",
        &[
            "-addext",
            "extendedKeyUsage=serverAuth",
            "-addext",
            "subjectAltName=DNS:x",
        ],
        &intake.join("ext_server_san.csr"),
    );
    row(
        "ext_server_san.csr",
        Expect::Accepted(&[
            &["serverAuth", "ignored"],
            &["subjectAltName", "DNS:x", "ignored"],
        ]),
    );

    // CertificateSigningRequest objects.
    let object_key = genkey(keys, "object", P256);
    let object = |file: &str, name: &str, signer: &str, usages: &[&str], extra: &str| {
        let pem = req(
            &object_key,
            &format!("/CN={name}"),
            &[],
            &keys.join(format!("{name}.csr")),
        );
        fs::write(
            intake.join(file),
            csr_object(name, &pem, signer, usages, extra),
        )
        .expect("write");
    };
    object(
        "object_signer.yaml",
        "obj-signer",
        "kubernetes.io/kubelet-serving",
        &["client auth"],
        "",
    );
    row(
        "object_signer.yaml",
        Expect::Rejected(&["signerName", "kubelet-serving"]),
    );
    object(
        "object_server_auth.yaml",
        "obj-server",
        CLIENT,
        &["client auth", "server auth"],
        "",
    );
    row(
        "object_server_auth.yaml",
        Expect::Rejected(&["server auth"]),
    );
    object(
        "object_expiration_599.yaml",
        "obj-599",
        CLIENT,
        &["client auth"],
        "  expirationSeconds: 599\n",
    );
    row(
        "object_expiration_599.yaml",
        Expect::Rejected(&["expirationSeconds", "599"]),
    );
    object(
        "object_username.yaml",
        "obj-user",
        CLIENT,
        &["client auth", "digital signature"],
        "  username: mallory\n",
    );
    row(
        "object_username.yaml",
        Expect::Accepted(&[&["spec.username", "mallory", "obj-user"]]),
    );
    rows
}

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one table of cases, read top to bottom"
)]
fn policy_cases_have_verdicts_and_reasons() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let keys = dir.path().join("keys");
    let media = dir.path().join("media");
    let intake = media.join("intake");
    let out = media.join("out");
    fs::create_dir_all(&keys).expect("keys");
    fs::create_dir_all(&intake).expect("intake");
    let rows = policy_intake(&keys, &intake);

    let (_, review) = review_json(&home, &intake);
    assert_no_failures("review", &check_rows(&review, &rows));
    assert_eq!(
        review["items"].as_array().map(Vec::len),
        Some(rows.len()),
        "one item per file"
    );

    // Names from the CSRs reach neither the JSON nor the terminal raw.
    let text = review_text(&home, &intake);
    for (what, bytes) in [
        ("review --json", &review.to_string().into_bytes()),
        ("review", &text.stdout),
    ] {
        let shown = String::from_utf8_lossy(bytes);
        assert!(
            !shown.contains('\u{1b}'),
            "{what} prints a raw ESC from a CN"
        );
        assert!(
            !shown.contains('\u{202e}'),
            "{what} prints a raw RIGHT-TO-LEFT OVERRIDE from a CN"
        );
    }

    // Signing follows the review: exit 3, the accepted signed, the rejected reported.
    let signed = sign(&home, &pass, &intake, &out, false);
    assert_eq!(
        signed.status.code(),
        Some(3),
        "sign with rejected items exits 3: {}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let report: Value =
        serde_json::from_slice(&fs::read(out.join("report.json")).expect("report.json"))
            .expect("report.json is JSON");
    let issued: Vec<&str> = report["issued"]
        .as_array()
        .expect("issued[]")
        .iter()
        .filter_map(|entry| entry["input"].as_str())
        .collect();
    let rejected: BTreeMap<&str, Vec<String>> = report["rejected"]
        .as_array()
        .expect("rejected[]")
        .iter()
        .map(|entry| {
            (
                entry["input"].as_str().expect("input"),
                strings(&entry["reasons"]),
            )
        })
        .collect();
    let items = items_by_input(&review);
    for (input, expect) in &rows {
        match expect {
            Expect::Accepted(_) => {
                assert!(
                    issued.contains(&input.as_str()),
                    "{input} accepted but not issued"
                );
            }
            Expect::Rejected(_) => {
                assert!(
                    !issued.contains(&input.as_str()),
                    "{input} rejected but issued"
                );
                assert_eq!(
                    rejected.get(input.as_str()),
                    Some(&strings(&items[input]["reasons"])),
                    "{input}: report.json gives the review's reasons"
                );
            }
        }
    }

    // serverAuth and SANs were requested and ignored: clientAuth only, no SAN.
    let text = openssl(&[
        "x509",
        "-in",
        path_str(&out.join("ext_server_san.crt")),
        "-noout",
        "-text",
    ]);
    assert!(
        !text.contains("Subject Alternative Name"),
        "a requested SAN was honoured:\n{text}"
    );
    assert!(
        text.contains("TLS Web Client Authentication"),
        "no clientAuth:\n{text}"
    );
    assert!(
        !text.contains("TLS Web Server Authentication"),
        "serverAuth was honoured:\n{text}"
    );
    assert!(text.contains("CA:FALSE"), "not CA:FALSE:\n{text}");
    let ca = crate::support::ca_cert(&home);
    openssl(&[
        "verify",
        "-purpose",
        "sslclient",
        "-CAfile",
        path_str(&ca),
        path_str(&out.join("ext_server_san.crt")),
    ]);
}

/// A CSR with an unsupported key or hash is validly self-signed: saying it "was altered"
/// sends the officer after a tampering that never happened.
#[test]
fn unsupported_keys_and_hashes_are_not_reported_as_tampered() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, _) = init_home(dir.path(), "ecdsa-p256");
    let keys = dir.path().join("keys");
    let intake = dir.path().join("intake");
    fs::create_dir_all(&keys).expect("keys");
    fs::create_dir_all(&intake).expect("intake");
    let rsa1024 = genkey(
        &keys,
        "rsa1024",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
    );
    req(&rsa1024, "/CN=rsa1024", &[], &intake.join("rsa1024.csr"));
    let p521 = genkey(
        &keys,
        "p521",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
    );
    req(&p521, "/CN=p521", &[], &intake.join("p521.csr"));
    let brainpool = genkey(
        &keys,
        "brainpool",
        &[
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:brainpoolP256r1",
        ],
    );
    req(
        &brainpool,
        "/CN=brainpool",
        &[],
        &intake.join("brainpool.csr"),
    );
    // A P-256 key signing its CSR with ecdsa-with-SHA512: valid, and a strong hash.
    let ec = genkey(&keys, "ec", P256);
    req(
        &ec,
        "/CN=p256-sha512",
        &["-sha512"],
        &intake.join("p256_sha512.csr"),
    );
    openssl(&[
        "req",
        "-in",
        path_str(&intake.join("p256_sha512.csr")),
        "-verify",
        "-noout",
    ]);

    let (_, review) = review_json(&home, &intake);
    let mut failures = Vec::new();
    for (input, item) in items_by_input(&review) {
        let reasons = strings(&item["reasons"]);
        if reasons.iter().any(|reason| reason.contains("altered")) {
            failures.push(format!("{input}: {reasons:?}"));
        }
    }
    assert_no_failures(
        "BUG (src/csr.rs UntrustedCsr::parse + src/policy.rs check_signature): a validly \
         self-signed CSR whose signature airlock cannot check (key outside ring's support: \
         RSA < 2048, P-521, brainpool; or ecdsa-with-SHA512, which csr.rs counts as Strong \
         but x509-parser/ring cannot verify) is reported as 'altered, or not signed by its \
         own key'",
        &failures,
    );
}

// ---------------------------------------------------------------------------------------
// Malformed and dangerous inputs
// ---------------------------------------------------------------------------------------

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one table of cases, read top to bottom"
)]
fn malformed_and_dangerous_inputs_are_refused_and_contained() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let keys = dir.path().join("keys");
    let outside = dir.path().join("outside");
    let media = dir.path().join("media");
    let intake = media.join("intake");
    let out = media.join("out");
    for folder in [&keys, &outside, &intake] {
        fs::create_dir_all(folder).expect("folder");
    }
    let ec = genkey(&keys, "ec", P256);
    let good = req(&ec, "/CN=good", &[], &keys.join("good.csr"));
    let mut rows: Vec<(String, Expect)> = Vec::new();
    let mut write = |name: &str, bytes: &[u8], expect: Expect| {
        fs::write(intake.join(name), bytes).expect("write");
        rows.push((name.to_owned(), expect));
    };

    write(
        "truncated.csr",
        &good[..good.len() / 2],
        Expect::Rejected(&["truncated"]),
    );
    let mut garbage: Vec<u8> = (0..4096u32)
        .map(|index| (index.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0])
        .collect();
    garbage[0] = 0xff;
    write(
        "garbage.bin",
        &garbage,
        Expect::Rejected(&["neither DER nor PEM"]),
    );
    garbage[0] = 0x30;
    write(
        "garbage.der",
        &garbage,
        Expect::Rejected(&["not a PKCS#10 CSR"]),
    );
    write("empty.csr", b"", Expect::Rejected(&["empty"]));
    write("blank.csr", b" \r\n\t\n", Expect::Rejected(&["empty"]));
    write(
        "five_megabytes.csr",
        &vec![b'A'; 5 * 1024 * 1024],
        Expect::Rejected(&["limit"]),
    );
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (name, previous) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        let refs = vec![format!("*{previous}"); 9].join(",");
        writeln!(bomb, "{name}: &{name} [{refs}]").expect("writing to a String cannot fail");
    }
    write(
        "alias_bomb.yaml",
        bomb.as_bytes(),
        Expect::Rejected(&["YAML", "alias"]),
    );
    write(
        "deep.json",
        "[".repeat(100_000).as_bytes(),
        Expect::Rejected(&["JSON"]),
    );
    write(
        "deep_list.json",
        "{\"kind\":\"List\",\"items\":[".repeat(20_000).as_bytes(),
        Expect::Rejected(&["JSON"]),
    );
    write(
        "deep_flow.yaml",
        format!("kind: {}", "[".repeat(100_000)).as_bytes(),
        Expect::Rejected(&["YAML"]),
    );
    let block = (0..1000).fold(String::new(), |mut text, depth| {
        writeln!(text, "{}k:", " ".repeat(depth)).expect("writing to a String cannot fail");
        text
    });
    write(
        "deep_block.yaml",
        block.as_bytes(),
        Expect::Rejected(&["YAML", "nests too deep"]),
    );
    let certificate = keys.join("cert.pem");
    openssl(&[
        "req",
        "-x509",
        "-key",
        path_str(&ec),
        "-subj",
        "/CN=cert",
        "-days",
        "1",
        "-out",
        path_str(&certificate),
    ]);
    let certificate = fs::read(&certificate).expect("cert");
    write(
        "certificate.csr",
        &certificate,
        Expect::Rejected(&["CERTIFICATE", "not a CSR"]),
    );
    write(
        "private_key.csr",
        &fs::read(&ec).expect("key"),
        Expect::Rejected(&["PRIVATE KEY", "not a CSR"]),
    );
    write(
        "configmap.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  request: x\n",
        Expect::Rejected(&["ConfigMap"]),
    );
    let bad_base64 = csr_object("bad-b64", b"", CLIENT, &["client auth"], "")
        .replace("  request: \n", "  request: \"!!not*base64@@\"\n");
    write(
        "bad_base64.yaml",
        bad_base64.as_bytes(),
        Expect::Rejected(&["base64"]),
    );
    write(
        "certificate_in_request.yaml",
        csr_object(
            "cert-in-request",
            &certificate,
            CLIENT,
            &["client auth"],
            "",
        )
        .as_bytes(),
        Expect::Rejected(&["CERTIFICATE REQUEST"]),
    );
    write(
        "wrong_api_version.yaml",
        csr_object("old", &good, CLIENT, &["client auth"], "")
            .replace("certificates.k8s.io/v1", "certificates.k8s.io/v1beta1")
            .as_bytes(),
        Expect::Rejected(&["apiVersion"]),
    );
    write(
        "nested_list.yaml",
        b"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items: []\n",
        Expect::Rejected(&["List inside a List"]),
    );
    write(
        "comments_only.yaml",
        b"# nothing here\n---\n",
        Expect::Rejected(&["no Kubernetes object"]),
    );

    // A valid CSR outside the folder, reached by a symbolic link: refused, not followed.
    fs::write(outside.join("outside.csr"), &good).expect("write");
    std::os::unix::fs::symlink(outside.join("outside.csr"), intake.join("link_outside.csr"))
        .expect("symlink");
    rows.push((
        "link_outside.csr".to_owned(),
        Expect::Rejected(&["symbolic link", "outside"]),
    ));
    std::os::unix::fs::symlink(
        "../../outside/outside.csr",
        intake.join("relative_link.csr"),
    )
    .expect("symlink");
    rows.push((
        "relative_link.csr".to_owned(),
        Expect::Rejected(&["symbolic link", "outside"]),
    ));
    std::os::unix::fs::symlink("/dev/zero", intake.join("dev_zero.csr")).expect("symlink");
    rows.push((
        "dev_zero.csr".to_owned(),
        Expect::Rejected(&["symbolic link"]),
    ));
    // A FIFO: opening it for reading would block forever.
    let fifo = intake.join("fifo.csr");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(status.success(), "mkfifo");
    rows.push(("fifo.csr".to_owned(), Expect::Rejected(&["FIFO"])));
    fs::create_dir(intake.join("subfolder")).expect("subfolder");
    fs::write(intake.join("subfolder").join("inner.csr"), &good).expect("write");
    rows.push(("subfolder".to_owned(), Expect::Rejected(&["folder"])));

    // Accepted, but with names that try to leave OUT or fool the terminal.
    let evil_key = genkey(&keys, "evil", P256);
    let evil = req(&evil_key, "/CN=evil", &[], &keys.join("evil.csr"));
    fs::write(
        intake.join("traversal.yaml"),
        csr_object("../../evil", &evil, CLIENT, &["client auth"], ""),
    )
    .expect("write");
    // A path-traversal object name is not a valid Kubernetes name: refused, nothing
    // written for it.
    rows.push((
        "traversal.yaml".to_owned(),
        Expect::Rejected(&["../../evil", "not a valid kubernetes object name"]),
    ));
    let named_key = genkey(&keys, "named", P256);
    let named = req(&named_key, "/CN=named", &[], &keys.join("named.csr"));
    let hostile_name = "\u{1b}[31mred\nline.csr";
    fs::write(intake.join(hostile_name), &named).expect("write");
    let names_before = sorted_names(&intake);

    let (review_output, review) = review_json(&home, &intake);
    assert_no_failures("review", &check_rows(&review, &rows));
    let items = items_by_input(&review);
    let hostile_item = items
        .values()
        .find(|item| item["user"] == "named")
        .expect("the CSR with a hostile file name is an item");
    assert_eq!(hostile_item["verdict"], "accepted");
    let text = review_text(&home, &intake);
    for (what, bytes) in [
        ("review --json", &review_output.stdout),
        ("review", &text.stdout),
    ] {
        assert!(
            !bytes.contains(&0x1b),
            "{what} prints a raw ESC from a file name"
        );
    }

    let signed = sign(&home, &pass, &intake, &out, false);
    assert_eq!(
        signed.status.code(),
        Some(3),
        "sign exits 3: {}",
        String::from_utf8_lossy(&signed.stderr)
    );

    // Nothing was written outside OUT; the intake and the outside folder are untouched.
    let mut beside: Vec<_> = fs::read_dir(&media)
        .expect("media")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    beside.sort();
    assert_eq!(
        beside,
        ["intake", "out"],
        "the parent of OUT holds only OUT and the intake"
    );
    let names_after = sorted_names(&intake);
    assert_eq!(names_before, names_after, "the intake folder was changed");
    let outside_files: Vec<_> = fs::read_dir(&outside).expect("outside").collect();
    assert_eq!(
        outside_files.len(),
        1,
        "something was written next to the symlink target"
    );
    for file in files_below(&out) {
        assert_eq!(
            file.parent(),
            Some(out.as_path()),
            "{} is below a sub-folder of OUT",
            file.display()
        );
        let name = file
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        assert!(
            !name.starts_with('.')
                && name
                    .chars()
                    .all(|character| character.is_ascii_alphanumeric() || "._-".contains(character)),
            "output name '{name}' is not reduced to [A-Za-z0-9._-] (or is a leftover temporary file)"
        );
    }
    let traversal_stem = items["traversal.yaml"]["stem"].as_str().expect("stem");
    assert!(!traversal_stem.contains('/'), "stem {traversal_stem}");
    for suffix in [".crt", ".csr.yaml"] {
        let path = out.join(format!("{traversal_stem}{suffix}"));
        assert!(
            !path.exists(),
            "{} written for a refused object",
            path.display()
        );
    }
    assert!(
        out.join("__31mred_line.crt").is_file(),
        "hostile file name not reduced as documented: {:?}",
        fs::read_dir(&out)
            .expect("out")
            .map(|entry| entry.expect("entry").file_name())
            .collect::<Vec<_>>()
    );

    // The CSR behind the symbolic link was never signed.
    let outside_sha = sha256_hex(&der_of_pem(&good));
    assert_eq!(
        issued_for_csr(&home, &outside_sha),
        0,
        "the CSR behind the symlink was signed"
    );
}

// ---------------------------------------------------------------------------------------
// Private keys on the media
// ---------------------------------------------------------------------------------------

/// Distinctive slices of `text[start..end]` (the part that holds the secret).
fn windows(text: &str, start: usize, end: usize, width: usize) -> Vec<Vec<u8>> {
    let bytes = text.as_bytes();
    let end = end.min(bytes.len());
    (start..end.saturating_sub(width))
        .step_by(4)
        .map(|offset| bytes[offset..offset + width].to_vec())
        .collect()
}

/// [`windows`] of a PEM body (lines joined), keeping only those within one 64-character
/// line: the file holds the body with line breaks.
fn pem_windows(body: &str, start: usize, end: usize, width: usize) -> Vec<Vec<u8>> {
    let bytes = body.as_bytes();
    let end = end.min(bytes.len());
    (start..end.saturating_sub(width))
        .filter(|offset| offset / 64 == (offset + width - 1) / 64)
        .step_by(4)
        .map(|offset| bytes[offset..offset + width].to_vec())
        .collect()
}

/// Where one of `needles` shows up: in `outputs` or in a file below `out`.
fn find_shown(needles: &[Vec<u8>], outputs: &[(&str, Vec<u8>)], out: &Path) -> Option<String> {
    let mut places: Vec<(String, Vec<u8>)> = outputs
        .iter()
        .map(|(what, bytes)| ((*what).to_owned(), bytes.clone()))
        .collect();
    if out.exists() {
        for file in files_below(out) {
            places.push((file.display().to_string(), fs::read(&file).expect("read")));
        }
    }
    for (what, bytes) in &places {
        for needle in needles {
            if bytes
                .windows(needle.len())
                .any(|window| window == needle.as_slice())
            {
                return Some(format!("'{}' in {what}", String::from_utf8_lossy(needle)));
            }
        }
    }
    None
}

/// PKCS#8 DER of a P-256 key: the secret scalar is bytes 36..68.
fn pkcs8_der(keys: &Path, key: &Path) -> Vec<u8> {
    let der = keys.join("key.p8.der");
    openssl(&[
        "pkcs8",
        "-topk8",
        "-nocrypt",
        "-in",
        path_str(key),
        "-outform",
        "DER",
        "-out",
        path_str(&der),
    ]);
    fs::read(&der).expect("PKCS#8 DER")
}

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one table of cases, read top to bottom"
)]
fn private_keys_on_the_media_are_refused_and_never_echoed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let keys = dir.path().join("keys");
    let intake = dir.path().join("intake");
    let out = dir.path().join("out");
    fs::create_dir_all(&keys).expect("keys");
    fs::create_dir_all(&intake).expect("intake");
    let ec = genkey(&keys, "ec", P256);
    let rsa = genkey(
        &keys,
        "rsa",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    let pkcs8 = fs::read_to_string(&ec).expect("key");
    let sec1 = openssl(&["pkey", "-in", path_str(&ec), "-traditional"]);
    let pkcs1 = openssl(&["pkey", "-in", path_str(&rsa), "-traditional"]);
    let der = pkcs8_der(&keys, &ec);
    let b64 = base64::engine::general_purpose::STANDARD;
    let csr = req(&ec, "/CN=carrier", &[], &keys.join("carrier.csr"));

    fs::write(intake.join("pkcs8.csr"), &pkcs8).expect("write");
    fs::write(intake.join("sec1.pem"), &sec1).expect("write");
    fs::write(intake.join("pkcs1.pem"), &pkcs1).expect("write");
    fs::write(intake.join("key.der"), &der).expect("write");
    fs::write(
        intake.join("kubeconfig.yaml"),
        format!(
            "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    client-key-data: {}\n",
            b64.encode(&pkcs8)
        ),
    )
    .expect("write");
    fs::write(
        intake.join("request_is_a_key.yaml"),
        csr_object("keyed", pkcs8.as_bytes(), CLIENT, &["client auth"], ""),
    )
    .expect("write");
    let mut bundle = pkcs8.clone();
    bundle.push_str(&String::from_utf8_lossy(&csr));
    fs::write(intake.join("key_and_csr.pem"), &bundle).expect("write");

    let rows: Vec<(String, Expect)> = vec![
        ("pkcs8.csr".to_owned(), Expect::Rejected(&["PRIVATE KEY"])),
        ("sec1.pem".to_owned(), Expect::Rejected(&["PRIVATE KEY"])),
        ("pkcs1.pem".to_owned(), Expect::Rejected(&["PRIVATE KEY"])),
        (
            "key.der".to_owned(),
            Expect::Rejected(&["not a PKCS#10 CSR"]),
        ),
        (
            "kubeconfig.yaml".to_owned(),
            Expect::Rejected(&["Config", "not a CertificateSigningRequest"]),
        ),
        (
            "request_is_a_key.yaml".to_owned(),
            Expect::Rejected(&["CERTIFICATE REQUEST"]),
        ),
        (
            "key_and_csr.pem#1".to_owned(),
            Expect::Rejected(&["PRIVATE KEY"]),
        ),
    ];
    let (review_output, review) = review_json(&home, &intake);
    assert_no_failures("review", &check_rows(&review, &rows));
    let text = review_text(&home, &intake);
    let signed = sign(&home, &pass, &intake, &out, true);
    assert_eq!(signed.status.code(), Some(3), "sign exits 3");

    // Only the parts that hold the secret: the public key is in the certificate too.
    let body = |pem: &str| -> String {
        pem.lines()
            .filter(|line| !line.starts_with("-----"))
            .collect()
    };
    let der_hex = hex(&der);
    let mut needles = Vec::new();
    needles.extend(pem_windows(&body(&pkcs8), 48, 91, 12)); // PKCS#8: secret in bytes 36..68
    needles.extend(pem_windows(&body(&sec1), 10, 52, 20)); // SEC1: secret in bytes 7..39
    needles.extend(pem_windows(&body(&pkcs1), 400, 1200, 20)); // PKCS#1: d and the primes
    needles.extend(windows(&b64.encode(&pkcs8), 100, 160, 20)); // base64 of the PEM
    needles.extend(windows(&der_hex, 72, 136, 24));
    needles.push(der[36..68].to_vec());
    // The needles are real: each one is in the intake (in key.der for the raw and hex
    // forms, which is checked through its hex dump).
    let mut sources: Vec<Vec<u8>> = fs::read_dir(&intake)
        .expect("intake")
        .map(|entry| fs::read(entry.expect("entry").path()).expect("read"))
        .collect();
    sources.push(der_hex.clone().into_bytes());
    for needle in &needles {
        assert!(
            sources.iter().any(|bytes| bytes
                .windows(needle.len())
                .any(|window| window == needle.as_slice())),
            "test bug: needle {:?} is in no input",
            String::from_utf8_lossy(needle)
        );
    }
    let shown = find_shown(
        &needles,
        &[
            ("review --json", review_output.stdout.clone()),
            ("review --json stderr", review_output.stderr.clone()),
            ("review", text.stdout.clone()),
            ("review stderr", text.stderr.clone()),
            ("sign --json", signed.stdout.clone()),
            ("sign stderr", signed.stderr.clone()),
        ],
        &out,
    );
    assert_eq!(shown, None, "private key material echoed");
}

/// `serde_json`'s "invalid type" errors quote the offending string, and intake.rs puts
/// the first 160 characters of that error into the reason: a base64 private key in a
/// wrongly typed field of a JSON object lands in the review and in report.json.
#[test]
fn key_material_in_a_wrongly_typed_json_field_is_not_echoed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let keys = dir.path().join("keys");
    let intake = dir.path().join("intake");
    let out = dir.path().join("out");
    fs::create_dir_all(&keys).expect("keys");
    fs::create_dir_all(&intake).expect("intake");
    let ec = genkey(&keys, "ec", P256);
    let key_b64 = base64::engine::general_purpose::STANDARD.encode(pkcs8_der(&keys, &ec));
    fs::write(
        intake.join("usages_is_a_key.json"),
        format!(
            "{{\"apiVersion\":\"certificates.k8s.io/v1\",\"kind\":\"CertificateSigningRequest\",\
             \"metadata\":{{\"name\":\"x\"}},\"spec\":{{\"usages\":\"{key_b64}\"}}}}"
        ),
    )
    .expect("write");
    fs::write(
        intake.join("metadata_is_a_key.json"),
        format!("{{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":\"{key_b64}\"}}"),
    )
    .expect("write");
    let (review_output, review) = review_json(&home, &intake);
    assert_no_failures(
        "review",
        &check_rows(
            &review,
            &[
                (
                    "usages_is_a_key.json".to_owned(),
                    Expect::Rejected(&["JSON"]),
                ),
                (
                    "metadata_is_a_key.json".to_owned(),
                    Expect::Rejected(&["JSON"]),
                ),
            ],
        ),
    );
    let signed = sign(&home, &pass, &intake, &out, false);
    assert_eq!(signed.status.code(), Some(3), "sign exits 3");
    let needles = windows(&key_b64, 48, 91, 20); // the secret scalar, bytes 36..68
    let shown = find_shown(&needles, &[("review --json", review_output.stdout)], &out);
    assert!(
        shown.is_none(),
        "BUG (src/intake.rs parse_file, JSON branch): private key material {} . The reason \
         embeds serde_json's error Display, which quotes the offending string value \
         ('invalid type: string \"MIGHAgEA...\"'), so ~100 characters of a private key reach \
         the review and OUT/report.json. Fix: build the reason from error.classify(), \
         error.line() and error.column() only (e.g. 'not a Kubernetes object in JSON: wrong \
         type or syntax at line L, column C').",
        shown.unwrap_or_default()
    );
}

// ---------------------------------------------------------------------------------------
// Duplicates and key reuse
// ---------------------------------------------------------------------------------------

#[test]
fn identical_csrs_in_one_batch_are_signed_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let keys = dir.path().join("keys");
    let intake = dir.path().join("intake");
    let out = dir.path().join("out");
    fs::create_dir_all(&keys).expect("keys");
    fs::create_dir_all(&intake).expect("intake");
    let ec = genkey(&keys, "ec", P256);
    let pem = req(&ec, "/O=dev/CN=twin", &[], &intake.join("first.csr"));
    fs::copy(intake.join("first.csr"), intake.join("second.csr")).expect("copy");
    let csr_sha = sha256_hex(&der_of_pem(&pem));

    let (_, review) = review_json(&home, &intake);
    assert_no_failures(
        "review",
        &check_rows(
            &review,
            &[
                ("first.csr".to_owned(), Expect::Accepted(&[])),
                (
                    "second.csr".to_owned(),
                    Expect::Accepted(&[&["first.csr", "once"]]),
                ),
            ],
        ),
    );
    let signed = sign(&home, &pass, &intake, &out, false);
    assert_eq!(
        signed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let report: Value =
        serde_json::from_slice(&fs::read(out.join("report.json")).expect("report")).expect("JSON");
    let issued = report["issued"].as_array().expect("issued");
    assert_eq!(issued.len(), 2, "both inputs are reported: {report}");
    assert_eq!(
        issued[0]["serial"], issued[1]["serial"],
        "one certificate for both: {report}"
    );
    for entry in issued {
        let cert = out.join(entry["cert"].as_str().expect("cert"));
        assert!(
            cert.is_file(),
            "{} named in report.json is missing",
            cert.display()
        );
    }
    assert_eq!(
        issued_for_csr(&home, &csr_sha),
        1,
        "ledger: exactly one cert.issued"
    );
    let crts = fs::read_dir(&out)
        .expect("out")
        .filter(|entry| {
            entry
                .as_ref()
                .is_ok_and(|entry| entry.file_name().to_string_lossy().ends_with(".crt"))
        })
        .count();
    assert_eq!(crts, 1, "one certificate file");
}

/// The same CSR as a plain file and inside a `CertificateSigningRequest` object: signed
/// once, but the object's requester still needs `<name>.csr.yaml` (CLI contract).
#[test]
fn duplicate_csr_in_an_object_still_gets_its_csr_yaml() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let keys = dir.path().join("keys");
    let intake = dir.path().join("intake");
    let out = dir.path().join("out");
    fs::create_dir_all(&keys).expect("keys");
    fs::create_dir_all(&intake).expect("intake");
    let ec = genkey(&keys, "ec", P256);
    let pem = req(&ec, "/CN=twin", &[], &intake.join("a_plain.csr"));
    fs::write(
        intake.join("b_object.yaml"),
        csr_object("bob", &pem, CLIENT, &["client auth"], ""),
    )
    .expect("write");
    let signed = sign(&home, &pass, &intake, &out, false);
    assert_eq!(
        signed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    assert_eq!(
        issued_for_csr(&home, &sha256_hex(&der_of_pem(&pem))),
        1,
        "signed once"
    );
    assert!(
        out.join("bob.csr.yaml").is_file(),
        "BUG (src/ops/batch.rs output_files): the CSR object 'bob' duplicates the plain CSR \
         a_plain.csr, and output_files writes '<name>.csr.yaml' only inside `if \
         approved.duplicate_of().is_none()`, so bob.csr.yaml (the object with \
         status.certificate) is never written. Fix: write the .csr.yaml for every approved \
         item that has an object, duplicate or not, from the ledger record's certificate. \
         OUT holds: {:?}",
        fs::read_dir(&out)
            .expect("out")
            .map(|entry| entry.expect("entry").file_name())
            .collect::<Vec<_>>()
    );
}

#[test]
fn key_that_already_holds_a_certificate_is_flagged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let keys = dir.path().join("keys");
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    fs::create_dir_all(&keys).expect("keys");
    fs::create_dir_all(&first).expect("first");
    fs::create_dir_all(&second).expect("second");
    let ec = genkey(&keys, "ec", P256);
    req(&ec, "/CN=alice", &[], &first.join("alice.csr"));
    let signed = sign(&home, &pass, &first, &dir.path().join("out1"), false);
    assert_eq!(signed.status.code(), Some(0));
    let report: Value = serde_json::from_slice(
        &fs::read(dir.path().join("out1").join("report.json")).expect("report"),
    )
    .expect("JSON");
    let serial = report["issued"][0]["serial"]
        .as_str()
        .expect("serial")
        .to_owned();

    req(&ec, "/CN=alice-laptop", &[], &second.join("laptop.csr"));
    let (_, review) = review_json(&home, &second);
    let item = &items_by_input(&review)["laptop.csr"];
    assert_eq!(item["verdict"], "accepted", "flagged, not rejected: {item}");
    let flags = strings(&item["flags"]);
    assert!(
        one_contains_all(
            &flags,
            &["already holds an unexpired certificate", &serial, "alice"]
        ),
        "no flag names the earlier certificate {serial}: {flags:?}"
    );
}

/// OUT is on the same untrusted media: a file or a dangling symbolic link planted under
/// an output name must stop the batch before anything is signed (exit 1, nothing
/// half-done), never after the ledger has recorded certificates that OUT then lacks.
#[test]
fn planted_outputs_stop_the_batch_before_signing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let keys = dir.path().join("keys");
    fs::create_dir_all(&keys).expect("keys");
    let mut failures = Vec::new();
    let cases: [(&str, &str, bool); 4] = [
        // (case, planted name, as a dangling symlink)
        ("crt", "zoe.crt", false),
        ("csr_yaml", "zoe.csr.yaml", false),
        ("report", "report.json", true),
        ("dangling_crt", "zoe.crt", true),
    ];
    for (case, planted, dangling) in cases {
        let intake = dir.path().join(format!("intake_{case}"));
        let out = dir.path().join(format!("out_{case}"));
        fs::create_dir_all(&intake).expect("intake");
        fs::create_dir_all(&out).expect("out");
        let key = genkey(&keys, case, P256);
        let pem = req(
            &key,
            &format!("/CN=zoe-{case}"),
            &[],
            &keys.join(format!("{case}.csr")),
        );
        fs::write(
            intake.join("zoe.yaml"),
            csr_object("zoe", &pem, CLIENT, &["client auth"], ""),
        )
        .expect("write");
        if dangling {
            std::os::unix::fs::symlink(dir.path().join("nowhere"), out.join(planted))
                .expect("symlink");
        } else {
            fs::write(out.join(planted), "planted\n").expect("plant");
        }
        let signed = sign(&home, &pass, &intake, &out, false);
        let issued = issued_for_csr(&home, &sha256_hex(&der_of_pem(&pem)));
        let mut left: Vec<_> = fs::read_dir(&out)
            .expect("out")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        left.sort();
        if signed.status.code() != Some(1) || issued != 0 || left != [planted] {
            failures.push(format!(
                "planted {planted}{}: exit {:?}, {issued} certificate(s) recorded in the \
                 ledger, OUT holds {left:?} ({})",
                if dangling { " (dangling symlink)" } else { "" },
                signed.status.code(),
                String::from_utf8_lossy(&signed.stderr).trim()
            ));
        }
    }
    assert_no_failures(
        "BUG (src/ops/batch.rs sign/preflight_outputs): preflight_outputs checks only \
         '<stem>.crt' and with Path::exists (which follows symlinks), and the report.json \
         guard also uses exists(); a planted '<name>.csr.yaml', or a dangling symlink named \
         report.json or '<stem>.crt', passes the preflight, so the batch is signed and \
         committed to the ledger, then write_outputs fails half-way (exit 1, OUT without \
         report.json/SHA256SUMS). Fix: before signing, build the full output list \
         (output_files names + report.json + SHA256SUMS) and refuse any name for which \
         fs::symlink_metadata succeeds, unless it is a regular file with the same bytes an \
         earlier run wrote",
        &failures,
    );
}
