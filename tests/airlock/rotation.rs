//! The dual-CA rotation, driven through the CLI: every legal transition
//! (`begin` stable -> overlap, `reissue` -> reissued, `finish` -> stable with the new CA,
//! `abort` overlap -> stable with the old CA) and every illegal one; the
//! `--client-ca-file` bundle of each phase, checked with openssl; reissued twins; the
//! finish guard, forcing and key destruction; importing the new CA; an interrupted
//! reissue resumed without duplicates; and CA renewal, which is not a rotation.
//!
//! Every test ends with `airlock audit verify` exiting 0 (see [`Lab`]'s `Drop`), and most
//! steps check it on the way.
//!
//! The fixture [`Lab`] and the openssl helpers here are shared with `lifecycle.rs`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::support::{airlock, init_home, openssl, openssl_csr};

const TIMEOUT: Duration = Duration::from_mins(2);
/// openssl `genpkey` arguments for a P-256 key.
pub(crate) const P256: &[&str] = &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];

// ---------------------------------------------------------------------------------------
// Fixture and helpers (shared with lifecycle.rs)
// ---------------------------------------------------------------------------------------

pub(crate) fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A certificate signed through `airlock sign`, with the openssl key it was made for.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub serial: String,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A CA home made by `init_home` (scrypt work factor 14) in a temporary folder, and the
/// commands run against it. On drop (unless the test already failed), `airlock audit
/// verify` must exit 0.
pub(crate) struct Lab {
    pub dir: TempDir,
    pub home: PathBuf,
    pub pass: PathBuf,
}

impl Drop for Lab {
    fn drop(&mut self) {
        if !std::thread::panicking() && self.home.join("ledger.jsonl").exists() {
            self.verify_ledger();
        }
    }
}

