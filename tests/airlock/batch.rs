//! The batch flow: an intake folder of every accepted format, reviewed, signed, written
//! back per the CLI contract, and re-run without issuing anything twice.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::support::{airlock, ca_cert, init_home, openssl, passphrase_file, require_tool};

const TIMEOUT: Duration = Duration::from_mins(1);
const CLIENT: &str = "kubernetes.io/kube-apiserver-client";
const P256: &[&str] = &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn os(text: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(text)
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

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
        "airlock {args:?} was killed (60 s timeout, or a crash): {stderr}"
    );
    output
}

fn review_json(home: &Path, intake: &Path, days: Option<u32>) -> Value {
    let days = days.map(|days| days.to_string());
    let mut args = vec![
        os("--home"),
        home.as_os_str(),
        os("--json"),
        os("review"),
        intake.as_os_str(),
    ];
    if let Some(days) = &days {
        args.extend([os("--days"), os(days)]);
    }
    let output = run(&args);
    // 3 when an item is rejected, as for sign (issue 10, item 12).
    assert!(
        matches!(output.status.code(), Some(0 | 3)),
        "review: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("review --json prints JSON")
}

/// `sign --json`: (exit code, printed report).
fn sign_json(
    home: &Path,
    pass: &Path,
    intake: &Path,
    out: &Path,
    days: Option<u32>,
) -> (i32, Value) {
    let days = days.map(|days| days.to_string());
    let mut args = vec![
        os("--home"),
        home.as_os_str(),
        os("--passphrase-file"),
        pass.as_os_str(),
        os("--json"),
        os("sign"),
        os("--yes"),
        intake.as_os_str(),
        os("--out"),
        out.as_os_str(),
    ];
    if let Some(days) = &days {
        args.extend([os("--days"), os(days)]);
    }
    let output = run(&args);
    let code = output.status.code().expect("exit code");
    assert!(
        code == 0 || code == 3,
        "sign failed ({code}): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value = serde_json::from_slice(&output.stdout).expect("sign --json prints JSON");
    (code, value)
}

fn audit_entries(home: &Path) -> Vec<Value> {
    let output = run(&[
        os("--home"),
        home.as_os_str(),
        os("--json"),
        os("audit"),
        os("show"),
    ]);
    assert!(output.status.success(), "audit show");
    let value: Value = serde_json::from_slice(&output.stdout).expect("audit show --json");
    value.as_array().expect("array").clone()
}

fn count_kind(home: &Path, kind: &str) -> usize {
    audit_entries(home)
        .iter()
        .filter(|entry| entry["kind"] == kind)
        .count()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(
        &fs::read(path)
            .map_err(|error| format!("{}: {error}", path.display()))
            .expect("the file was written"),
    )
    .expect("JSON")
}

fn names_in(folder: &Path) -> BTreeSet<String> {
    fs::read_dir(folder)
        .expect("read folder")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

fn genkey(keys: &Path, name: &str) -> PathBuf {
    fs::create_dir_all(keys).expect("keys folder");
    let key = keys.join(format!("{name}.key"));
    let mut args = vec!["genpkey"];
    args.extend_from_slice(P256);
    args.extend_from_slice(&["-out", path_str(&key)]);
    openssl(&args);
    key
}

/// A fresh P-256 key and a CSR for it; returns the CSR PEM.
fn csr(keys: &Path, name: &str, subject: &str) -> Vec<u8> {
    let key = genkey(keys, name);
    let out = keys.join(format!("{name}.csr"));
    openssl(&[
        "req",
        "-new",
        "-key",
        path_str(&key),
        "-subj",
        subject,
        "-out",
        path_str(&out),
    ]);
    fs::read(&out).expect("CSR")
}

fn der_of_pem(pem: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(pem);
    let body: String = text
        .lines()
        .map(str::trim)
        .skip_while(|line| !line.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|line| !line.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM body")
}

fn object_yaml(name: &str, csr_pem: &[u8], extra: &str) -> String {
    let request = base64::engine::general_purpose::STANDARD.encode(csr_pem);
    format!(
        "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: {name}\nspec:\n  request: {request}\n  signerName: {CLIENT}\n  usages:\n  - client auth\n  - digital signature\n{extra}"
    )
}

/// A parsed certificate's facts.
struct CertFacts {
    serial: String,
    cn: String,
    groups: Vec<String>,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

fn cert_facts(pem: &[u8]) -> CertFacts {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem).expect("PEM certificate");
    let cert = pem.parse_x509().expect("X.509 certificate");
    let serial = hex(cert.raw_serial());
    CertFacts {
        serial: serial.trim_start_matches("00").to_owned(),
        cn: cert
            .subject()
            .iter_common_name()
            .map(|cn| cn.as_str().expect("CN").to_owned())
            .collect::<Vec<_>>()
            .join(","),
        groups: cert
            .subject()
            .iter_organization()
            .map(|o| o.as_str().expect("O").to_owned())
            .collect(),
        not_before: cert.validity().not_before.to_datetime(),
        not_after: cert.validity().not_after.to_datetime(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut text, byte| {
        write!(text, "{byte:02x}").expect("writing to a String cannot fail");
        text
    })
}

fn rfc3339(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|error| format!("'{text}': {error}"))
        .expect("an RFC 3339 time")
}

// ---------------------------------------------------------------------------------------
// The mixed intake
// ---------------------------------------------------------------------------------------

/// (certificate file, CSR object file, user, groups) expected for an input.
type Expected = (
    &'static str,
    Option<&'static str>,
    &'static str,
    Vec<&'static str>,
);

/// The intake of every accepted format, plus one rejected CSR.
struct Mixed {
    /// input -> (expected certificate file, expected CSR object file, user, groups)
    accepted: BTreeMap<&'static str, Expected>,
    /// input -> CSR DER
    der: BTreeMap<&'static str, Vec<u8>>,
    rejected: Vec<&'static str>,
}

#[allow(clippy::too_many_lines, reason = "one scenario, read top to bottom")]
fn mixed_intake(keys: &Path, intake: &Path) -> Mixed {
    fs::create_dir_all(keys).expect("keys");
    fs::create_dir_all(intake).expect("intake");
    let mut der = BTreeMap::new();

    // PEM with CRLF line endings and text around the block.
    let alice = csr(keys, "alice", "/O=dev/O=ops/CN=alice");
    let crlf = String::from_utf8_lossy(&alice).replace('\n', "\r\n");
    fs::write(
        intake.join("alice.csr"),
        format!("Hello officer,\r\nplease sign:\r\n\r\n{crlf}\r\nThanks, Alice\r\n"),
    )
    .expect("write");
    der.insert("alice.csr", der_of_pem(&alice));

    // Two CSRs in one PEM file.
    let pat = csr(keys, "pat", "/O=dev/CN=pat");
    let quinn = csr(keys, "quinn", "/CN=quinn");
    fs::write(
        intake.join("pair.pem"),
        format!(
            "first:\n{}\nsecond:\n{}",
            String::from_utf8_lossy(&pat),
            String::from_utf8_lossy(&quinn)
        ),
    )
    .expect("write");
    der.insert("pair.pem#1", der_of_pem(&pat));
    der.insert("pair.pem#2", der_of_pem(&quinn));

    // DER.
    let carol = csr(keys, "carol", "/O=qa/CN=carol");
    fs::write(intake.join("carol.der"), der_of_pem(&carol)).expect("write");
    der.insert("carol.der", der_of_pem(&carol));

    // Several YAML documents.
    let dave = csr(keys, "dave", "/O=dev/CN=dave");
    let erin = csr(keys, "erin", "/CN=erin");
    fs::write(
        intake.join("objects.yaml"),
        format!(
            "# two requests\n---\n{}---\n{}",
            object_yaml(
                "dave",
                &dave,
                "  expirationSeconds: 864000\n  username: dave\n"
            ),
            object_yaml("erin", &erin, "")
        ),
    )
    .expect("write");
    der.insert("objects.yaml[dave]", der_of_pem(&dave));
    der.insert("objects.yaml[erin]", der_of_pem(&erin));

    // kind: List.
    let frank = csr(keys, "frank", "/CN=frank");
    let grace = csr(keys, "grace", "/O=ops/CN=grace");
    let indent = |text: String| -> String {
        text.lines()
            .enumerate()
            .map(|(index, line)| {
                if index == 0 {
                    format!("- {line}\n")
                } else {
                    format!("  {line}\n")
                }
            })
            .collect()
    };
    fs::write(
        intake.join("list.yaml"),
        format!(
            "apiVersion: v1\nkind: List\nitems:\n{}{}",
            indent(object_yaml("frank", &frank, "")),
            indent(object_yaml("grace", &grace, ""))
        ),
    )
    .expect("write");
    der.insert("list.yaml[frank]", der_of_pem(&frank));
    der.insert("list.yaml[grace]", der_of_pem(&grace));

    // JSON.
    let heidi = csr(keys, "heidi", "/CN=heidi");
    let json = serde_json::json!({
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": "heidi"},
        "spec": {
            "request": base64::engine::general_purpose::STANDARD.encode(&heidi),
            "signerName": CLIENT,
            "usages": ["client auth"],
        }
    });
    fs::write(
        intake.join("heidi.json"),
        serde_json::to_vec_pretty(&json).expect("JSON"),
    )
    .expect("write");
    der.insert("heidi.json", der_of_pem(&heidi));

    // Rejected: system:masters.
    let mallory = csr(keys, "mallory", "/O=system:masters/CN=mallory");
    fs::write(intake.join("mallory.csr"), &mallory).expect("write");

    let mut accepted = BTreeMap::new();
    accepted.insert(
        "alice.csr",
        ("alice.crt", None, "alice", vec!["dev", "ops"]),
    );
    accepted.insert("pair.pem#1", ("pair-1.crt", None, "pat", vec!["dev"]));
    accepted.insert("pair.pem#2", ("pair-2.crt", None, "quinn", vec![]));
    accepted.insert("carol.der", ("carol.crt", None, "carol", vec!["qa"]));
    accepted.insert(
        "objects.yaml[dave]",
        ("dave.crt", Some("dave.csr.yaml"), "dave", vec!["dev"]),
    );
    accepted.insert(
        "objects.yaml[erin]",
        ("erin.crt", Some("erin.csr.yaml"), "erin", vec![]),
    );
    accepted.insert(
        "list.yaml[frank]",
        ("frank.crt", Some("frank.csr.yaml"), "frank", vec![]),
    );
    accepted.insert(
        "list.yaml[grace]",
        ("grace.crt", Some("grace.csr.yaml"), "grace", vec!["ops"]),
    );
    accepted.insert(
        "heidi.json",
        ("heidi.crt", Some("heidi.csr.yaml"), "heidi", vec![]),
    );
    Mixed {
        accepted,
        der,
        rejected: vec!["mallory.csr"],
    }
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[test]
#[allow(clippy::too_many_lines, reason = "one scenario, read top to bottom")]
fn sign_writes_the_contract_outputs_for_every_format() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let intake = dir.path().join("intake");
    let out = dir.path().join("out");
    let mixed = mixed_intake(&dir.path().join("keys"), &intake);

    let review = review_json(&home, &intake, None);
    let verdicts: BTreeMap<String, String> = review["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            (
                item["input"].as_str().expect("input").to_owned(),
                item["verdict"].as_str().expect("verdict").to_owned(),
            )
        })
        .collect();
    let mut expected: BTreeMap<String, String> = mixed
        .accepted
        .keys()
        .map(|input| ((*input).to_owned(), "accepted".to_owned()))
        .collect();
    for input in &mixed.rejected {
        expected.insert((*input).to_owned(), "rejected".to_owned());
    }
    assert_eq!(verdicts, expected, "review verdicts per input");
    for field in ["digest", "accepted", "rejected"] {
        assert!(
            review.get(field).is_some(),
            "review --json has no '{field}'"
        );
    }
    assert_eq!(review["accepted"], mixed.accepted.len());
    assert_eq!(review["rejected"], mixed.rejected.len());
    for item in review["items"].as_array().expect("items") {
        for field in [
            "input",
            "verdict",
            "user",
            "groups",
            "reasons",
            "flags",
            "key",
            "profile",
            "lifetime_days",
            "not_after",
            "csr_sha256",
            "key_sha256",
        ] {
            assert!(
                item.get(field).is_some(),
                "review item has no '{field}': {item}"
            );
        }
    }
    for item in review["items"].as_array().expect("items") {
        if let Some(der) = mixed.der.get(item["input"].as_str().expect("input")) {
            let digest = ring::digest::digest(&ring::digest::SHA256, der);
            assert_eq!(
                item["csr_sha256"],
                hex(digest.as_ref()).as_str(),
                "csr_sha256 of {}",
                item["input"]
            );
        }
    }

    let (code, printed) = sign_json(&home, &pass, &intake, &out, None);
    assert_eq!(code, 3, "one rejected input: exit 3");

    // Exactly the contract's file names.
    let mut files: BTreeSet<String> = ["report.json", "SHA256SUMS"].map(str::to_owned).into();
    for (cert, object, _, _) in mixed.accepted.values() {
        files.insert((*cert).to_owned());
        if let Some(object) = object {
            files.insert((*object).to_owned());
        }
    }
    assert_eq!(names_in(&out), files, "files in OUT");

    // report.json: its shape, and every entry true to its certificate.
    let report = read_json(&out.join("report.json"));
    let keys: BTreeSet<&str> = report
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from(["issued", "rejected"]),
        "report.json keys"
    );
    assert_eq!(printed["report"], report, "sign --json prints report.json");
    let issued = report["issued"].as_array().expect("issued");
    assert_eq!(issued.len(), mixed.accepted.len(), "issued: {report}");
    let ca = ca_cert(&home);
    let now = OffsetDateTime::now_utc();
    for entry in issued {
        let fields: BTreeSet<&str> = entry
            .as_object()
            .expect("entry")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            fields,
            BTreeSet::from(["input", "serial", "user", "groups", "not_after", "cert"]),
            "issued entry fields"
        );
        let input = entry["input"].as_str().expect("input");
        let (cert_name, _, user, groups) = &mixed.accepted[input];
        assert_eq!(entry["cert"], *cert_name, "cert file of {input}");
        assert_eq!(entry["user"], *user, "user of {input}");
        assert_eq!(
            entry["groups"],
            serde_json::json!(groups),
            "groups of {input}"
        );
        let pem = fs::read(out.join(cert_name)).expect("certificate");
        let facts = cert_facts(&pem);
        assert_eq!(
            entry["serial"]
                .as_str()
                .expect("serial")
                .trim_start_matches("00"),
            facts.serial,
            "serial of {input}"
        );
        assert_eq!(facts.cn, *user, "certificate CN of {input}");
        assert_eq!(facts.groups, *groups, "certificate O of {input}");
        assert_eq!(
            rfc3339(entry["not_after"].as_str().expect("not_after")),
            facts.not_after,
            "not_after of {input}"
        );
        let days = (facts.not_after - now).whole_days();
        let expected_days = if input == "objects.yaml[dave]" { 9 } else { 89 };
        assert!(
            (expected_days..=expected_days + 1).contains(&days),
            "{input}: {days} days (dave asked 864000 s, the others get the human 90)"
        );
        openssl(&[
            "verify",
            "-purpose",
            "sslclient",
            "-CAfile",
            path_str(&ca),
            path_str(&out.join(cert_name)),
        ]);
    }
    let rejected = report["rejected"].as_array().expect("rejected");
    assert_eq!(rejected.len(), 1, "rejected: {report}");
    assert_eq!(rejected[0]["input"], "mallory.csr");
    let fields: BTreeSet<&str> = rejected[0]
        .as_object()
        .expect("entry")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(fields, BTreeSet::from(["input", "reasons"]));
    assert!(
        rejected[0]["reasons"]
            .to_string()
            .contains("system:masters"),
        "reason: {}",
        rejected[0]["reasons"]
    );

    // SHA256SUMS covers every other file and verifies.
    let sums = fs::read_to_string(out.join("SHA256SUMS")).expect("SHA256SUMS");
    let listed: BTreeSet<String> = sums
        .lines()
        .map(|line| {
            line.split_once("  ")
                .expect("'<hash>  <name>'")
                .1
                .to_owned()
        })
        .collect();
    let mut others = files.clone();
    others.remove("SHA256SUMS");
    assert_eq!(listed, others, "SHA256SUMS lists every other file");
    let check = std::process::Command::new("sha256sum")
        .args(["-c", "--strict", "SHA256SUMS"])
        .current_dir(&out)
        .output()
        .expect("sha256sum");
    assert!(
        check.status.success(),
        "sha256sum -c: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );

    // Each <name>.csr.yaml: the object, approved, with status.certificate = <name>.crt.
    let b64 = base64::engine::general_purpose::STANDARD;
    for (input, (cert_name, object, _, _)) in &mixed.accepted {
        let Some(object) = object else { continue };
        let name = object.trim_end_matches(".csr.yaml");
        let text = fs::read_to_string(out.join(object)).expect("object");
        let yaml: Value = serde_saphyr::from_str(&text)
            .map_err(|error| format!("{object}: {error}"))
            .expect("YAML");
        assert_eq!(yaml["apiVersion"], "certificates.k8s.io/v1", "{object}");
        assert_eq!(yaml["kind"], "CertificateSigningRequest", "{object}");
        assert_eq!(yaml["metadata"]["name"], name, "{object}");
        assert_eq!(yaml["spec"]["signerName"], CLIENT, "{object}");
        let certificate = b64
            .decode(
                yaml["status"]["certificate"]
                    .as_str()
                    .expect("status.certificate"),
            )
            .expect("status.certificate is base64");
        assert_eq!(
            certificate,
            fs::read(out.join(cert_name)).expect("crt"),
            "{object}: status.certificate is the base64 of {cert_name}"
        );
        let request = b64
            .decode(yaml["spec"]["request"].as_str().expect("spec.request"))
            .expect("spec.request is base64");
        assert_eq!(
            der_of_pem(&request),
            mixed.der[input],
            "{object}: spec.request is the CSR"
        );
        let conditions = yaml["status"]["conditions"].as_array().expect("conditions");
        assert!(
            conditions
                .iter()
                .any(|condition| condition["type"] == "Approved" && condition["status"] == "True"),
            "{object}: no Approved condition: {conditions:?}"
        );
    }
    let dave: Value =
        serde_saphyr::from_str(&fs::read_to_string(out.join("dave.csr.yaml")).expect("dave"))
            .expect("YAML");
    assert_eq!(
        dave["spec"]["expirationSeconds"], 864_000,
        "expirationSeconds kept"
    );
    assert_eq!(dave["spec"]["username"], "dave", "username kept");
    assert_eq!(
        dave["spec"]["usages"],
        serde_json::json!(["client auth", "digital signature"]),
        "usages kept"
    );
}

/// kubectl reads the CSR object airlock writes. `kubectl create --dry-run=client` needs
/// an API server even for a dry run (discovery), so the check uses `kubectl annotate
/// --local`, which decodes the file offline (it checks YAML, apiVersion and kind, not
/// the field types).
#[test]
#[ignore = "interop: needs kubectl (AIRLOCK_INTEROP=1 cargo test -- --include-ignored)"]
fn kubectl_reads_the_csr_objects() {
    require_tool("kubectl");
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let intake = dir.path().join("intake");
    let out = dir.path().join("out");
    mixed_intake(&dir.path().join("keys"), &intake);
    sign_json(&home, &pass, &intake, &out, None);
    for name in ["dave", "erin", "frank", "grace", "heidi"] {
        let file = out.join(format!("{name}.csr.yaml"));
        let output = std::process::Command::new("kubectl")
            .args([
                "annotate",
                "--local",
                "-f",
                path_str(&file),
                "airlock.test/checked=yes",
                "-o",
                "name",
            ])
            .env("KUBECONFIG", dir.path().join("no-kubeconfig"))
            .output()
            .expect("kubectl");
        assert!(
            output.status.success(),
            "kubectl refuses {}: {}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&output.stdout).trim(),
            format!("certificatesigningrequest.certificates.k8s.io/{name}")
        );
    }
}

#[test]
#[allow(clippy::too_many_lines, reason = "one scenario, read top to bottom")]
fn rerunning_a_batch_issues_nothing_twice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let intake = dir.path().join("intake");
    let out = dir.path().join("out");
    mixed_intake(&dir.path().join("keys"), &intake);

    let (first_code, _) = sign_json(&home, &pass, &intake, &out, None);
    let issued_after_first = count_kind(&home, "cert.issued");
    assert_eq!(issued_after_first, 9, "nine certificates issued");
    let snapshot: BTreeMap<String, Vec<u8>> = names_in(&out)
        .into_iter()
        .map(|name| {
            let bytes = fs::read(out.join(&name)).expect("read");
            (name, bytes)
        })
        .collect();

    // Same OUT: nothing new, same files, same exit code.
    let (second_code, printed) = sign_json(&home, &pass, &intake, &out, None);
    assert_eq!(second_code, first_code, "same exit code on a re-run");
    assert_eq!(
        count_kind(&home, "cert.issued"),
        issued_after_first,
        "ledger: nothing issued twice"
    );
    assert_eq!(printed["newly_signed"], 0, "{printed}");
    let again: BTreeMap<String, Vec<u8>> = names_in(&out)
        .into_iter()
        .map(|name| {
            let bytes = fs::read(out.join(&name)).expect("read");
            (name, bytes)
        })
        .collect();
    assert!(
        again == snapshot,
        "a re-run into the same OUT changed its files"
    );

    // New OUT: the same certificates handed back.
    let out2 = dir.path().join("out2");
    let (third_code, _) = sign_json(&home, &pass, &intake, &out2, None);
    assert_eq!(third_code, first_code);
    assert_eq!(
        count_kind(&home, "cert.issued"),
        issued_after_first,
        "ledger: nothing issued twice"
    );
    let serials = |folder: &Path| -> BTreeMap<String, String> {
        read_json(&folder.join("report.json"))["issued"]
            .as_array()
            .expect("issued")
            .iter()
            .map(|entry| {
                (
                    entry["input"].as_str().expect("input").to_owned(),
                    entry["serial"].as_str().expect("serial").to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(serials(&out), serials(&out2), "same serials in a new OUT");
    for (name, bytes) in &snapshot {
        if Path::new(name)
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("crt"))
        {
            assert_eq!(
                &fs::read(out2.join(name)).expect("crt"),
                bytes,
                "{name} handed back"
            );
        }
    }
    assert_eq!(
        fs::read(out.join("report.json")).expect("report"),
        fs::read(out2.join("report.json")).expect("report"),
        "report.json identical"
    );
    let verify = run(&[os("--home"), home.as_os_str(), os("audit"), os("verify")]);
    assert!(verify.status.success(), "audit verify after re-runs");

    // A batch with a new CSR is refused in a finished OUT, and writes nothing.
    fs::write(
        intake.join("zed.csr"),
        csr(&dir.path().join("keys"), "zed", "/CN=zed"),
    )
    .expect("write");
    let output = run(&[
        os("--home"),
        home.as_os_str(),
        os("--passphrase-file"),
        pass.as_os_str(),
        os("sign"),
        os("--yes"),
        intake.as_os_str(),
        os("--out"),
        out.as_os_str(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "new CSRs into a finished OUT: error"
    );
    assert_eq!(
        count_kind(&home, "cert.issued"),
        issued_after_first,
        "nothing signed"
    );
    assert_eq!(
        names_in(&out),
        snapshot.keys().cloned().collect(),
        "nothing written"
    );
}

#[test]
fn exit_code_is_zero_when_nothing_is_rejected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let intake = dir.path().join("intake");
    let keys = dir.path().join("keys");
    fs::create_dir_all(&intake).expect("intake");
    fs::create_dir_all(&keys).expect("keys");
    fs::write(intake.join("a.csr"), csr(&keys, "a", "/CN=a")).expect("write");
    fs::write(intake.join("b.pem"), csr(&keys, "b", "/O=dev/CN=b")).expect("write");
    let (code, printed) = sign_json(&home, &pass, &intake, &dir.path().join("out"), None);
    assert_eq!(code, 0, "{printed}");
    assert_eq!(printed["report"]["rejected"], serde_json::json!([]));
    assert_eq!(printed["newly_signed"], 2);
}

#[test]
fn human_profile_caps_days_at_90_with_a_flag() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let intake = dir.path().join("intake");
    let keys = dir.path().join("keys");
    fs::create_dir_all(&intake).expect("intake");
    fs::write(
        intake.join("alice.csr"),
        csr(&keys, "alice", "/O=dev/CN=alice"),
    )
    .expect("write");
    let out = dir.path().join("out");
    let (code, printed) = sign_json(&home, &pass, &intake, &out, Some(400));
    assert_eq!(code, 0);
    let item = &printed["review"]["items"][0];
    assert_eq!(item["profile"], "human", "{item}");
    assert_eq!(item["lifetime_days"], 90, "{item}");
    assert!(
        item["flags"].as_array().expect("flags").iter().any(|flag| {
            let flag = flag.as_str().unwrap_or("");
            flag.contains("400") && flag.contains("90")
        }),
        "no flag says 400 days became 90: {}",
        item["flags"]
    );
    let facts = cert_facts(&fs::read(out.join("alice.crt")).expect("crt"));
    let lifetime = facts.not_after - facts.not_before;
    assert!(
        lifetime <= time::Duration::days(90) + time::Duration::minutes(5),
        "certificate lives {lifetime}"
    );
    assert!(
        lifetime >= time::Duration::days(90),
        "certificate lives {lifetime}"
    );
}

#[test]
fn automation_profile_gets_up_to_730_days_never_past_the_ca() {
    // A CA for 365 days: 700 days are asked, the CA's end is granted.
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    let pass = passphrase_file(dir.path());
    let init = run(&[
        os("--home"),
        home.as_os_str(),
        os("--passphrase-file"),
        pass.as_os_str(),
        os("init"),
        os("--cn"),
        os("short-ca"),
        os("--days"),
        os("365"),
        os("--scrypt-work-factor"),
        os("14"),
    ]);
    assert!(
        init.status.success(),
        "init: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    let keys = dir.path().join("keys");
    let intake = dir.path().join("intake");
    fs::create_dir_all(&intake).expect("intake");
    fs::write(
        intake.join("bot.csr"),
        csr(&keys, "bot", "/O=system:automation/CN=bot"),
    )
    .expect("write");
    let out = dir.path().join("out");
    let (code, printed) = sign_json(&home, &pass, &intake, &out, Some(700));
    assert_eq!(code, 0, "{printed}");
    let item = &printed["review"]["items"][0];
    assert_eq!(item["profile"], "automation", "{item}");
    assert!(
        item["flags"].to_string().contains("CA"),
        "no flag says the CA's end cut the lifetime: {}",
        item["flags"]
    );
    let ca = fs::read(ca_cert(&home)).expect("CA");
    let ca_not_after = cert_facts(&ca).not_after;
    let facts = cert_facts(&fs::read(out.join("bot.crt")).expect("crt"));
    assert_eq!(facts.not_after, ca_not_after, "capped at the CA's notAfter");

    // A long-lived CA: 700 days granted as asked, 800 capped to 730.
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    for (days, granted, flagged) in [(700, 700, false), (800, 730, true)] {
        let intake = dir.path().join(format!("intake{days}"));
        fs::create_dir_all(&intake).expect("intake");
        let name = format!("bot{days}");
        fs::write(
            intake.join(format!("{name}.csr")),
            csr(
                &keys,
                &name,
                &format!("/O=dev/O=system:automation/CN={name}"),
            ),
        )
        .expect("write");
        let out = dir.path().join(format!("out{days}"));
        let (code, printed) = sign_json(&home, &pass, &intake, &out, Some(days));
        assert_eq!(code, 0, "{printed}");
        let item = &printed["review"]["items"][0];
        assert_eq!(item["profile"], "automation", "{item}");
        assert_eq!(item["lifetime_days"], granted, "{item}");
        let has_flag = item["flags"].to_string().contains("730");
        assert_eq!(has_flag, flagged, "flag for {days} days: {}", item["flags"]);
        let facts = cert_facts(&fs::read(out.join(format!("{name}.crt"))).expect("crt"));
        assert_eq!(
            facts.not_after - facts.not_before,
            time::Duration::days(granted) + time::Duration::minutes(5),
            "{name}"
        );
    }
}

#[test]
fn review_equals_the_review_that_sign_follows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let intake = dir.path().join("intake");
    mixed_intake(&dir.path().join("keys"), &intake);
    let review = review_json(&home, &intake, None);
    let (_, printed) = sign_json(&home, &pass, &intake, &dir.path().join("out"), None);
    let signed = &printed["review"];
    for field in ["intake", "digest", "accepted", "rejected", "ca"] {
        assert_eq!(review[field], signed[field], "{field}");
    }
    let items = review["items"].as_array().expect("items");
    let signed_items = signed["items"].as_array().expect("items");
    assert_eq!(items.len(), signed_items.len());
    for (alone, followed) in items.iter().zip(signed_items) {
        // The two runs read the clock a moment apart: not_after may differ by seconds.
        let mut alone = alone.clone();
        let mut followed = followed.clone();
        let a = rfc3339(alone["not_after"].as_str().expect("not_after"));
        let b = rfc3339(followed["not_after"].as_str().expect("not_after"));
        assert!(
            (b - a).abs() < time::Duration::minutes(2),
            "not_after {a} vs {b}"
        );
        alone["not_after"] = Value::Null;
        followed["not_after"] = Value::Null;
        assert_eq!(alone, followed, "review item vs sign's review item");
    }
}

#[test]
fn batch_digest_is_stable_and_changes_with_the_batch() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let intake = dir.path().join("intake");
    let keys = dir.path().join("keys");
    mixed_intake(&keys, &intake);
    let first = review_json(&home, &intake, None)["digest"].clone();
    let second = review_json(&home, &intake, None)["digest"].clone();
    assert_eq!(first, second, "digest stable across runs");
    let digest = first.as_str().expect("digest");
    assert!(
        digest.len() >= 16 && digest.chars().all(|c| c.is_ascii_hexdigit() || c == '-'),
        "short, readable digest: {digest}"
    );
    let (_, printed) = sign_json(&home, &pass, &intake, &dir.path().join("out"), None);
    assert_eq!(
        printed["review"]["digest"], first,
        "sign shows the same digest"
    );
    let batch_entries: Vec<Value> = audit_entries(&home)
        .into_iter()
        .filter(|entry| entry["kind"] == "batch.signed")
        .collect();
    assert_eq!(batch_entries.len(), 1);
    assert_eq!(
        batch_entries[0]["payload"]["batch"], first,
        "the ledger records the digest"
    );
    // After signing, the digest of the same batch is unchanged.
    assert_eq!(
        review_json(&home, &intake, None)["digest"],
        first,
        "digest stable after sign"
    );

    fs::write(intake.join("zed.csr"), csr(&keys, "zed", "/CN=zed")).expect("write");
    let grown = review_json(&home, &intake, None)["digest"].clone();
    assert_ne!(grown, first, "a CSR added changes the digest");
}
