//! The life of certificates after issuance, driven through the CLI: the inventory
//! (`list` and its filters), renewal, revocation (ledger, CRL checked with openssl, the
//! RBAC script built from a snapshot), the Kubernetes exports (kubeconfig read back by
//! kubectl, RBAC bindings, audit policy), and `issue`, whose private key leaves only
//! age-encrypted.
//!
//! Every test ends with `airlock audit verify` exiting 0 (the [`Lab`] fixture of
//! `rotation.rs` checks it on drop and after each successful command).

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::rotation::{
    Lab, P256, cert_pubkey, end_date, fingerprint, key_pubkey, name_of, path_str, report_serials,
    serial_of, sha256sums_pass, verifies,
};
use crate::support::{assert_not_below, files_below, openssl};

const SERVER: &str = "https://127.0.0.1:6443";

fn parse_time(value: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(value.as_str().expect("time string"), &Rfc3339).expect("RFC 3339")
}

fn days_from_now(value: &Value) -> i64 {
    (parse_time(value) - OffsetDateTime::now_utc()).whole_days()
}

/// The serials of a `list --json` answer, in order.
fn serials(rows: &Value) -> Vec<String> {
    rows.as_array()
        .expect("list prints an array")
        .iter()
        .map(|row| row["serial"].as_str().expect("serial").to_owned())
        .collect()
}

fn decode_base64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .expect("base64")
}

/// `kubectl config view --kubeconfig F --raw -o jsonpath=PATH`; asserts kubectl parses it.
fn kubectl_view(kubeconfig: &Path, jsonpath: &str) -> String {
    let output = Command::new("kubectl")
        .args([
            "config",
            "view",
            "--kubeconfig",
            path_str(kubeconfig),
            "--raw",
        ])
        .arg(format!("-o=jsonpath={jsonpath}"))
        .output()
        .expect("kubectl is a test prerequisite");
    assert!(
        output.status.success(),
        "kubectl config view {jsonpath}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Parses YAML into JSON values (structural checks on exported objects).
fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|error| panic!("YAML: {error}\n{text}"))
}

/// Whether any file below `root` contains `needle`.
fn found_below(root: &Path, needle: &[u8]) -> Option<PathBuf> {
    files_below(root).into_iter().find(|file| {
        fs::read(file)
            .expect("read file")
            .windows(needle.len())
            .any(|window| window == needle)
    })
}

// ---------------------------------------------------------------------------------------
// Inventory
// ---------------------------------------------------------------------------------------

/// `list --json` shows serial, user, groups, CA, `not_after`, `days_left`, state and the
/// Kubernetes credential id of every certificate; `--user`, `--revoked` and
/// `--expiring-within` select exactly the matching ones (a revoked certificate is not
/// "expiring"), and a revoked certificate is listed as revoked.
#[test]
fn list_filters_and_json_fields() {
    let lab = Lab::new();
    let first = lab.sign(
        "batch1",
        &[
            ("alice", "/O=dev/O=ops/CN=alice"),
            ("carol", "/O=dev/CN=carol"),
        ],
    );
    let (alice, carol) = (&first[0], &first[1]);
    let bob = lab
        .sign_with("batch2", &[("bob", "/O=ops/CN=bob")], &["--days", "10"])
        .remove(0);
    let ca_id = lab.ca_id("active");

    let rows = lab.json(&["list"]);
    assert_eq!(
        serials(&rows),
        [
            alice.serial.clone(),
            carol.serial.clone(),
            bob.serial.clone()
        ],
        "issuance order"
    );
    let row = &rows[0];
    assert_eq!(row["user"], "alice");
    assert_eq!(row["groups"], json!(["dev", "ops"]), "O values in order");
    assert_eq!(row["ca"], ca_id.as_str());
    assert_eq!(row["state"], "active");
    assert!(row["reissue_of"].is_null());
    let days_left = row["days_left"].as_i64().expect("days_left");
    assert!((88..=90).contains(&days_left), "{row:#}");
    assert_eq!(days_from_now(&row["not_after"]), days_left);
    let fp = fingerprint(&alice.cert)
        .replace(':', "")
        .to_ascii_lowercase();
    assert_eq!(row["credential_id"], format!("X509SHA256={fp}").as_str());
    assert!(rows[2]["days_left"].as_i64().expect("days") <= 10);

    assert_eq!(
        serials(&lab.json(&["list", "--user", "alice"])),
        std::slice::from_ref(&alice.serial)
    );
    assert_eq!(serials(&lab.json(&["list", "--user", "nobody"])).len(), 0);
    assert_eq!(
        serials(&lab.json(&["list", "--expiring-within", "30"])),
        std::slice::from_ref(&bob.serial)
    );
    assert_eq!(serials(&lab.json(&["list", "--revoked"])).len(), 0);

    lab.json(&[
        "revoke",
        "--yes",
        "--serial",
        &bob.serial,
        "--reason",
        "keyCompromise: laptop lost",
        "--out",
        path_str(&lab.path("rv")),
    ]);
    let revoked = lab.json(&["list", "--revoked"]);
    assert_eq!(serials(&revoked), std::slice::from_ref(&bob.serial));
    assert_eq!(revoked[0]["state"], "revoked");
    assert_eq!(
        serials(&lab.json(&["list", "--expiring-within", "30"])).len(),
        0,
        "a revoked certificate is not listed as expiring"
    );
    let all = lab.json(&["list"]);
    let states: Vec<&str> = all
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| row["state"].as_str().expect("state"))
        .collect();
    assert_eq!(states, ["active", "active", "revoked"]);

    // The text form names every certificate too.
    let text = lab.ok(&["list"]);
    for client in [alice, carol, &bob] {
        assert!(text.contains(&client.serial), "{text}");
    }
    assert!(text.contains("3 certificate(s)"), "{text}");
}