impl Lab {
    /// A home with an ECDSA P-256 CA named `test-ca`.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("airlock-lifecycle-")
            .tempdir()
            .expect("temp dir");
        let (home, pass) = init_home(dir.path(), "ecdsa-p256");
        Self { dir, home, pass }
    }

    /// A path inside the lab's temporary folder (not inside the home).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `airlock --home H --passphrase-file P ARGS`; asserts it ended without a panic.
    pub fn run(&self, args: &[&str]) -> Output {
        let output = airlock()
            .arg("--home")
            .arg(&self.home)
            .arg("--passphrase-file")
            .arg(&self.pass)
            .args(args)
            .timeout(TIMEOUT)
            .output()
            .unwrap_or_else(|error| panic!("airlock {args:?} did not finish: {error}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !stderr.contains("panicked"),
            "airlock {args:?} panicked:\n{stderr}"
        );
        output
    }

    /// Runs a command that must exit 0, then checks the ledger; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "airlock {args:?} failed:\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        self.verify_ledger();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Runs a command with `--json` that must exit with `code`; returns the printed JSON.
    pub fn json_code(&self, args: &[&str], code: i32) -> Value {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let output = self.run(&full);
        assert_eq!(
            output.status.code(),
            Some(code),
            "airlock {full:?}:\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        self.verify_ledger();
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|error| panic!("airlock {full:?} printed no JSON: {error}"))
    }

    /// Runs a command with `--json` that must exit 0; returns the printed JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        self.json_code(args, 0)
    }

    /// Runs a command that must exit with `code` (1 refused, 2 usage) and change nothing
    /// in the ledger; returns stderr.
    pub fn refused(&self, args: &[&str], code: i32) -> String {
        let before = self.ledger_bytes();
        let output = self.run(args);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            output.status.code(),
            Some(code),
            "airlock {args:?} should exit {code}:\nstdout: {}\nstderr: {stderr}",
            String::from_utf8_lossy(&output.stdout),
        );
        assert_eq!(
            before,
            self.ledger_bytes(),
            "airlock {args:?} was refused but changed the ledger"
        );
        self.verify_ledger();
        stderr
    }

    pub fn ledger_bytes(&self) -> Vec<u8> {
        fs::read(self.home.join("ledger.jsonl")).unwrap_or_default()
    }

    /// `airlock audit verify` must exit 0.
    pub fn verify_ledger(&self) {
        let output = airlock()
            .arg("--home")
            .arg(&self.home)
            .args(["audit", "verify"])
            .timeout(TIMEOUT)
            .output()
            .expect("audit verify runs");
        assert_eq!(
            output.status.code(),
            Some(0),
            "audit verify failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Every ledger entry (`audit show --json`).
    pub fn entries(&self) -> Vec<Value> {
        self.json(&["audit", "show"])
            .as_array()
            .expect("audit show prints an array")
            .clone()
    }

    /// The ledger entries of one kind.
    pub fn entries_of(&self, kind: &str) -> Vec<Value> {
        self.entries()
            .into_iter()
            .filter(|entry| entry["kind"] == kind)
            .collect()
    }

    /// `rotate status --json`.
    pub fn status(&self) -> Value {
        self.json(&["rotate", "status"])
    }

    /// The rotation phase name.
    pub fn phase(&self) -> String {
        self.status()["phase"]
            .as_str()
            .expect("phase is a string")
            .to_owned()
    }

    /// `status --json`'s CAs.
    pub fn cas(&self) -> Vec<Value> {
        self.json(&["status"])["cas"]
            .as_array()
            .expect("status lists CAs")
            .clone()
    }

    /// The id of the CA with this role (`active`, `incoming`, `retired`, `superseded`).
    pub fn ca_id(&self, role: &str) -> String {
        let cas = self.cas();
        let found: Vec<&Value> = cas.iter().filter(|ca| ca["role"] == role).collect();
        assert_eq!(found.len(), 1, "exactly one CA with role {role}: {cas:#?}");
        found[0]["id"].as_str().expect("id").to_owned()
    }

    /// `cas/<id>/ca.crt`.
    pub fn ca_file(&self, id: &str) -> PathBuf {
        self.home.join("cas").join(id).join("ca.crt")
    }

    /// `cas/<id>/ca.key.age`.
    pub fn ca_key_file(&self, id: &str) -> PathBuf {
        self.home.join("cas").join(id).join("ca.key.age")
    }

    /// Makes openssl keys and CSRs for `clients` (file stem, `-subj`) in a fresh intake
    /// folder named `batch`, signs them into `<batch>-out` with extra `sign` arguments,
    /// and returns them in the order given.
    pub fn sign_with(&self, batch: &str, clients: &[(&str, &str)], extra: &[&str]) -> Vec<Client> {
        let intake = self.path(batch);
        let keys = self.path(&format!("{batch}-keys"));
        fs::create_dir_all(&intake).expect("intake folder");
        fs::create_dir_all(&keys).expect("keys folder");
        for (name, subject) in clients {
            let csr = openssl_csr(&keys, name, P256, subject);
            fs::copy(&csr, intake.join(format!("{name}.csr"))).expect("copy CSR");
        }
        let out = self.path(&format!("{batch}-out"));
        let mut args = vec!["sign", "--yes", path_str(&intake), "--out", path_str(&out)];
        args.extend_from_slice(extra);
        let report = self.json(&args);
        let issued = report["report"]["issued"].as_array().expect("issued");
        assert_eq!(
            issued.len(),
            clients.len(),
            "every CSR is signed: {report:#}"
        );
        clients
            .iter()
            .map(|(name, _)| {
                let entry = issued
                    .iter()
                    .find(|entry| entry["input"] == format!("{name}.csr"))
                    .unwrap_or_else(|| panic!("{name} in the report"));
                Client {
                    serial: entry["serial"].as_str().expect("serial").to_owned(),
                    cert: out.join(entry["cert"].as_str().expect("cert")),
                    key: keys.join(format!("{name}.key")),
                }
            })
            .collect()
    }

    /// [`Lab::sign_with`] with the default lifetime.
    pub fn sign(&self, batch: &str, clients: &[(&str, &str)]) -> Vec<Client> {
        self.sign_with(batch, clients, &[])
    }

    /// Writes the current bundle with `airlock bundle --out` to a new file named `name`.
    pub fn bundle(&self, name: &str, annotate: bool) -> PathBuf {
        let out = self.path(name);
        let mut args = vec!["bundle", "--out", path_str(&out)];
        if annotate {
            args.push("--annotate");
        }
        self.ok(&args);
        out
    }

    /// Starts a rotation to a generated CA named `new-ca`.
    pub fn begin(&self) -> Value {
        self.json(&[
            "rotate",
            "begin",
            "--yes",
            "--cn",
            "new-ca",
            "--scrypt-work-factor",
            "14",
        ])
    }
}

/// openssl's SHA-256 fingerprint of a certificate file (upper-case hex with colons).
pub(crate) fn fingerprint(cert: &Path) -> String {
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
        .expect("fingerprint line")
        .1
        .to_owned()
}

/// The PEM public key of a certificate, as openssl prints it.
pub(crate) fn cert_pubkey(cert: &Path) -> String {
    openssl(&["x509", "-in", path_str(cert), "-noout", "-pubkey"])
}

/// The public key of a private key file, as openssl prints it.
pub(crate) fn key_pubkey(key: &Path) -> String {
    openssl(&["pkey", "-in", path_str(key), "-pubout"])
}

/// A certificate's subject or issuer (`-subject` / `-issuer`), RFC 2253.
pub(crate) fn name_of(cert: &Path, which: &str) -> String {
    openssl(&[
        "x509",
        "-in",
        path_str(cert),
        "-noout",
        which,
        "-nameopt",
        "RFC2253",
    ])
    .trim()
    .split_once('=')
    .expect("name line")
    .1
    .to_owned()
}

/// The hex of an extension's key identifier (`subjectKeyIdentifier` or
/// `authorityKeyIdentifier`), upper case, no colons.
pub(crate) fn key_id(cert: &Path, extension: &str) -> String {
    let out = openssl(&["x509", "-in", path_str(cert), "-noout", "-ext", extension]);
    let id: String = out
        .lines()
        .skip(1)
        .collect::<String>()
        .replace("keyid:", "")
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect();
    assert!(id.len() >= 16, "{extension} of {}: {out}", cert.display());
    id.to_ascii_uppercase()
}

/// The serial of a certificate file, lower-case hex as airlock writes it.
pub(crate) fn serial_of(cert: &Path) -> String {
    openssl(&["x509", "-in", path_str(cert), "-noout", "-serial"])
        .trim()
        .trim_start_matches("serial=")
        .to_ascii_lowercase()
}

/// `notAfter` of a certificate file, as openssl prints it.
pub(crate) fn end_date(cert: &Path) -> String {
    openssl(&["x509", "-in", path_str(cert), "-noout", "-enddate"])
        .trim()
        .to_owned()
}

/// Whether `openssl verify -purpose sslclient -CAfile ca cert` accepts the certificate.
pub(crate) fn verifies(ca: &Path, cert: &Path) -> bool {
    let output = Command::new("openssl")
        .args([
            "verify",
            "-purpose",
            "sslclient",
            "-CAfile",
            path_str(ca),
            path_str(cert),
        ])
        .output()
        .expect("openssl runs");
    output.status.success() && String::from_utf8_lossy(&output.stdout).contains(": OK")
}

/// The `CERTIFICATE` blocks of a PEM file, each as its own PEM text.
pub(crate) fn pem_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line == "-----BEGIN CERTIFICATE-----" {
            current = Some(format!("{line}\n"));
        } else if let Some(block) = current.as_mut() {
            block.push_str(line);
            block.push('\n');
            if line == "-----END CERTIFICATE-----" {
                blocks.push(current.take().expect("block"));
            }
        }
    }
    blocks
}

/// The openssl fingerprints of every certificate in a bundle, in file order. Asserts
/// that the bundle holds only `CERTIFICATE` blocks (and, if `comments_allowed`, `#`
/// comment lines between them).
pub(crate) fn bundle_fingerprints(
    bundle: &Path,
    scratch: &Path,
    comments_allowed: bool,
) -> Vec<String> {
    let text = fs::read_to_string(bundle).expect("read bundle");
    let mut inside = false;
    for line in text.lines() {
        match line {
            "-----BEGIN CERTIFICATE-----" => inside = true,
            "-----END CERTIFICATE-----" => inside = false,
            _ if inside => {}
            _ if comments_allowed && line.starts_with('#') => {}
            other => panic!("unexpected line between the blocks of the bundle: {other:?}"),
        }
    }
    assert_eq!(
        text.matches("-----BEGIN").count(),
        text.matches("-----BEGIN CERTIFICATE-----").count(),
        "only CERTIFICATE blocks in the bundle"
    );
    fs::create_dir_all(scratch).expect("scratch folder");
    pem_blocks(&text)
        .iter()
        .enumerate()
        .map(|(index, block)| {
            let file = scratch.join(format!("block-{index}.pem"));
            fs::write(&file, block).expect("write block");
            fingerprint(&file)
        })
        .collect()
}

/// The serials of `report.json`'s issued entries, in order.
pub(crate) fn report_serials(report: &Value) -> Vec<String> {
    report["issued"]
        .as_array()
        .expect("issued")
        .iter()
        .map(|entry| entry["serial"].as_str().expect("serial").to_owned())
        .collect()
}

