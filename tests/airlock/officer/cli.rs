//! Officer-facing behaviour: the CLI's conventions (items 11, 12, 13, 14 and 16 of
//! issue 10). Each test names the item it covers.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::support::*;

/// A home with a CA, its passphrase file, and a scratch folder.
struct Lab {
    _dir: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    pass: PathBuf,
}

impl Lab {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().to_path_buf();
        let (home, pass) = init_home(&root, "ecdsa-p256");
        Self {
            _dir: dir,
            root,
            home,
            pass,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// `airlock --home H --passphrase-file P ARGS`, as runbooks write it.
    fn run(&self, args: &[&str]) -> Output {
        airlock()
            .arg("--home")
            .arg(&self.home)
            .arg("--passphrase-file")
            .arg(&self.pass)
            .args(args)
            .output()
            .expect("run airlock")
    }

    /// An intake folder `name` with one good CSR per user (`alice.csr`, ...).
    fn intake(&self, name: &str, users: &[&str]) -> PathBuf {
        let intake = self.path(name);
        std::fs::create_dir_all(&intake).expect("intake");
        let keys = self.path(&format!("{name}-keys"));
        std::fs::create_dir_all(&keys).expect("keys");
        for user in users {
            let csr = openssl_csr(
                &keys,
                user,
                &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
                &format!("/O=dev/CN={user}"),
            );
            std::fs::rename(&csr, intake.join(format!("{user}.csr"))).expect("move");
        }
        intake
    }

    /// Signs `intake` into `out`; returns the signed certificate of `user`.
    fn sign(&self, intake: &Path, out: &Path, user: &str) -> PathBuf {
        let output = self.run(&["sign", path_str(intake), "--out", path_str(out), "--yes"]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        out.join(format!("{user}.crt"))
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("stdout is not JSON ({error}): {}", text(&output.stdout)))
}

// Item 11: with --json, an error is JSON on stdout, with the same exit code.
#[test]
fn an_error_with_json_is_json_on_stdout_and_exits_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-home");
    for args in [
        vec!["--json", "--home", path_str(&missing), "status"],
        vec!["status", "--home", path_str(&missing), "--json"],
    ] {
        let output = airlock().args(&args).output().expect("run");
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let value = json(&output);
        assert!(
            value["error"]
                .as_str()
                .is_some_and(|error| !error.is_empty()),
            "{value}"
        );
        assert!(
            value.get("hint").is_some(),
            "the hint key is always there: {value}"
        );
        assert!(
            !text(&output.stderr).contains("error:"),
            "{}",
            text(&output.stderr)
        );
    }
    // Without --json the error stays text on stderr.
    let output = airlock()
        .args(["--home", path_str(&missing), "status"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(text(&output.stderr).starts_with("error: "));
}

// Item 11: a usage error with --json on the command line is JSON too, exit 2.
#[test]
fn a_usage_error_with_json_is_json_and_exits_2() {
    let output = airlock()
        .args(["--json", "sign", "--no-such-option"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let value = json(&output);
    assert!(
        value["error"]
            .as_str()
            .is_some_and(|error| error.contains("--no-such-option")),
        "{value}"
    );
    assert!(value["hint"].is_string(), "{value}");
}

// Item 11: a hint travels in the JSON error.
#[test]
fn a_wrong_passphrase_with_json_carries_its_hint() {
    let lab = Lab::new();
    let intake = lab.intake("in", &["alice"]);
    let wrong = lab.path("wrong");
    std::fs::write(&wrong, "not the passphrase\n").expect("write");
    let private = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o600);
    std::fs::set_permissions(&wrong, private).expect("chmod");
    let output = airlock()
        .arg("--home")
        .arg(&lab.home)
        .args(["--json", "sign", path_str(&intake), "--out"])
        .arg(lab.path("out"))
        .args(["--yes", "--passphrase-file"])
        .arg(&wrong)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let value = json(&output);
    assert!(value["hint"].is_string(), "{value}");
}

// Item 11: export rbac and export audit-policy print JSON with --json.
#[test]
fn export_rbac_with_json_prints_the_binding_as_json() {
    let output = airlock()
        .args([
            "export",
            "rbac",
            "--user",
            "alice",
            "--clusterrole",
            "view",
            "--namespace",
            "dev",
            "--json",
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let value = json(&output);
    assert_eq!(value["kind"], "RoleBinding");
    assert_eq!(value["metadata"]["namespace"], "dev");
    assert_eq!(value["subjects"][0]["name"], "alice");
    assert_eq!(value["roleRef"]["name"], "view");
}

// Item 11: status --json has the process hardening the text form prints.
#[test]
fn status_json_has_the_hardening_fields() {
    let lab = Lab::new();
    let output = lab.run(&["--json", "status"]);
    assert_eq!(output.status.code(), Some(0));
    let value = json(&output);
    assert!(
        value["process"]["core_dumps_disabled"].is_boolean(),
        "{value}"
    );
    assert!(value["process"]["not_dumpable"].is_boolean(), "{value}");
}

// Item 12: nothing to renew is a success, said plainly, and writes nothing.
#[test]
fn nothing_to_renew_is_a_success_that_writes_nothing() {
    let lab = Lab::new();
    let out = lab.path("renewed");
    let output = lab.run(&["renew", "--expiring-within", "30", "--out", path_str(&out)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("Nothing to renew"),
        "{}",
        text(&output.stdout)
    );
    assert!(!out.exists(), "an empty output folder was left behind");
    let output = lab.run(&[
        "--json",
        "renew",
        "--expiring-within",
        "30",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(json(&output)["newly_signed"], 0);
}

// Item 12: review exits 3 when an input is rejected, as sign does; 0 otherwise.
#[test]
fn review_exits_3_when_an_input_is_rejected() {
    let lab = Lab::new();
    let intake = lab.intake("in", &["alice"]);
    let output = lab.run(&["review", path_str(&intake)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    std::fs::write(intake.join("junk.csr"), "not a CSR").expect("write");
    let output = lab.run(&["review", path_str(&intake)]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stdout));
    let output = lab.run(&["--json", "review", path_str(&intake)]);
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(json(&output)["rejected"], 1);
}

/// The help of `airlock ARGS --help`.
fn help(args: &[&str]) -> String {
    let output = airlock().args(args).arg("--help").output().expect("run");
    assert_eq!(output.status.code(), Some(0), "{args:?}");
    text(&output.stdout)
}

// Item 13: each subcommand lists only the options that apply, with an example.
#[test]
fn each_subcommand_help_lists_only_the_options_that_apply_and_an_example() {
    let top = help(&[]);
    assert!(
        !top.contains('`'),
        "stray backticks in the top help:\n{top}"
    );
    assert!(top.contains("$AIRLOCK_HOME"), "{top}");
    let key = ["--passphrase-file <FILE>", "--accept-unsealed <REASON>"];
    for args in [
        &["review"][..],
        &["list"],
        &["audit", "verify"],
        &["audit", "show"],
        &["bundle"],
        &["status"],
        &["policy", "show"],
        &["inspect"],
        &["rotate", "status"],
        &["export", "rbac"],
    ] {
        let shown = help(args);
        for option in key {
            assert!(!shown.contains(option), "{args:?} lists {option}:\n{shown}");
        }
        assert!(shown.contains("--json"), "{args:?}:\n{shown}");
    }
    for args in [
        &["sign"][..],
        &["renew"],
        &["renew-ca"],
        &["revoke"],
        &["crl"],
        &["issue"],
        &["policy", "accept"],
        &["rotate", "begin"],
        &["rotate", "reissue"],
        &["rotate", "finish"],
        &["rotate", "abort"],
    ] {
        let shown = help(args);
        for option in key.iter().chain(&["--home", "--json"]) {
            assert!(shown.contains(option), "{args:?} lacks {option}:\n{shown}");
        }
    }
    let tui = help(&["tui"]);
    assert!(!tui.contains("--json"), "{tui}");
    let demo = help(&["demo"]);
    assert!(!demo.contains("--home"), "{demo}");
    assert!(!help(&["export", "rbac"]).contains("--home"));
    for args in [
        &["init"][..],
        &["import"],
        &["status"],
        &["review"],
        &["sign"],
        &["inspect"],
        &["list"],
        &["renew"],
        &["renew-ca"],
        &["revoke"],
        &["crl"],
        &["rotate"],
        &["rotate", "begin"],
        &["rotate", "reissue"],
        &["rotate", "finish"],
        &["rotate", "abort"],
        &["rotate", "status"],
        &["bundle"],
        &["issue"],
        &["export"],
        &["export", "kubeconfig"],
        &["export", "rbac"],
        &["export", "audit-policy"],
        &["audit"],
        &["audit", "verify"],
        &["audit", "show"],
        &["policy"],
        &["policy", "show"],
        &["policy", "accept"],
        &["demo"],
        &["tui"],
    ] {
        let shown = help(args);
        assert!(shown.contains("Example:\n  airlock "), "{args:?}:\n{shown}");
        assert!(
            !shown.contains('`'),
            "{args:?} has stray backticks:\n{shown}"
        );
    }
}

// Item 13: the shared options work before the subcommand (runbooks) and after it; where
// one does not apply it is refused, as a usage error.
#[test]
fn shared_options_work_before_and_after_the_subcommand() {
    let lab = Lab::new();
    let before = airlock()
        .arg("--home")
        .arg(&lab.home)
        .args(["--json", "status"])
        .output()
        .expect("run");
    assert_eq!(before.status.code(), Some(0), "{}", text(&before.stderr));
    let after = airlock()
        .arg("status")
        .arg("--home")
        .arg(&lab.home)
        .arg("--json")
        .output()
        .expect("run");
    assert_eq!(after.status.code(), Some(0), "{}", text(&after.stderr));
    assert_eq!(json(&before)["ledger"], json(&after)["ledger"]);
    // After the subcommand, an option it does not take is unknown to it.
    let output = lab.run(&["review", "--passphrase-file", "x", "."]);
    assert_eq!(output.status.code(), Some(2));
    // Before it, one that would mislead is refused.
    for args in [
        vec!["--json", "tui"],
        vec!["--home", "/tmp/somewhere", "demo"],
        vec!["--accept-unsealed", "mine", "status"],
    ] {
        let output = airlock().args(&args).output().expect("run");
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
    let twice = airlock()
        .arg("--home")
        .arg(&lab.home)
        .arg("status")
        .arg("--home")
        .arg(&lab.home)
        .output()
        .expect("run");
    assert_eq!(twice.status.code(), Some(2));
}

// Item 14: review and sign take a single file as well as a folder.
#[test]
fn review_and_sign_take_a_single_file() {
    let lab = Lab::new();
    let intake = lab.intake("in", &["alice", "bob"]);
    let alice = intake.join("alice.csr");
    let output = lab.run(&["--json", "review", path_str(&alice)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let review = json(&output);
    assert_eq!(
        review["items"].as_array().map(Vec::len),
        Some(1),
        "{review}"
    );
    assert_eq!(review["items"][0]["user"], "alice");
    let out = lab.path("out");
    let cert = lab.sign(&alice, &out, "alice");
    assert!(cert.is_file());
    assert!(
        !out.join("bob.crt").exists(),
        "only the file given is signed"
    );
    // A link given as the file is refused, as a link given as the folder is.
    let link = lab.path("link.csr");
    std::os::unix::fs::symlink(intake.join("bob.csr"), &link).expect("symlink");
    let output = lab.run(&["review", path_str(&link)]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("symbolic link"),
        "{}",
        text(&output.stderr)
    );
}

// Item 14: inspect shows a CSR with its verdict, and a certificate with its credential id.
#[test]
fn inspect_shows_a_csr_with_its_verdict_and_a_certificate_with_its_credential_id() {
    let lab = Lab::new();
    let intake = lab.intake("in", &["alice"]);
    let alice = intake.join("alice.csr");
    let output = lab.run(&["--json", "inspect", path_str(&alice)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let value = json(&output);
    assert_eq!(value["kind"], "csr", "{value}");
    assert_eq!(value["items"][0]["verdict"], "accepted", "{value}");
    assert_eq!(value["items"][0]["groups"][0], "dev");
    let der = std::process::Command::new("openssl")
        .args(["req", "-in", path_str(&alice), "-outform", "DER"])
        .output()
        .expect("openssl")
        .stdout;
    assert_eq!(
        value["items"][0]["csr_sha256"],
        openssl_sha256(&der),
        "the CSR fingerprint is the SHA-256 of its DER"
    );

    let cert = lab.sign(&intake, &lab.path("out"), "alice");
    let output = lab.run(&["--json", "inspect", path_str(&cert)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let value = json(&output);
    assert_eq!(value["kind"], "certificates", "{value}");
    let view = &value["certificates"][0];
    assert_eq!(view["user"], "alice");
    assert_eq!(view["in_ledger"], true);
    assert!(view["signed_by"].is_string(), "{view}");
    let cert_der = openssl(&["x509", "-in", path_str(&cert), "-outform", "PEM"]);
    let cert_der = pem_contents(&cert_der);
    assert_eq!(
        view["credential_id"],
        format!("X509SHA256={}", openssl_sha256(&cert_der))
    );
    // The text form says the same, escaped.
    let output = lab.run(&["inspect", path_str(&cert)]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        text(&output.stdout).contains("X509SHA256="),
        "{}",
        text(&output.stdout)
    );
    // A rejected CSR exits 3, as the review does.
    let junk = lab.path("junk.csr");
    std::fs::write(&junk, "not a CSR").expect("write");
    assert_eq!(
        lab.run(&["inspect", path_str(&junk)]).status.code(),
        Some(3)
    );
    // A folder is for review.
    assert_eq!(
        lab.run(&["inspect", path_str(&intake)]).status.code(),
        Some(1)
    );
}

/// SHA-256 of `bytes`, hex, computed by sha256sum.
fn openssl_sha256(bytes: &[u8]) -> String {
    use std::io::Write as _;
    let mut child = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bytes)
        .expect("write");
    let output = child.wait_with_output().expect("sha256sum");
    text(&output.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn pem_contents(pem_text: &str) -> Vec<u8> {
    let body: String = pem_text
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    base64_decode(&body)
}

/// Decodes base64 with the coreutils tool, so the test trusts no code of airlock's.
fn base64_decode(body: &str) -> Vec<u8> {
    use std::io::Write as _;
    let mut child = std::process::Command::new("base64")
        .arg("-d")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("base64");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(body.as_bytes())
        .expect("write");
    child.wait_with_output().expect("base64").stdout
}

// Item 14: crl re-issues the CRL, numbered after the last, sealed in the ledger.
#[test]
fn crl_reissues_the_crl_and_records_it() {
    let lab = Lab::new();
    let intake = lab.intake("in", &["alice"]);
    let cert = lab.sign(&intake, &lab.path("out"), "alice");
    let serial = openssl(&["x509", "-in", path_str(&cert), "-noout", "-serial"]);
    let serial = serial.trim().trim_start_matches("serial=").to_lowercase();
    let revoked = lab.run(&[
        "revoke",
        "--serial",
        &serial,
        "--reason",
        "keyCompromise",
        "--out",
        path_str(&lab.path("revoked")),
        "--yes",
    ]);
    assert_eq!(revoked.status.code(), Some(0), "{}", text(&revoked.stderr));

    let out = lab.path("crl");
    let output = lab.run(&["--json", "crl", "--out", path_str(&out)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    let report = json(&output);
    assert_eq!(report["revoked"], 1, "{report}");
    let file = report["crls"][0].as_str().expect("a CRL").to_owned();
    let ca = ca_cert(&lab.home);
    let shown = openssl(&[
        "crl",
        "-in",
        &file,
        "-CAfile",
        path_str(&ca),
        "-noout",
        "-text",
    ]);
    assert!(
        shown.to_uppercase().contains(&serial.to_uppercase()),
        "{shown}"
    );
    // The revoke wrote CRL number 1; this is the next.
    let number = openssl(&["crl", "-in", &file, "-noout", "-crlnumber"]);
    let number = number
        .trim()
        .trim_start_matches("crlNumber=")
        .trim_start_matches("0x");
    assert_eq!(u64::from_str_radix(number, 16).ok(), Some(2), "{number}");
    let audit = lab.run(&["--json", "audit", "show"]);
    let entries = json(&audit);
    let kinds: Vec<&str> = entries
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|entry| entry["kind"].as_str())
        .collect();
    assert_eq!(
        kinds.iter().filter(|kind| **kind == "crl.issued").count(),
        2
    );
    assert_eq!(kinds.last(), Some(&"ledger.sealed"), "{kinds:?}");
    // Never over an existing CRL.
    let again = lab.run(&["crl", "--out", path_str(&out)]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(lab.run(&["audit", "verify"]).status.code(), Some(0));
}

// Item 16: the README's openssl + sha256sum recipe gives the review's batch digest and key
// fingerprint.
#[test]
fn the_readme_recipe_computes_the_batch_digest_and_fingerprints() {
    let lab = Lab::new();
    let intake = lab.intake("requests", &["alice", "bob", "carol"]);
    // The same CSR twice counts once.
    std::fs::copy(intake.join("alice.csr"), intake.join("alice-again.csr")).expect("copy");
    let output = lab.run(&["--json", "review", path_str(&intake)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let review = json(&output);
    let readme = include_str!("../../../README.md");
    let recipe = readme
        .lines()
        .skip_while(|line| !line.starts_with("printf %s \"$(for csr in requests/"))
        .take(2)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        !recipe.is_empty(),
        "the README's batch digest recipe is missing"
    );
    let digest = std::process::Command::new("bash")
        .args(["-c", &recipe])
        .current_dir(&lab.root)
        .output()
        .expect("bash");
    assert_eq!(text(&digest.stdout).trim(), review["digest"], "{recipe}");

    let key = readme
        .lines()
        .find(|line| line.starts_with("openssl req -in alice.csr -noout -pubkey"))
        .expect("the README's key fingerprint recipe");
    let fingerprint = std::process::Command::new("bash")
        .args(["-c", key])
        .current_dir(&intake)
        .output()
        .expect("bash");
    let alice = review["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|item| item["input"] == "alice.csr")
        .expect("alice");
    assert_eq!(
        text(&fingerprint.stdout).split_whitespace().next(),
        alice["key_sha256"].as_str()
    );
}

// Item 16: init without --home or AIRLOCK_HOME says where it makes the home.
#[test]
fn init_without_a_home_says_where_it_makes_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pass = passphrase_file(dir.path());
    let data = dir.path().join("data");
    let output = airlock()
        .env("XDG_DATA_HOME", &data)
        .args(["init", "--cn", "test-ca", "--scrypt-work-factor", "14"])
        .arg("--passphrase-file")
        .arg(&pass)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let expected = data.join("airlock");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "the CA home is the default, '{}'",
            expected.display()
        )),
        "{stderr}"
    );
    assert!(expected.join("ledger.jsonl").is_file());
    // With --home it is the officer's choice: nothing to announce.
    let chosen = airlock()
        .arg("--home")
        .arg(dir.path().join("chosen"))
        .arg("--passphrase-file")
        .arg(&pass)
        .args(["init", "--cn", "test-ca", "--scrypt-work-factor", "14"])
        .output()
        .expect("run");
    assert_eq!(chosen.status.code(), Some(0));
    assert!(
        !text(&chosen.stderr).contains("default"),
        "{}",
        text(&chosen.stderr)
    );
}