// ---------------------------------------------------------------------------------------
// Renewal
// ---------------------------------------------------------------------------------------

/// `renew --serial` signs the same subject and public key again with a new serial and a
/// fresh lifetime (`--days`), written as `sign` writes; re-run into the same OUT it
/// hands back the same certificate and records nothing.
#[test]
fn renew_by_serial_keeps_subject_and_key_and_is_idempotent() {
    let lab = Lab::new();
    let alice = lab
        .sign_with("batch1", &[("alice", "/O=dev/CN=alice")], &["--days", "5"])
        .remove(0);
    let ca = lab.ca_file(&lab.ca_id("active"));
    let out = lab.path("renewed");
    let issued_before = lab.entries_of("cert.issued").len();

    let report = lab.json(&[
        "renew",
        "--serial",
        &alice.serial,
        "--out",
        path_str(&out),
        "--days",
        "30",
    ]);
    assert_eq!(report["newly_signed"], 1);
    let renewed_serials = report_serials(&report["report"]);
    assert_eq!(renewed_serials.len(), 1);
    let serial = renewed_serials[0].clone();
    assert_ne!(serial, alice.serial);
    let renewed = out.join("alice.crt");
    assert_eq!(serial_of(&renewed), serial);
    assert_eq!(
        name_of(&renewed, "-subject"),
        name_of(&alice.cert, "-subject")
    );
    assert_eq!(cert_pubkey(&renewed), cert_pubkey(&alice.cert));
    assert_eq!(cert_pubkey(&renewed), key_pubkey(&alice.key));
    assert_ne!(end_date(&renewed), end_date(&alice.cert));
    let days = days_from_now(&report["report"]["issued"][0]["not_after"]);
    assert!((29..=30).contains(&days), "fresh 30-day lifetime: {days}");
    assert!(verifies(&ca, &renewed));
    sha256sums_pass(&out);
    assert_eq!(lab.entries_of("cert.issued").len(), issued_before + 1);
    // The old certificate is not revoked by a renewal.
    assert_eq!(lab.json(&["list", "--user", "alice"])[0]["state"], "active");

    // Re-run into the same OUT: the same renewal, nothing new in the ledger.
    let ledger = lab.ledger_bytes();
    let bytes = fs::read(&renewed).expect("renewed");
    let again = lab.json(&[
        "renew",
        "--serial",
        &alice.serial,
        "--out",
        path_str(&out),
        "--days",
        "30",
    ]);
    assert_eq!(again["newly_signed"], 0);
    assert_eq!(again["reused"], 1);
    assert_eq!(report_serials(&again["report"]), [serial]);
    assert_eq!(lab.ledger_bytes(), ledger);
    assert_eq!(fs::read(&renewed).expect("renewed"), bytes);
    sha256sums_pass(&out);

    // An unknown serial is refused.
    lab.refused(
        &[
            "renew",
            "--serial",
            "0123456789abcdef",
            "--out",
            path_str(&out),
        ],
        1,
    );
    // One of --serial / --expiring-within is required.
    lab.refused(&["renew", "--out", path_str(&out)], 2);
}

/// `renew --expiring-within DAYS` renews exactly the active certificates ending within
/// DAYS, with the same subject and key.
#[test]
fn renew_expiring_within_renews_only_those() {
    let lab = Lab::new();
    lab.sign("batch1", &[("alice", "/CN=alice")]);
    let bob = lab
        .sign_with("batch2", &[("bob", "/O=ops/CN=bob")], &["--days", "7"])
        .remove(0);
    let out = lab.path("renewed");
    let report = lab.json(&["renew", "--expiring-within", "30", "--out", path_str(&out)]);
    let issued = report["report"]["issued"].as_array().expect("issued");
    assert_eq!(issued.len(), 1, "{report:#}");
    assert_eq!(
        issued[0]["input"],
        format!("serial {}", bob.serial).as_str()
    );
    assert_eq!(issued[0]["user"], "bob");
    let renewed = out.join("bob.crt");
    assert_eq!(cert_pubkey(&renewed), cert_pubkey(&bob.cert));
    assert!(days_from_now(&issued[0]["not_after"]) > 30);
    assert!(!out.join("alice.crt").exists());
    sha256sums_pass(&out);
}