/// Runs `sha256sum -c SHA256SUMS` in `folder`; asserts it passes.
pub(crate) fn sha256sums_pass(folder: &Path) {
    let output = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(folder)
        .output()
        .expect("sha256sum runs");
    assert!(
        output.status.success(),
        "sha256sum -c in {}: {}{}",
        folder.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).expect("read JSON")).expect("JSON")
}

fn parse_time(text: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(text.as_str().expect("time string"), &Rfc3339).expect("RFC 3339")
}

/// The `.crt` files of a folder, by name.
fn crt_names(folder: &Path) -> BTreeSet<String> {
    fs::read_dir(folder)
        .expect("read folder")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| Path::new(name).extension().is_some_and(|ext| ext == "crt"))
        .collect()
}

const CHECKLIST_TARGETS: [&str; 7] = [
    "kube-apiserver --client-ca-file",
    "kube-scheduler",
    "kube-controller-manager",
    "kubelet clientCAFile",
    "certificate-authority-data",
    "--root-ca-file",
    "kube-public/cluster-info",
];

/// Every phase change prints the deployment checklist, naming each place the bundle goes
/// and warning that `--cluster-signing-cert-file` cannot take a bundle.
fn assert_checklist(report: &Value) {
    let text = report["checklist"].to_string();
    for target in CHECKLIST_TARGETS {
        assert!(text.contains(target), "checklist names {target}: {text}");
    }
    assert!(
        text.contains("--cluster-signing-cert-file") && text.contains("never a bundle"),
        "checklist warns about --cluster-signing-cert-file: {text}"
    );
}

// ---------------------------------------------------------------------------------------
// Legal transitions and bundles
// ---------------------------------------------------------------------------------------

/// The whole rotation, stable -> overlap -> reissued -> stable(new): each step is its own
/// sealed ledger entry; the bundle holds the old CA, then old + new (old first), then
/// the new CA alone, exactly the CA certificates openssl fingerprints; an annotated
/// bundle still works with `openssl verify`; old client certificates verify against the
/// overlap bundle but not the final one; reissued twins keep subject and public key,
/// carry the new issuer and verify against the new CA alone; a batch signed during the
/// overlap is signed by the new CA.
#[test]
fn full_rotation_walks_every_legal_transition() {
    let lab = Lab::new();
    let old_clients = lab.sign(
        "batch1",
        &[("alice", "/O=dev/CN=alice"), ("bob", "/O=dev/O=ops/CN=bob")],
    );
    let old_id = lab.ca_id("active");
    let old_ca = lab.ca_file(&old_id);
    let old_fp = fingerprint(&old_ca);

    // stable: the bundle is the old CA alone.
    assert_eq!(lab.phase(), "stable");
    let stable_bundle = lab.bundle("stable.pem", false);
    assert_eq!(
        bundle_fingerprints(&stable_bundle, &lab.path("scratch-stable"), false),
        vec![old_fp.clone()]
    );
    for client in &old_clients {
        assert!(verifies(&stable_bundle, &client.cert), "{client:?}");
    }

    // begin: stable -> overlap.
    let begun = lab.begin();
    assert_eq!(begun["phase"], "overlap");
    assert_checklist(&begun);
    assert_eq!(lab.phase(), "overlap");
    let new_id = lab.ca_id("incoming");
    assert_eq!(lab.ca_id("active"), old_id, "the old CA stays active");
    let new_ca = lab.ca_file(&new_id);
    let new_fp = fingerprint(&new_ca);
    assert_ne!(old_fp, new_fp);
    let begun_entries = lab.entries_of("rotation.begun");
    assert_eq!(begun_entries.len(), 1);
    assert_eq!(begun_entries[0]["payload"]["old"], old_id.as_str());
    assert_eq!(begun_entries[0]["payload"]["ca"]["ca"], new_id.as_str());
    assert_eq!(begun_entries[0]["payload"]["origin"], "generated");
    // The step wrote the bundle of the new phase into the home.
    let phase_file = PathBuf::from(begun["bundle_file"].as_str().expect("bundle_file"));
    assert!(phase_file.starts_with(&lab.home), "{phase_file:?}");
    assert_eq!(
        bundle_fingerprints(&phase_file, &lab.path("scratch-begun"), false),
        vec![old_fp.clone(), new_fp.clone()]
    );

    // overlap bundle: old then new; old certificates verify against it.
    let overlap_bundle = lab.bundle("overlap.pem", false);
    assert_eq!(
        bundle_fingerprints(&overlap_bundle, &lab.path("scratch-overlap"), false),
        vec![old_fp.clone(), new_fp.clone()]
    );
    for client in &old_clients {
        assert!(verifies(&overlap_bundle, &client.cert), "{client:?}");
        assert!(
            !verifies(&new_ca, &client.cert),
            "old cert against new CA alone"
        );
    }
    // --annotate adds '#' comment lines (subject, fingerprint, validity) between plain
    // CERTIFICATE blocks; openssl still reads the file as a CA bundle.
    let annotated = lab.bundle("overlap-annotated.pem", true);
    let annotated_text = fs::read_to_string(&annotated).expect("annotated");
    let comments: Vec<&str> = annotated_text
        .lines()
        .filter(|line| line.starts_with('#'))
        .collect();
    assert_eq!(comments.len(), 2, "one comment per CA:\n{annotated_text}");
    let bare = |fp: &str| fp.replace(':', "").to_ascii_lowercase();
    assert!(
        comments[0].to_ascii_lowercase().contains(&bare(&old_fp)),
        "{}",
        comments[0]
    );
    assert!(
        comments[1].to_ascii_lowercase().contains(&bare(&new_fp)),
        "{}",
        comments[1]
    );
    assert_eq!(
        bundle_fingerprints(&annotated, &lab.path("scratch-annotated"), true),
        vec![old_fp.clone(), new_fp.clone()]
    );
    for client in &old_clients {
        assert!(
            verifies(&annotated, &client.cert),
            "annotated bundle: {client:?}"
        );
    }

    // A new batch during the overlap is signed by the NEW CA (issuer and AKI).
    let carol = lab
        .sign("batch2", &[("carol", "/O=dev/CN=carol")])
        .remove(0);
    assert_eq!(name_of(&carol.cert, "-issuer"), "CN=new-ca");
    assert_eq!(
        key_id(&carol.cert, "authorityKeyIdentifier"),
        key_id(&new_ca, "subjectKeyIdentifier")
    );
    assert!(verifies(&new_ca, &carol.cert));
    assert!(!verifies(&old_ca, &carol.cert));

    // reissue: overlap -> reissued.
    let out = lab.path("reissued");
    let reissued = lab.json(&["rotate", "reissue", "--yes", "--out", path_str(&out)]);
    assert_eq!(reissued["phase"]["phase"], "reissued");
    assert_checklist(&reissued["phase"]);
    assert_eq!(reissued["newly_signed"], 2);
    assert_eq!(lab.phase(), "reissued");
    assert_eq!(lab.entries_of("rotation.reissued").len(), 1);
    let report = read_json(&out.join("report.json"));
    assert_eq!(report["rejected"].as_array().expect("rejected").len(), 0);
    assert_eq!(
        report_serials(&report).len(),
        2,
        "only the old CA's two certificates"
    );
    sha256sums_pass(&out);
    for client in &old_clients {
        let name = client.cert.file_name().expect("file name");
        let twin = out.join(name);
        assert_eq!(
            name_of(&twin, "-subject"),
            name_of(&client.cert, "-subject")
        );
        assert_eq!(
            cert_pubkey(&twin),
            cert_pubkey(&client.cert),
            "same public key"
        );
        assert_eq!(name_of(&twin, "-issuer"), "CN=new-ca");
        assert_eq!(
            key_id(&twin, "authorityKeyIdentifier"),
            key_id(&new_ca, "subjectKeyIdentifier")
        );
        assert_ne!(serial_of(&twin), client.serial);
        assert!(
            verifies(&new_ca, &twin),
            "twin verifies against the new CA alone"
        );
        assert!(
            verifies(&overlap_bundle, &twin),
            "and against the overlap bundle"
        );
        // The ledger links the twin to the certificate it replaces.
        let twin_entry = lab
            .entries_of("cert.issued")
            .into_iter()
            .find(|entry| entry["payload"]["serial"] == serial_of(&twin).as_str())
            .expect("twin in the ledger");
        assert_eq!(twin_entry["payload"]["reissue_of"], client.serial.as_str());
        assert_eq!(twin_entry["payload"]["ca"], new_id.as_str());
    }
    let reissued_bundle = lab.bundle("reissued.pem", false);
    assert_eq!(
        bundle_fingerprints(&reissued_bundle, &lab.path("scratch-reissued"), false),
        vec![old_fp.clone(), new_fp.clone()]
    );

    // finish: reissued -> stable, the new CA active and alone in the bundle.
    let finished = lab.json(&["rotate", "finish", "--yes"]);
    assert_eq!(finished["phase"], "stable");
    assert_eq!(finished["finished"], true);
    assert_checklist(&finished);
    assert_eq!(lab.phase(), "stable");
    assert_eq!(lab.ca_id("active"), new_id);
    assert_eq!(lab.ca_id("retired"), old_id);
    let finish_entries = lab.entries_of("rotation.finished");
    assert_eq!(finish_entries.len(), 1);
    let payload = &finish_entries[0]["payload"];
    assert_eq!(payload["forced"], false);
    assert_eq!(payload["old_key"], "archived");
    assert!(
        lab.ca_key_file(&old_id).exists(),
        "the old key is archived, not deleted"
    );
    let final_bundle = lab.bundle("final.pem", false);
    assert_eq!(
        bundle_fingerprints(&final_bundle, &lab.path("scratch-final"), false),
        vec![new_fp.clone()]
    );
    for client in &old_clients {
        assert!(
            !verifies(&final_bundle, &client.cert),
            "old certificate refused by the final bundle: {client:?}"
        );
        let twin = out.join(client.cert.file_name().expect("name"));
        assert!(
            verifies(&final_bundle, &twin),
            "twin accepted by the final bundle"
        );
    }
    assert!(verifies(&final_bundle, &carol.cert));
    // The old certificates are now listed as untrusted, the twins as active.
    let rows = lab.json(&["list"]);
    for row in rows.as_array().expect("rows") {
        let serial = row["serial"].as_str().expect("serial");
        let expected = if old_clients.iter().any(|client| client.serial == serial) {
            "untrusted"
        } else {
            "active"
        };
        assert_eq!(row["state"], expected, "{row:#}");
    }
    let status = lab.status();
    assert_eq!(status["old"]["id"], new_id.as_str());
    assert!(status["new"].is_null());
}