// ---------------------------------------------------------------------------------------
// Revocation
// ---------------------------------------------------------------------------------------

/// `openssl crl -text` of a CRL file.
fn crl_text(crl: &Path) -> String {
    openssl(&["crl", "-in", path_str(crl), "-noout", "-text"])
}

/// `openssl crl -in F -CAfile CA -noout -verify` says "verify OK".
fn assert_crl_verifies(crl: &Path, ca: &Path) {
    let output = Command::new("openssl")
        .args([
            "crl",
            "-in",
            path_str(crl),
            "-CAfile",
            path_str(ca),
            "-noout",
            "-verify",
        ])
        .output()
        .expect("openssl runs");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success() && all.contains("verify OK"),
        "CRL {} does not verify: {all}",
        crl.display()
    );
}

/// Revoking a serial: the ledger records cert.revoked and crl.issued; the CRL written to
/// OUT as `<ca-id>.crl` verifies with openssl against the CA and lists exactly the
/// revoked serials; the certificate shows as revoked; the output says that Kubernetes
/// does not check CRLs; a second revocation of the same serial is refused; revoke
/// without --reason is a usage error; a revoked certificate gets no kubeconfig; a later
/// revocation's CRL lists both serials.
#[test]
fn revoke_serial_writes_a_crl_that_openssl_verifies() {
    let lab = Lab::new();
    let clients = lab.sign("batch1", &[("alice", "/CN=alice"), ("bob", "/CN=bob")]);
    let (alice, bob) = (&clients[0], &clients[1]);
    let ca_id = lab.ca_id("active");
    let ca = lab.ca_file(&ca_id);

    lab.refused(&["revoke", "--yes", "--serial", &alice.serial], 2);
    lab.refused(
        &[
            "revoke",
            "--yes",
            "--serial",
            &alice.serial,
            "--reason",
            " ",
        ],
        1,
    );

    let out = lab.path("rv1");
    let text = lab.ok(&[
        "revoke",
        "--yes",
        "--serial",
        &alice.serial,
        "--reason",
        "keyCompromise: key compromised",
        "--out",
        path_str(&out),
    ]);
    assert!(text.contains("does not check CRLs"), "{text}");
    let crl = out.join(format!("{ca_id}.crl"));
    assert_crl_verifies(&crl, &ca);
    let crl_listing = crl_text(&crl);
    assert!(
        crl_listing.contains(&alice.serial.to_ascii_uppercase()),
        "{crl_listing}"
    );
    assert!(!crl_listing.contains(&bob.serial.to_ascii_uppercase()));
    assert!(out.join("revoke-rbac.sh").exists());

    let revoked = lab.entries_of("cert.revoked");
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["payload"]["serial"], alice.serial.as_str());
    assert_eq!(revoked[0]["payload"]["reason"], "key compromised");
    assert_eq!(revoked[0]["payload"]["code"], "keyCompromise");
    assert_eq!(revoked[0]["payload"]["user"], "alice");
    assert_eq!(lab.entries_of("crl.issued").len(), 1);
    assert_eq!(
        lab.json(&["list", "--user", "alice"])[0]["state"],
        "revoked"
    );
    assert_eq!(lab.json(&["list", "--user", "bob"])[0]["state"], "active");

    // Again: refused, naming the earlier revocation; nothing changes.
    let stderr = lab.refused(
        &[
            "revoke",
            "--yes",
            "--serial",
            &alice.serial,
            "--reason",
            "superseded: again",
            "--out",
            path_str(&lab.path("rv-again")),
        ],
        1,
    );
    assert!(stderr.contains("revoked"), "{stderr}");
    // No kubeconfig for a revoked certificate.
    lab.refused(
        &[
            "export",
            "kubeconfig",
            "--serial",
            &alice.serial,
            "--server",
            SERVER,
            "--out",
            path_str(&lab.path("alice.kubeconfig")),
        ],
        1,
    );
    assert!(!lab.path("alice.kubeconfig").exists());

    // A second revocation: the new CRL lists both, with a higher CRL number.
    let out2 = lab.path("rv2");
    lab.json(&[
        "revoke",
        "--yes",
        "--serial",
        &bob.serial,
        "--reason",
        "cessationOfOperation: left the team",
        "--out",
        path_str(&out2),
    ]);
    let crl2 = out2.join(format!("{ca_id}.crl"));
    assert_crl_verifies(&crl2, &ca);
    let listing = crl_text(&crl2);
    for client in [alice, bob] {
        assert!(
            listing.contains(&client.serial.to_ascii_uppercase()),
            "{listing}"
        );
    }
    assert_eq!(lab.entries_of("crl.issued").len(), 2);
    // Without --out the files go below the home.
    let carol = lab.sign("batch2", &[("carol", "/CN=carol")]).remove(0);
    let report = lab.json(&[
        "revoke",
        "--yes",
        "--serial",
        &carol.serial,
        "--reason",
        "unspecified: test",
    ]);
    let crl3 = PathBuf::from(report["crls"][0].as_str().expect("crl path"));
    assert!(crl3.starts_with(&lab.home), "{crl3:?}");
    assert_crl_verifies(&crl3, &ca);
}