/// abort (from overlap) goes back to the old CA alone: the incoming CA is retired,
/// certificates it signed during the overlap become untrusted, the bundle is the old CA
/// alone, and new certificates are signed by the old CA again.
#[test]
fn abort_from_overlap_returns_to_the_old_ca() {
    let lab = Lab::new();
    let alice = lab
        .sign("batch1", &[("alice", "/O=dev/CN=alice")])
        .remove(0);
    let old_id = lab.ca_id("active");
    let old_ca = lab.ca_file(&old_id);
    lab.begin();
    let new_id = lab.ca_id("incoming");
    let carol = lab.sign("batch2", &[("carol", "/CN=carol")]).remove(0);
    assert_eq!(name_of(&carol.cert, "-issuer"), "CN=new-ca");

    let aborted = lab.json(&["rotate", "abort", "--yes"]);
    assert_eq!(aborted["phase"], "stable");
    assert_eq!(aborted["finished"], false);
    assert_checklist(&aborted);
    assert_eq!(lab.phase(), "stable");
    assert_eq!(lab.ca_id("active"), old_id);
    assert_eq!(lab.ca_id("retired"), new_id);
    let aborts = lab.entries_of("rotation.aborted");
    assert_eq!(aborts.len(), 1);
    assert_eq!(aborts[0]["payload"]["old"], old_id.as_str());
    assert_eq!(aborts[0]["payload"]["new"], new_id.as_str());
    assert!(lab.entries_of("rotation.finished").is_empty());

    let bundle = lab.bundle("after-abort.pem", false);
    assert_eq!(
        bundle_fingerprints(&bundle, &lab.path("scratch"), false),
        vec![fingerprint(&old_ca)]
    );
    assert!(verifies(&bundle, &alice.cert));
    assert!(!verifies(&bundle, &carol.cert));
    let rows = lab.json(&["list", "--user", "carol"]);
    assert_eq!(rows[0]["state"], "untrusted");
    let rows = lab.json(&["list", "--user", "alice"]);
    assert_eq!(rows[0]["state"], "active");

    // Signing is back with the old CA.
    let dave = lab.sign("batch3", &[("dave", "/CN=dave")]).remove(0);
    assert_eq!(name_of(&dave.cert, "-issuer"), "CN=test-ca");
    assert!(verifies(&old_ca, &dave.cert));
    // And a new rotation can begin again.
    lab.begin();
    assert_eq!(lab.phase(), "overlap");
}