/// An RBAC snapshot as `kubectl get clusterrolebindings,rolebindings -A -o yaml` prints
/// it: a `ClusterRoleBinding` naming alice alone, a `RoleBinding` naming alice's group
/// `dev`, and a `ClusterRoleBinding` naming bob.
const SNAPSHOT: &str = r#"apiVersion: v1
kind: List
metadata:
  resourceVersion: ""
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata:
    name: alice-cluster-view
  roleRef:
    apiGroup: rbac.authorization.k8s.io
    kind: ClusterRole
    name: view
  subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: User
    name: alice
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata:
    name: dev-team-edit
    namespace: app
  roleRef:
    apiGroup: rbac.authorization.k8s.io
    kind: ClusterRole
    name: edit
  subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: Group
    name: dev
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata:
    name: robert-admin
  roleRef:
    apiGroup: rbac.authorization.k8s.io
    kind: ClusterRole
    name: cluster-admin
  subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: User
    name: bob
"#;

/// Revoking a user revokes every active certificate of that user (the CRL lists them
/// all) and leaves other users alone; the revocation script built from the snapshot
/// deletes exactly the binding naming the user alone, lists the group binding commented
/// out, never mentions the other user's binding, passes `bash -n`, and states that
/// Kubernetes does not check CRLs.
#[test]
fn revoke_user_with_rbac_snapshot() {
    let lab = Lab::new();
    let first = lab.sign(
        "batch1",
        &[("alice", "/O=dev/CN=alice"), ("bob", "/O=ops/CN=bob")],
    );
    let alice_again = lab
        .sign("batch2", &[("alice", "/O=dev/CN=alice")])
        .remove(0);
    let (alice, bob) = (&first[0], &first[1]);
    let ca_id = lab.ca_id("active");
    let snapshot = lab.path("rbac.yaml");
    fs::write(&snapshot, SNAPSHOT).expect("snapshot");

    let out = lab.path("rv");
    let report = lab.json(&[
        "revoke",
        "--yes",
        "--user",
        "alice",
        "--reason",
        "cessation-of-operation: left the company",
        "--out",
        path_str(&out),
        "--rbac-snapshot",
        path_str(&snapshot),
    ]);
    let mut revoked: Vec<String> = report["revoked"]
        .as_array()
        .expect("revoked")
        .iter()
        .map(|serial| serial.as_str().expect("serial").to_owned())
        .collect();
    revoked.sort();
    let mut expected = vec![alice.serial.clone(), alice_again.serial.clone()];
    expected.sort();
    assert_eq!(revoked, expected, "every certificate of alice, no other");
    assert!(
        report["note"]
            .as_str()
            .expect("note")
            .contains("does not check CRLs")
    );

    let crl = out.join(format!("{ca_id}.crl"));
    assert_crl_verifies(&crl, &lab.ca_file(&ca_id));
    let listing = crl_text(&crl);
    for serial in &expected {
        assert!(listing.contains(&serial.to_ascii_uppercase()), "{listing}");
    }
    assert!(!listing.contains(&bob.serial.to_ascii_uppercase()));
    let states = lab.json(&["list", "--user", "alice"]);
    for row in states.as_array().expect("rows") {
        assert_eq!(row["state"], "revoked");
    }
    assert_eq!(lab.json(&["list", "--user", "bob"])[0]["state"], "active");

    let script_path = out.join("revoke-rbac.sh");
    let script = fs::read_to_string(&script_path).expect("script");
    let commands: Vec<&str> = script
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter(|line| line.contains("kubectl"))
        .collect();
    assert_eq!(
        commands,
        ["kubectl delete clusterrolebinding 'alice-cluster-view'"],
        "exactly the user-only binding is deleted:\n{script}"
    );
    assert!(
        script.lines().any(|line| line.starts_with('#')
            && line.contains("delete rolebinding 'dev-team-edit'")
            && line.contains("-n 'app'")),
        "the group binding is listed, commented out:\n{script}"
    );
    assert!(
        !script.contains("bob"),
        "the other user is never mentioned:\n{script}"
    );
    assert!(!script.contains("robert-admin"), "{script}");
    assert!(script.contains("does not check CRLs"), "{script}");
    assert!(script.contains("left the company"), "{script}");
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&script_path)
        .output()
        .expect("bash runs");
    assert!(
        syntax.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&syntax.stderr)
    );

    // Nothing of alice is left to revoke.
    let stderr = lab.refused(
        &[
            "revoke",
            "--yes",
            "--user",
            "alice",
            "--reason",
            "superseded: again",
            "--out",
            path_str(&lab.path("rv-again")),
        ],
        1,
    );
    assert!(stderr.contains("nothing to revoke"), "{stderr}");
}