// ---------------------------------------------------------------------------------------
// Illegal transitions
// ---------------------------------------------------------------------------------------

/// Every illegal transition exits 1, changes nothing, and names the current phase and
/// the next legal steps: reissue, finish and abort in stable; begin in overlap; begin
/// and abort in reissued.
#[test]
fn illegal_transitions_name_the_phase_and_the_next_steps() {
    let lab = Lab::new();
    lab.sign("batch1", &[("alice", "/CN=alice")]);
    let out = lab.path("never");

    // stable
    for args in [
        vec!["rotate", "reissue", "--yes", "--out", path_str(&out)],
        vec!["rotate", "finish", "--yes"],
        vec!["rotate", "abort", "--yes"],
        vec!["rotate", "finish", "--yes", "--force", "--reason", "try"],
    ] {
        let stderr = lab.refused(&args, 1);
        assert!(stderr.contains("'stable'"), "{args:?}: {stderr}");
        assert!(stderr.contains("rotate begin"), "{args:?}: {stderr}");
        assert_eq!(lab.phase(), "stable");
    }
    assert!(
        !out.join("report.json").exists(),
        "a refused reissue writes nothing"
    );

    // overlap
    lab.begin();
    let stderr = lab.refused(
        &[
            "rotate",
            "begin",
            "--yes",
            "--cn",
            "third",
            "--scrypt-work-factor",
            "14",
        ],
        1,
    );
    assert!(stderr.contains("'overlap'"), "{stderr}");
    assert!(stderr.contains("rotate reissue"), "{stderr}");
    assert!(stderr.contains("rotate abort"), "{stderr}");
    assert_eq!(lab.phase(), "overlap");
    assert_eq!(lab.cas().len(), 2, "no third CA was recorded");

    // reissued
    lab.json(&[
        "rotate",
        "reissue",
        "--yes",
        "--out",
        path_str(&lab.path("re")),
    ]);
    assert_eq!(lab.phase(), "reissued");
    let stderr = lab.refused(
        &[
            "rotate",
            "begin",
            "--yes",
            "--cn",
            "third",
            "--scrypt-work-factor",
            "14",
        ],
        1,
    );
    assert!(stderr.contains("'reissued'"), "{stderr}");
    assert!(stderr.contains("rotate finish"), "{stderr}");
    let stderr = lab.refused(&["rotate", "abort", "--yes"], 1);
    assert!(stderr.contains("'reissued'"), "{stderr}");
    assert!(stderr.contains("rotate finish"), "{stderr}");
    assert_eq!(lab.phase(), "reissued");

    // Re-running reissue in phase reissued is legal (idempotent) and changes nothing.
    let before = lab.ledger_bytes();
    let again = lab.json(&[
        "rotate",
        "reissue",
        "--yes",
        "--out",
        path_str(&lab.path("re")),
    ]);
    assert_eq!(again["newly_signed"], 0);
    assert_eq!(before, lab.ledger_bytes());

    lab.json(&["rotate", "finish", "--yes"]);
    let stderr = lab.refused(&["rotate", "abort", "--yes"], 1);
    assert!(stderr.contains("'stable'"), "{stderr}");
}

/// In phase reissued, abort is illegal (reissued certificates are already handed out),
/// so neither the refusal of an illegal step nor `rotate status` may offer
/// 'airlock rotate abort' as a next legal step.
#[test]
fn reissued_phase_never_offers_abort_as_a_next_step() {
    let lab = Lab::new();
    lab.sign("batch1", &[("alice", "/CN=alice")]);
    lab.begin();
    lab.json(&[
        "rotate",
        "reissue",
        "--yes",
        "--out",
        path_str(&lab.path("re")),
    ]);
    assert_eq!(lab.phase(), "reissued");

    let abort = lab.refused(&["rotate", "abort", "--yes"], 1);
    assert!(abort.contains("cannot abort"), "{abort}");

    let stderr = lab.refused(
        &[
            "rotate",
            "begin",
            "--yes",
            "--cn",
            "third",
            "--scrypt-work-factor",
            "14",
        ],
        1,
    );
    assert!(
        !stderr.contains("abort"),
        "begin in phase reissued offers abort, which is refused in that phase: {stderr}"
    );
    let status = lab.status();
    assert!(
        !status["next_steps"]
            .as_str()
            .expect("next_steps")
            .contains("abort"),
        "rotate status offers abort in phase reissued: {status:#}"
    );
}

// ---------------------------------------------------------------------------------------
// The finish guard
// ---------------------------------------------------------------------------------------

/// finish is refused while active old-CA certificates have no twin, naming a serial;
/// `--force` without `--reason` is a usage error; a reissue that the current policy
/// refuses for one certificate exits 3 and leaves the phase at overlap; `--force
/// --reason` finishes, and the ledger's rotation.finished keeps forced=true, the reason
/// and the unreissued serials.
#[test]
fn finish_guard_and_forced_finish() {
    let lab = Lab::new();
    let clients = lab.sign(
        "batch1",
        &[
            ("alice", "/O=dev/CN=alice"),
            ("bob", "/O=contractors/CN=bob"),
        ],
    );
    let (alice, bob) = (&clients[0], &clients[1]);
    lab.begin();

    // Nothing reissued yet: refused, naming one of the serials, nothing changed.
    let stderr = lab.refused(&["rotate", "finish", "--yes"], 1);
    assert!(
        stderr.contains(&alice.serial) || stderr.contains(&bob.serial),
        "the refusal names an unreissued serial: {stderr}"
    );
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(lab.phase(), "overlap");

    // --force without --reason: clap usage error.
    lab.refused(&["rotate", "finish", "--yes", "--force"], 2);
    // An empty reason is no reason.
    lab.refused(
        &["rotate", "finish", "--yes", "--force", "--reason", "  "],
        1,
    );
    assert_eq!(lab.phase(), "overlap");

    // The policy now forbids bob's group: the reissue signs alice's twin only, exits 3,
    // and the phase stays overlap.
    let policy = lab.home.join("airlock.toml");
    let text = fs::read_to_string(&policy).expect("policy");
    let forbidding = text.replace(
        "forbidden_groups = [\n",
        "forbidden_groups = [\n    \"contractors\",\n",
    );
    assert_ne!(
        text, forbidding,
        "the policy file has the expected default line"
    );
    fs::write(&policy, forbidding).expect("write policy");
    // An edited airlock.toml is in force only once accepted (issue 8).
    lab.ok(&["policy", "accept", "--yes"]);
    let out = lab.path("re");
    let report = lab.json_code(&["rotate", "reissue", "--yes", "--out", path_str(&out)], 3);
    assert_eq!(report["newly_signed"], 1);
    let rejected = report["report"]["rejected"].as_array().expect("rejected");
    assert_eq!(rejected.len(), 1);
    assert!(
        rejected[0]["input"]
            .as_str()
            .expect("input")
            .contains(&bob.serial)
    );
    assert_eq!(lab.phase(), "overlap");
    assert!(lab.entries_of("rotation.reissued").is_empty());
    let status = lab.status();
    assert_eq!(status["unreissued"], serde_json::json!([bob.serial]));

    let stderr = lab.refused(&["rotate", "finish", "--yes"], 1);
    assert!(stderr.contains(&bob.serial), "{stderr}");

    let finished = lab.json(&[
        "rotate",
        "finish",
        "--yes",
        "--force",
        "--reason",
        "bob's contract ended",
    ]);
    assert_eq!(finished["phase"], "stable");
    let entries = lab.entries_of("rotation.finished");
    assert_eq!(entries.len(), 1);
    let payload = &entries[0]["payload"];
    assert_eq!(payload["forced"], true);
    assert_eq!(payload["reason"], "bob's contract ended");
    assert_eq!(payload["unreissued"], serde_json::json!([bob.serial]));
    assert_eq!(payload["old_key"], "archived");
    assert_eq!(
        lab.json(&["list", "--user", "bob"])[0]["state"],
        "untrusted"
    );
}