/// Without a snapshot, the script deletes nothing: it lists the bindings naming the user
/// with kubectl, for the officer to review; it still passes `bash -n`.
#[test]
fn revoke_without_snapshot_writes_a_reviewed_template() {
    let lab = Lab::new();
    let alice = lab
        .sign("batch1", &[("alice", "/O=dev/CN=alice")])
        .remove(0);
    let out = lab.path("rv");
    lab.json(&[
        "revoke",
        "--yes",
        "--serial",
        &alice.serial,
        "--reason",
        "unspecified: test",
        "--out",
        path_str(&out),
    ]);
    let script_path = out.join("revoke-rbac.sh");
    let script = fs::read_to_string(&script_path).expect("script");
    assert!(
        !script
            .lines()
            .any(|line| !line.starts_with('#') && line.contains(" delete ")),
        "no uncommented delete without a snapshot:\n{script}"
    );
    assert!(script.contains("kubectl get clusterrolebindings,rolebindings -A"));
    assert!(script.contains("does not check CRLs"));
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&script_path)
        .output()
        .expect("bash runs");
    assert!(syntax.status.success());
}

// ---------------------------------------------------------------------------------------
// kubeconfig
// ---------------------------------------------------------------------------------------

/// `export kubeconfig` writes a file kubectl parses: client-certificate-data is the
/// certificate, certificate-authority-data the current bundle (default) or the given
/// `--cluster-ca` file; without `--client-key` it names a key path, with it the key is
/// embedded; a key that does not match is refused; the file is mode 0600 and never
/// overwritten.
#[test]
fn kubeconfig_export_parses_with_kubectl() {
    let lab = Lab::new();
    let alice = lab
        .sign("batch1", &[("alice", "/O=dev/CN=alice")])
        .remove(0);
    let cert_pem = fs::read(&alice.cert).expect("cert");
    let bundle = fs::read(lab.bundle("bundle.pem", false)).expect("bundle");

    // A CA generated here signed no API server: --cluster-ca is required (issue 10,
    // item 5); given the bundle, it is the certificate-authority-data, with a key path.
    let plain = lab.path("alice.kubeconfig");
    lab.refused(
        &[
            "export",
            "kubeconfig",
            "--serial",
            &alice.serial,
            "--server",
            SERVER,
            "--out",
            path_str(&plain),
        ],
        1,
    );
    lab.ok(&[
        "export",
        "kubeconfig",
        "--serial",
        &alice.serial,
        "--server",
        SERVER,
        "--out",
        path_str(&plain),
        "--cluster-ca",
        path_str(&lab.path("bundle.pem")),
    ]);
    let mode = fs::metadata(&plain)
        .expect("kubeconfig")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "kubeconfig mode {mode:o}");
    assert_eq!(
        kubectl_view(&plain, "{.clusters[0].cluster.server}"),
        SERVER
    );
    assert_eq!(
        decode_base64(&kubectl_view(
            &plain,
            "{.users[0].user.client-certificate-data}"
        )),
        cert_pem
    );
    assert_eq!(
        decode_base64(&kubectl_view(
            &plain,
            "{.clusters[0].cluster.certificate-authority-data}"
        )),
        bundle
    );
    assert!(!kubectl_view(&plain, "{.users[0].user.client-key}").is_empty());
    assert!(kubectl_view(&plain, "{.users[0].user.client-key-data}").is_empty());
    assert_eq!(kubectl_view(&plain, "{.users[0].name}"), "alice");
    let context = kubectl_view(&plain, "{.current-context}");
    assert_eq!(
        kubectl_view(
            &plain,
            &format!("{{.contexts[?(@.name==\"{context}\")].context.user}}")
        ),
        "alice"
    );

    // Never overwritten.
    let before = fs::read(&plain).expect("kubeconfig");
    lab.refused(
        &[
            "export",
            "kubeconfig",
            "--serial",
            &alice.serial,
            "--server",
            "https://other:6443",
            "--out",
            path_str(&plain),
        ],
        1,
    );
    assert_eq!(fs::read(&plain).expect("kubeconfig"), before);

    // --cluster-ca and --client-key.
    let cluster_ca = lab.path("serving-ca.crt");
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        path_str(&lab.path("serving-ca.key")),
        "-subj",
        "/CN=serving-ca",
        "-days",
        "30",
        "-out",
        path_str(&cluster_ca),
    ]);
    let full = lab.path("alice-full.kubeconfig");
    lab.ok(&[
        "export",
        "kubeconfig",
        "--serial",
        &alice.serial,
        "--server",
        SERVER,
        "--out",
        path_str(&full),
        "--cluster-ca",
        path_str(&cluster_ca),
        "--client-key",
        path_str(&alice.key),
    ]);
    assert_eq!(
        decode_base64(&kubectl_view(
            &full,
            "{.clusters[0].cluster.certificate-authority-data}"
        )),
        fs::read(&cluster_ca).expect("cluster CA")
    );
    assert_eq!(
        decode_base64(&kubectl_view(&full, "{.users[0].user.client-key-data}")),
        fs::read(&alice.key).expect("key")
    );
    assert!(kubectl_view(&full, "{.users[0].user.client-key}").is_empty());
    let mode = fs::metadata(&full)
        .expect("kubeconfig")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);

    // A key of someone else (PKCS#8, as openssl genpkey writes it) is refused.
    let other = lab.path("other.key");
    let mut args = vec!["genpkey"];
    args.extend_from_slice(P256);
    args.extend_from_slice(&["-out", path_str(&other)]);
    openssl(&args);
    let wrong = lab.path("wrong.kubeconfig");
    let stderr = lab.refused(
        &[
            "export",
            "kubeconfig",
            "--serial",
            &alice.serial,
            "--server",
            SERVER,
            "--out",
            path_str(&wrong),
            "--client-key",
            path_str(&other),
            "--cluster-ca",
            path_str(&cluster_ca),
        ],
        1,
    );
    assert!(stderr.contains("does not match"), "{stderr}");
    assert!(!wrong.exists());
    // An unknown serial is refused.
    lab.refused(
        &[
            "export",
            "kubeconfig",
            "--serial",
            "00ff",
            "--server",
            SERVER,
            "--out",
            path_str(&wrong),
        ],
        1,
    );
    assert!(!wrong.exists());
}