/// `--destroy-old-key` needs the old CA's name typed: without a terminal and without
/// `--confirm-destroy` it fails, with a wrong name it fails, and nothing changes; with
/// the right name the old `cas/<id>/ca.key.age` is gone and the ledger says destroyed.
#[test]
fn destroy_old_key_needs_the_typed_name() {
    let lab = Lab::new();
    lab.sign("batch1", &[("alice", "/CN=alice")]);
    let old_id = lab.ca_id("active");
    lab.begin();
    let new_id = lab.ca_id("incoming");
    lab.json(&[
        "rotate",
        "reissue",
        "--yes",
        "--out",
        path_str(&lab.path("re")),
    ]);
    let old_key = lab.ca_key_file(&old_id);
    let old_key_bytes = fs::read(&old_key).expect("old key");

    let stderr = lab.refused(&["rotate", "finish", "--yes", "--destroy-old-key"], 1);
    assert!(stderr.contains("--confirm-destroy"), "{stderr}");
    let stderr = lab.refused(
        &[
            "rotate",
            "finish",
            "--yes",
            "--destroy-old-key",
            "--confirm-destroy",
            "new-ca",
        ],
        1,
    );
    assert!(stderr.contains("does not match"), "{stderr}");
    lab.refused(
        &[
            "rotate",
            "finish",
            "--yes",
            "--destroy-old-key",
            "--confirm-destroy",
            "test-ca ",
        ],
        1,
    );
    assert_eq!(lab.phase(), "reissued");
    assert_eq!(fs::read(&old_key).expect("old key kept"), old_key_bytes);

    lab.json(&[
        "rotate",
        "finish",
        "--yes",
        "--destroy-old-key",
        "--confirm-destroy",
        "test-ca",
    ]);
    assert_eq!(lab.phase(), "stable");
    assert!(!old_key.exists(), "the old key file is gone");
    assert!(
        lab.ca_file(&old_id).exists(),
        "the old certificate stays, public"
    );
    assert!(lab.ca_key_file(&new_id).exists());
    let entries = lab.entries_of("rotation.finished");
    assert_eq!(entries[0]["payload"]["old_key"], "destroyed");
    // Signing still works with the new CA.
    let bob = lab.sign("batch2", &[("bob", "/CN=bob")]).remove(0);
    assert!(verifies(&lab.ca_file(&new_id), &bob.cert));
}

/// After `renew-ca` the old key lives in two CA folders (the superseded certificate's
/// and the renewed one's). Destroying the old key at finish must remove every copy of
/// it: no `ca.key.age` of a retired CA over the old key may remain.
#[test]
fn destroy_old_key_removes_every_copy_of_a_renewed_key() {
    let lab = Lab::new();
    lab.sign("batch1", &[("alice", "/CN=alice")]);
    let original_id = lab.ca_id("active");
    lab.json(&["renew-ca", "--yes", "--days", "400"]);
    let renewed_id = lab.ca_id("active");
    assert_ne!(original_id, renewed_id);
    lab.begin();
    lab.json(&[
        "rotate",
        "reissue",
        "--yes",
        "--out",
        path_str(&lab.path("re")),
    ]);
    lab.json(&[
        "rotate",
        "finish",
        "--yes",
        "--destroy-old-key",
        "--confirm-destroy",
        "test-ca",
    ]);
    assert!(!lab.ca_key_file(&renewed_id).exists());
    assert!(
        !lab.ca_key_file(&original_id).exists(),
        "a copy of the destroyed key is left at {}",
        lab.ca_key_file(&original_id).display()
    );
}

// ---------------------------------------------------------------------------------------
// Importing the new CA
// ---------------------------------------------------------------------------------------

/// A self-signed P-256 CA made with openssl, as one made elsewhere would be.
fn openssl_ca(dir: &Path, name: &str, cn: &str, key: Option<&Path>) -> (PathBuf, PathBuf) {
    let key = key.map_or_else(
        || {
            let key = dir.join(format!("{name}.key"));
            let mut args = vec!["genpkey"];
            args.extend_from_slice(P256);
            args.extend_from_slice(&["-out", path_str(&key)]);
            openssl(&args);
            key
        },
        Path::to_path_buf,
    );
    let cert = dir.join(format!("{name}.crt"));
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        path_str(&key),
        "-subj",
        &format!("/CN={cn}"),
        "-days",
        "3650",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
        "-out",
        path_str(&cert),
    ]);
    (cert, key)
}

/// `rotate begin --import-cert/--import-key` takes a CA made with openssl: it joins as
/// incoming (origin imported), the bundle carries its exact certificate, and reissued
/// twins chain to it.
#[test]
fn begin_imports_a_new_ca_made_with_openssl() {
    let lab = Lab::new();
    let alice = lab
        .sign("batch1", &[("alice", "/O=dev/CN=alice")])
        .remove(0);
    let old_ca = lab.ca_file(&lab.ca_id("active"));
    let (cert, key) = openssl_ca(lab.dir.path(), "imported", "imported-ca", None);

    let begun = lab.json(&[
        "rotate",
        "begin",
        "--yes",
        "--import-cert",
        path_str(&cert),
        "--import-key",
        path_str(&key),
        "--scrypt-work-factor",
        "14",
    ]);
    assert_eq!(begun["phase"], "overlap");
    let entries = lab.entries_of("rotation.begun");
    assert_eq!(entries[0]["payload"]["origin"], "imported");
    let bundle = lab.bundle("overlap.pem", false);
    assert_eq!(
        bundle_fingerprints(&bundle, &lab.path("scratch"), false),
        vec![fingerprint(&old_ca), fingerprint(&cert)]
    );
    // The imported key is kept encrypted only.
    let new_id = lab.ca_id("incoming");
    assert_eq!(fingerprint(&lab.ca_file(&new_id)), fingerprint(&cert));
    let sealed = fs::read(lab.ca_key_file(&new_id)).expect("sealed key");
    assert!(sealed.starts_with(b"age-encryption.org/v1"));

    let out = lab.path("re");
    lab.json(&["rotate", "reissue", "--yes", "--out", path_str(&out)]);
    let twin = out.join("alice.crt");
    assert_eq!(name_of(&twin, "-issuer"), "CN=imported-ca");
    assert_eq!(cert_pubkey(&twin), cert_pubkey(&alice.cert));
    assert!(verifies(&cert, &twin), "twin chains to the openssl-made CA");
    lab.json(&["rotate", "finish", "--yes"]);
    let bob = lab.sign("batch2", &[("bob", "/CN=bob")]).remove(0);
    assert!(verifies(&cert, &bob.cert));
}

/// A rotation needs a new key: importing a CA certificate over the active CA's key (the
/// same certificate, or a new one made with openssl over that key) is refused, and
/// nothing changes.
#[test]
fn begin_refuses_the_active_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pass = crate::support::passphrase_file(dir.path());
    let home = dir.path().join("home");
    let (cert, key) = openssl_ca(dir.path(), "kubeadm", "kubernetes", None);
    airlock()
        .arg("--home")
        .arg(&home)
        .arg("--passphrase-file")
        .arg(&pass)
        .args(["import", "--cert", path_str(&cert), "--key", path_str(&key)])
        .args(["--scrypt-work-factor", "14"])
        .assert()
        .success();
    let lab = Lab { dir, home, pass };
    let (same_key_cert, _) = openssl_ca(lab.dir.path(), "again", "kubernetes-2", Some(&key));
    for new_cert in [&same_key_cert, &cert] {
        let stderr = lab.refused(
            &[
                "rotate",
                "begin",
                "--yes",
                "--import-cert",
                path_str(new_cert),
                "--import-key",
                path_str(&key),
                "--scrypt-work-factor",
                "14",
            ],
            1,
        );
        assert!(stderr.contains("same key"), "{stderr}");
        assert_eq!(lab.phase(), "stable");
        assert_eq!(lab.cas().len(), 1);
    }
    // Only the original CA's folder exists.
    let folders = fs::read_dir(lab.home.join("cas")).expect("cas").count();
    assert_eq!(folders, 1, "no files of a refused CA are left in the home");
}

// ---------------------------------------------------------------------------------------
// Interrupted reissue
// ---------------------------------------------------------------------------------------

/// A crash after the reissue's ledger commit but before all files were written (one
/// twin, report.json and SHA256SUMS missing) is finished by re-running reissue into the
/// same OUT: the missing files come back byte for byte with the same serials, the ledger
/// gains no cert.issued (nor any entry), and `sha256sum -c` passes. A fresh OUT gets
/// the same twins.
#[test]
fn interrupted_reissue_resumes_without_duplicates() {
    let lab = Lab::new();
    lab.sign(
        "batch1",
        &[("alice", "/O=dev/CN=alice"), ("bob", "/O=ops/CN=bob")],
    );
    lab.begin();
    let out = lab.path("re");
    let first = lab.json(&["rotate", "reissue", "--yes", "--out", path_str(&out)]);
    assert_eq!(first["newly_signed"], 2);
    let serials = report_serials(&first["report"]);
    let alice_bytes = fs::read(out.join("alice.crt")).expect("alice twin");
    let bob_bytes = fs::read(out.join("bob.crt")).expect("bob twin");
    let report_bytes = fs::read(out.join("report.json")).expect("report");
    let sums_bytes = fs::read(out.join("SHA256SUMS")).expect("sums");
    let issued = lab.entries_of("cert.issued").len();
    let ledger = lab.ledger_bytes();

    // Simulate the crash.
    for name in ["alice.crt", "report.json", "SHA256SUMS"] {
        fs::remove_file(out.join(name)).expect("remove");
    }

    let second = lab.json(&["rotate", "reissue", "--yes", "--out", path_str(&out)]);
    assert_eq!(second["newly_signed"], 0);
    assert_eq!(second["reused"], 2);
    assert_eq!(report_serials(&second["report"]), serials);
    let mut written: Vec<String> = second["written"]
        .as_array()
        .expect("written")
        .iter()
        .map(|name| name.as_str().expect("name").to_owned())
        .collect();
    written.sort();
    assert_eq!(written, ["SHA256SUMS", "alice.crt", "report.json"]);
    assert_eq!(fs::read(out.join("alice.crt")).expect("alice"), alice_bytes);
    assert_eq!(fs::read(out.join("bob.crt")).expect("bob"), bob_bytes);
    assert_eq!(
        fs::read(out.join("report.json")).expect("report"),
        report_bytes
    );
    assert_eq!(fs::read(out.join("SHA256SUMS")).expect("sums"), sums_bytes);
    assert_eq!(
        lab.entries_of("cert.issued").len(),
        issued,
        "no duplicate twin"
    );
    assert_eq!(
        lab.ledger_bytes(),
        ledger,
        "a resumed reissue records nothing"
    );
    sha256sums_pass(&out);
    assert_eq!(
        crt_names(&out),
        BTreeSet::from(["alice.crt".into(), "bob.crt".into()])
    );

    // A fresh OUT hands back the same twins.
    let fresh = lab.path("re-fresh");
    let third = lab.json(&["rotate", "reissue", "--yes", "--out", path_str(&fresh)]);
    assert_eq!(third["newly_signed"], 0);
    assert_eq!(report_serials(&third["report"]), serials);
    assert_eq!(
        fs::read(fresh.join("alice.crt")).expect("alice"),
        alice_bytes
    );
    sha256sums_pass(&fresh);
    assert_eq!(lab.entries_of("cert.issued").len(), issued);
}