/// A mismatched client key must be refused whatever its PEM form: users often hold SEC1
/// (`EC PRIVATE KEY`, from `openssl ecparam -genkey`) or PKCS#1 keys, and a kubeconfig
/// embedding someone else's key never authenticates.
#[test]
fn kubeconfig_refuses_a_mismatched_sec1_key() {
    let lab = Lab::new();
    let alice = lab.sign("batch1", &[("alice", "/CN=alice")]).remove(0);
    let other = lab.path("other-sec1.key");
    openssl(&[
        "ecparam",
        "-genkey",
        "-name",
        "prime256v1",
        "-noout",
        "-out",
        path_str(&other),
    ]);
    assert!(
        fs::read_to_string(&other)
            .expect("key")
            .starts_with("-----BEGIN EC PRIVATE KEY-----")
    );
    let wrong = lab.path("wrong.kubeconfig");
    let output = lab.run(&[
        "export",
        "kubeconfig",
        "--serial",
        &alice.serial,
        "--server",
        SERVER,
        "--out",
        path_str(&wrong),
        "--client-key",
        path_str(&other),
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a SEC1 key that does not match the certificate was embedded: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(!wrong.exists());
}

// ---------------------------------------------------------------------------------------
// RBAC and audit policy
// ---------------------------------------------------------------------------------------

/// `export rbac` prints a `RoleBinding` (with `--namespace`, in that namespace) or a
/// `ClusterRoleBinding` (without a namespace) granting the `ClusterRole` to the user or
/// group, as in the Kubernetes RBAC documentation.
#[test]
fn export_rbac_bindings() {
    let lab = Lab::new();
    let role_binding = lab.ok(&[
        "export",
        "rbac",
        "--user",
        "alice",
        "--clusterrole",
        "view",
        "--namespace",
        "dev",
    ]);
    let lines: Vec<&str> = role_binding.lines().collect();
    for expected in [
        "apiVersion: rbac.authorization.k8s.io/v1",
        "kind: RoleBinding",
        "  namespace: dev",
        "- kind: User",
        "  name: alice",
        "  kind: ClusterRole",
        "  name: view",
    ] {
        assert!(
            lines.contains(&expected),
            "{expected:?} in:\n{role_binding}"
        );
    }
    let object = yaml(&role_binding);
    assert_eq!(object["kind"], "RoleBinding");
    assert_eq!(object["metadata"]["namespace"], "dev");
    assert!(
        !object["metadata"]["name"]
            .as_str()
            .expect("name")
            .is_empty()
    );
    assert_eq!(
        object["subjects"],
        json!([{"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}])
    );
    assert_eq!(
        object["roleRef"],
        json!({"kind": "ClusterRole", "name": "view", "apiGroup": "rbac.authorization.k8s.io"})
    );

    let cluster_binding = lab.ok(&["export", "rbac", "--group", "ops", "--clusterrole", "edit"]);
    assert!(
        cluster_binding
            .lines()
            .any(|line| line == "kind: ClusterRoleBinding")
    );
    assert!(!cluster_binding.contains("namespace"), "{cluster_binding}");
    let object = yaml(&cluster_binding);
    assert_eq!(object["kind"], "ClusterRoleBinding");
    assert!(object["metadata"].get("namespace").is_none());
    assert_eq!(object["subjects"][0]["kind"], "Group");
    assert_eq!(object["subjects"][0]["name"], "ops");
    assert_eq!(object["roleRef"]["name"], "edit");

    // --user or --group is required.
    lab.refused(&["export", "rbac", "--clusterrole", "view"], 2);
}

/// `export audit-policy` is an audit.k8s.io/v1 Policy naming, at Metadata level, the
/// users holding an unexpired certificate under a trusted CA: a revoked one included
/// (it still authenticates; issue 10, item 4), not one signed by a CA that an aborted
/// rotation retired.
#[test]
fn audit_policy_names_active_users_only() {
    let lab = Lab::new();
    let clients = lab.sign(
        "batch1",
        &[
            ("alice", "/CN=alice"),
            ("bob", "/CN=bob"),
            ("carol", "/O=dev/CN=carol"),
        ],
    );
    lab.json(&[
        "revoke",
        "--yes",
        "--serial",
        &clients[1].serial,
        "--reason",
        "cessationOfOperation: left",
        "--out",
        path_str(&lab.path("rv")),
    ]);
    lab.begin();
    lab.sign("batch2", &[("dave", "/CN=dave")]);
    lab.json(&["rotate", "abort", "--yes"]);
    assert_eq!(
        lab.json(&["list", "--user", "dave"])[0]["state"],
        "untrusted"
    );

    let text = lab.ok(&["export", "audit-policy"]);
    let policy = yaml(&text);
    assert_eq!(policy["apiVersion"], "audit.k8s.io/v1");
    assert_eq!(policy["kind"], "Policy");
    let rules = policy["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 1, "{text}");
    assert_eq!(rules[0]["level"], "Metadata");
    assert_eq!(
        rules[0]["users"],
        json!(["alice", "bob", "carol"]),
        "{text}"
    );
    assert!(
        text.contains("#   bob\n"),
        "the revoked user is named: {text}"
    );
}

// ---------------------------------------------------------------------------------------
// issue: a key pair made here, leaving only age-encrypted
// ---------------------------------------------------------------------------------------

/// The 32-byte private scalar inside a P-256 PKCS#8 key (the `ECPrivateKey`'s OCTET
/// STRING after `version 1`).
fn p256_scalar(pkcs8: &[u8]) -> Vec<u8> {
    let marker = [0x02, 0x01, 0x01, 0x04, 0x20];
    let start = pkcs8
        .windows(marker.len())
        .position(|window| window == marker)
        .expect("ECPrivateKey in the PKCS#8")
        + marker.len();
    pkcs8[start..start + 32].to_vec()
}

/// `issue` makes the key pair on this host: the certificate is written in the clear, the
/// private key and the kubeconfig only age-encrypted to the recipient. Nothing below the
/// home or OUT holds the key in plaintext (PEM, base64 of the PEM, DER, or the bare
/// scalar). Decrypted with the identity, the key is PKCS#8 and matches the
/// certificate's public key; the kubeconfig embeds it and kubectl parses it. The policy
/// applies (automation profile for `system:automation`).
#[test]
fn issue_leaves_the_key_only_encrypted() {
    let lab = Lab::new();
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let out = lab.path("issued");
    let report = lab.json(&[
        "issue",
        "--cn",
        "ci-robot",
        "--org",
        "system:automation",
        "--recipient",
        &recipient,
        "--out",
        path_str(&out),
        "--server",
        SERVER,
    ]);
    let cert = out.join("ci-robot.crt");
    let key_age = out.join("ci-robot.key.age");
    let kubeconfig_age = out.join("ci-robot.kubeconfig.age");
    for file in [&cert, &key_age, &kubeconfig_age] {
        assert!(file.exists(), "{} written", file.display());
    }
    assert_eq!(serial_of(&cert), report["serial"].as_str().expect("serial"));
    assert_eq!(
        name_of(&cert, "-subject"),
        "CN=ci-robot,O=system:automation"
    );
    assert!(verifies(&lab.ca_file(&lab.ca_id("active")), &cert));
    let issued = lab.entries_of("cert.issued");
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0]["payload"]["profile"], "automation");

    // Decrypt the key with the identity: a PKCS#8 PEM matching the certificate.
    let key_pem = age::decrypt(&identity, &fs::read(&key_age).expect("key.age"))
        .expect("the key decrypts with the identity");
    let key_text = String::from_utf8(key_pem.clone()).expect("PEM text");
    assert!(
        key_text.starts_with("-----BEGIN PRIVATE KEY-----"),
        "PKCS#8"
    );
    let scratch = lab.path("scratch");
    fs::create_dir_all(&scratch).expect("scratch");
    let key_file = scratch.join("ci-robot.key");
    fs::write(&key_file, &key_pem).expect("write key");
    assert_eq!(
        key_pubkey(&key_file),
        cert_pubkey(&cert),
        "key matches the certificate"
    );
    let der_file = scratch.join("ci-robot.der");
    openssl(&[
        "pkey",
        "-in",
        path_str(&key_file),
        "-outform",
        "DER",
        "-out",
        path_str(&der_file),
    ]);
    let der = fs::read(&der_file).expect("DER");
    let body_line = key_text.lines().nth(1).expect("PEM body line").to_owned();

    // The kubeconfig decrypts, kubectl parses it, and it embeds this key and certificate.
    let kubeconfig = age::decrypt(&identity, &fs::read(&kubeconfig_age).expect("age"))
        .expect("the kubeconfig decrypts");
    let kubeconfig_file = scratch.join("ci-robot.kubeconfig");
    fs::write(&kubeconfig_file, &kubeconfig).expect("write kubeconfig");
    fs::set_permissions(&kubeconfig_file, fs::Permissions::from_mode(0o600)).expect("chmod");
    assert_eq!(
        kubectl_view(&kubeconfig_file, "{.clusters[0].cluster.server}"),
        SERVER
    );
    assert_eq!(
        decode_base64(&kubectl_view(
            &kubeconfig_file,
            "{.users[0].user.client-key-data}"
        )),
        key_pem
    );
    assert_eq!(
        decode_base64(&kubectl_view(
            &kubeconfig_file,
            "{.users[0].user.client-certificate-data}"
        )),
        fs::read(&cert).expect("cert")
    );

    // No plaintext key anywhere below the home or OUT.
    let pem_header_base64 =
        base64::engine::general_purpose::STANDARD.encode(b"-----BEGIN PRIVATE KEY-----");
    for root in [&lab.home, &out] {
        for (needle, what) in [
            (b"PRIVATE KEY".as_slice(), "a PEM private key"),
            (pem_header_base64.as_bytes(), "a base64 PEM private key"),
        ] {
            assert_eq!(
                found_below(root, needle),
                None,
                "{what} below {}",
                root.display()
            );
        }
        assert_not_below(root, &der, "the key's PKCS#8 DER");
        assert_not_below(root, &p256_scalar(&der), "the private scalar");
        assert_not_below(root, body_line.as_bytes(), "the key's PEM body");
    }

    // Never overwritten: a second issue into the same OUT is refused before signing.
    let before = fs::read(&key_age).expect("key.age");
    let stderr = lab.refused(
        &[
            "issue",
            "--cn",
            "ci-robot",
            "--org",
            "system:automation",
            "--recipient",
            &recipient,
            "--out",
            path_str(&out),
        ],
        1,
    );
    assert!(stderr.contains("ci-robot.crt"), "{stderr}");
    assert_eq!(fs::read(&key_age).expect("key.age"), before);
}

/// `issue` refuses a recipient that is not an age X25519 recipient (naming it), and an
/// identity the policy forbids (`--org system:masters`); nothing is issued or written.
#[test]
fn issue_refuses_bad_recipients_and_forbidden_identities() {
    let lab = Lab::new();
    let out = lab.path("issued");
    let bad = "age1notarecipientatall";
    let stderr = lab.refused(
        &[
            "issue",
            "--cn",
            "ci-robot",
            "--recipient",
            bad,
            "--out",
            path_str(&out),
        ],
        1,
    );
    assert!(
        stderr.contains(bad),
        "the refusal names the recipient: {stderr}"
    );

    let recipient = age::x25519::Identity::generate().to_public().to_string();
    let stderr = lab.refused(
        &[
            "issue",
            "--cn",
            "ci-robot",
            "--org",
            "system:masters",
            "--recipient",
            &recipient,
            "--out",
            path_str(&out),
        ],
        1,
    );
    assert!(stderr.contains("system:masters"), "{stderr}");
    let stderr = lab.refused(
        &[
            "issue",
            "--cn",
            "system:kube-scheduler",
            "--recipient",
            &recipient,
            "--out",
            path_str(&out),
        ],
        1,
    );
    assert!(stderr.contains("system:kube-scheduler"), "{stderr}");
    assert!(lab.entries_of("cert.issued").is_empty());
    if out.exists() {
        assert!(files_below(&out).is_empty(), "nothing written to OUT");
    }
    // --recipient is required.
    lab.refused(&["issue", "--cn", "ci-robot", "--out", path_str(&out)], 2);
}