/// Two active old-CA certificates with the same output name (alice's certificate and its
/// renewal, both `alice.crt`) must both be reissued into one OUT without the reissue
/// failing after its ledger commit: every twin in report.json has its own file, with the
/// twin's bytes, and SHA256SUMS checks.
#[test]
fn reissue_writes_every_twin_when_output_names_collide() {
    let lab = Lab::new();
    let alice = lab
        .sign("batch1", &[("alice", "/O=dev/CN=alice")])
        .remove(0);
    let renewed = lab.json(&[
        "renew",
        "--serial",
        &alice.serial,
        "--out",
        path_str(&lab.path("renewed")),
    ]);
    assert_eq!(renewed["newly_signed"], 1);
    lab.begin();
    let out = lab.path("re");
    let output = lab.run(&[
        "--json",
        "rotate",
        "reissue",
        "--yes",
        "--out",
        path_str(&out),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "reissue of two certificates named 'alice' failed (phase now {}): {stderr}",
        lab.phase()
    );
    let report = read_json(&out.join("report.json"));
    let issued = report["issued"].as_array().expect("issued");
    assert_eq!(issued.len(), 2);
    let files: BTreeSet<&str> = issued
        .iter()
        .map(|entry| entry["cert"].as_str().expect("cert"))
        .collect();
    assert_eq!(files.len(), 2, "each twin has its own file: {report:#}");
    for entry in issued {
        let file = out.join(entry["cert"].as_str().expect("cert"));
        assert_eq!(serial_of(&file), entry["serial"].as_str().expect("serial"));
    }
    sha256sums_pass(&out);
}

// ---------------------------------------------------------------------------------------
// Renewal is not rotation
// ---------------------------------------------------------------------------------------

/// `renew-ca --days 400` keeps the key, the subject and the subject key identifier,
/// gives a new fingerprint and notAfter; certificates issued before verify against the
/// renewed certificate alone; the ledger records ca.renewed and no rotation.*; the phase
/// stays stable and the bundle is the renewed certificate. During a rotation renew-ca
/// is refused.
#[test]
fn renew_ca_keeps_the_key_and_is_not_a_rotation() {
    let lab = Lab::new();
    let alice = lab
        .sign("batch1", &[("alice", "/O=dev/CN=alice")])
        .remove(0);
    let old_id = lab.ca_id("active");
    let old_ca = lab.ca_file(&old_id);

    let report = lab.json(&["renew-ca", "--yes", "--days", "400"]);
    let renewed_id = lab.ca_id("active");
    assert_ne!(renewed_id, old_id);
    assert_eq!(lab.ca_id("superseded"), old_id);
    let renewed_ca = PathBuf::from(report["cert_file"].as_str().expect("cert_file"));
    assert_eq!(renewed_ca, lab.ca_file(&renewed_id));

    assert_eq!(cert_pubkey(&renewed_ca), cert_pubkey(&old_ca), "same key");
    assert_eq!(
        name_of(&renewed_ca, "-subject"),
        name_of(&old_ca, "-subject")
    );
    assert_eq!(
        key_id(&renewed_ca, "subjectKeyIdentifier"),
        key_id(&old_ca, "subjectKeyIdentifier")
    );
    assert_ne!(fingerprint(&renewed_ca), fingerprint(&old_ca));
    assert_ne!(end_date(&renewed_ca), end_date(&old_ca));
    let not_after = parse_time(&report["renewed"]["not_after"]);
    let days = (not_after - OffsetDateTime::now_utc()).whole_days();
    assert!((398..=400).contains(&days), "renewed for 400 days: {days}");

    assert!(
        verifies(&renewed_ca, &alice.cert),
        "a certificate from before verifies against the renewed CA alone"
    );
    assert_eq!(lab.entries_of("ca.renewed").len(), 1);
    let kinds: Vec<String> = lab
        .entries()
        .iter()
        .map(|entry| entry["kind"].as_str().expect("kind").to_owned())
        .collect();
    assert!(
        !kinds.iter().any(|kind| kind.starts_with("rotation.")),
        "{kinds:?}"
    );
    assert_eq!(lab.phase(), "stable");
    let bundle = lab.bundle("bundle.pem", false);
    assert_eq!(
        bundle_fingerprints(&bundle, &lab.path("scratch"), false),
        vec![fingerprint(&renewed_ca)]
    );
    assert_eq!(lab.json(&["list", "--user", "alice"])[0]["state"], "active");
    // Signing goes on under the renewed certificate.
    let bob = lab.sign("batch2", &[("bob", "/CN=bob")]).remove(0);
    assert!(verifies(&renewed_ca, &bob.cert));

    // During a rotation, renew-ca is refused.
    lab.begin();
    let stderr = lab.refused(&["renew-ca", "--yes", "--days", "400"], 1);
    assert!(stderr.contains("rotation"), "{stderr}");
    assert_eq!(lab.phase(), "overlap");
    assert_eq!(lab.entries_of("ca.renewed").len(), 1);
}

/// `bundle --out` never overwrites a file.
#[test]
fn bundle_never_overwrites() {
    let lab = Lab::new();
    let out = lab.path("bundle.pem");
    fs::write(&out, "keep me").expect("write");
    lab.refused(&["bundle", "--out", path_str(&out)], 1);
    assert_eq!(fs::read_to_string(&out).expect("read"), "keep me");
}

/// Beginning a rotation puts a new CA into the trusted bundle and makes it the signing
/// CA, so it must be authorized by whoever holds the active CA: with a wrong passphrase
/// for the active CA (and a valid one for the new key), `rotate begin` is refused and
/// nothing changes. Otherwise anyone able to write the home can append a rotation sealed
/// only by a key of their own, and `audit verify` still passes.
#[test]
fn begin_requires_the_active_ca_passphrase() {
    let lab = Lab::new();
    let wrong = lab.path("wrong-pass");
    fs::write(&wrong, "not the CA passphrase at all\n").expect("write");
    fs::set_permissions(&wrong, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    let before = lab.ledger_bytes();
    let output = airlock()
        .arg("--home")
        .arg(&lab.home)
        .arg("--passphrase-file")
        .arg(&wrong)
        .args([
            "rotate",
            "begin",
            "--yes",
            "--cn",
            "intruder",
            "--scrypt-work-factor",
            "14",
        ])
        .arg("--new-passphrase-file")
        .arg(&lab.pass)
        .timeout(TIMEOUT)
        .output()
        .expect("airlock runs");
    assert_eq!(
        output.status.code(),
        Some(1),
        "a rotation began without the active CA's passphrase (phase now {}): {}",
        lab.phase(),
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(lab.ledger_bytes(), before);
    assert_eq!(lab.phase(), "stable");
}
