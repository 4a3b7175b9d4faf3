//! Officer-facing behaviour: core fixes (issue 10, items 4, 5, 7, 10 and 15). Each test is
//! the officer's mistake or surprise, asserting what airlock now says and does, on a real
//! home driven through the binary (and, for the lock, the library a TUI uses).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use airlock::ops::Session;
use serde_json::Value;

use crate::support::*;

/// `airlock --home HOME --passphrase-file PASS ARGS...`, asserting exit `code`; returns
/// (stdout, stderr).
fn run(home: &Path, pass: &Path, args: &[&str], code: i32) -> (String, String) {
    let output = airlock()
        .arg("--home")
        .arg(home)
        .arg("--passphrase-file")
        .arg(pass)
        .args(args)
        .output()
        .expect("airlock runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(code),
        "airlock {args:?}\nstdout: {stdout}\nstderr: {stderr}"
    );
    (stdout, stderr)
}

fn text(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Signs `subjects` (name, `-subj`) from `dir/<batch>` into `dir/<batch>-out`; returns
/// the serials by name.
fn sign(dir: &Path, home: &Path, pass: &Path, batch: &str, subjects: &[(&str, &str)]) -> Value {
    let intake = dir.join(batch);
    std::fs::create_dir_all(&intake).expect("intake");
    for (name, subject) in subjects {
        openssl_csr(
            &intake,
            name,
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            subject,
        );
        // The key stays beside the intake, not in it.
        std::fs::rename(
            intake.join(format!("{name}.key")),
            dir.join(format!("{name}.key")),
        )
        .expect("move key");
    }
    let out = dir.join(format!("{batch}-out"));
    run(
        home,
        pass,
        &["sign", text(&intake), "--out", text(&out), "--yes"],
        0,
    );
    let report = std::fs::read(out.join("report.json")).expect("report.json");
    serde_json::from_slice(&report).expect("report JSON")
}

fn serial_of(report: &Value, user: &str) -> String {
    report["issued"]
        .as_array()
        .expect("issued")
        .iter()
        .find(|item| item["user"] == user)
        .and_then(|item| item["serial"].as_str())
        .expect("issued to the user")
        .to_owned()
}

/// A kubeadm-like CA (P-256, CA:TRUE, keyCertSign) made by openssl: (cert, key).
fn kubeadm_ca(dir: &Path) -> (PathBuf, PathBuf) {
    let cert = dir.join("kubeadm-ca.crt");
    let key = dir.join("kubeadm-ca.key");
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        text(&key),
        "-subj",
        "/CN=kubernetes",
        "-days",
        "365",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,digitalSignature,keyCertSign,cRLSign",
        "-out",
        text(&cert),
    ]);
    (cert, key)
}

// Item 4: a revoked user still authenticates until the certificate expires (Kubernetes
// checks no CRL), so the audit policy names them, and says why.
#[test]
fn audit_policy_names_revoked_users_and_says_why() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let report = sign(
        dir.path(),
        &home,
        &pass,
        "batch",
        &[("alice", "/CN=alice"), ("mallory", "/O=dev/CN=mallory")],
    );
    let serial = serial_of(&report, "mallory");
    run(
        &home,
        &pass,
        &[
            "revoke",
            "--serial",
            &serial,
            "--reason",
            "keyCompromise",
            "--out",
            text(&dir.path().join("revoked")),
            "--yes",
        ],
        0,
    );
    let (policy, _) = run(&home, &pass, &["export", "audit-policy"], 0);
    let parsed: Value = serde_saphyr::from_str(&policy).expect("the policy is YAML");
    let users: Vec<&str> = parsed["rules"][0]["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(users, ["alice", "mallory"], "{policy}");
    assert!(policy.contains("Kubernetes checks no CRL"), "{policy}");
    assert!(policy.contains("#   mallory\n"), "{policy}");
    assert!(
        !policy.contains("#   alice"),
        "only revoked users are named as such"
    );
}

// Item 5: the kubeconfig's key is `apiVersion` (kubectl drops `api-version`), and a home
// whose CA was generated here cannot vouch for the API server: --cluster-ca is required.
#[test]
fn kubeconfig_has_api_version_and_needs_the_cluster_ca_of_a_generated_home() {
    require_tool("kubectl");
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let report = sign(dir.path(), &home, &pass, "batch", &[("alice", "/CN=alice")]);
    let serial = serial_of(&report, "alice");
    let out = dir.path().join("alice.kubeconfig");
    let base = [
        "export",
        "kubeconfig",
        "--serial",
        &serial,
        "--server",
        "https://10.0.0.1:6443",
        "--out",
        text(&out),
    ];
    let (_, stderr) = run(&home, &pass, &base, 1);
    assert!(stderr.contains("did not come from kubeadm"), "{stderr}");
    assert!(
        stderr.contains("hint:") && stderr.contains("--cluster-ca"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing written");

    let (serving, _) = kubeadm_ca(dir.path());
    let mut args = base.to_vec();
    args.extend(["--cluster-ca", text(&serving)]);
    run(&home, &pass, &args, 0);
    let written = std::fs::read_to_string(&out).expect("kubeconfig");
    assert!(written.contains("apiVersion: v1"), "{written}");
    assert!(!written.contains("api-version"), "{written}");
    let view = std::process::Command::new("kubectl")
        .args(["config", "view", "--kubeconfig", text(&out), "-o", "json"])
        .output()
        .expect("kubectl");
    assert!(view.status.success());
    let view: Value = serde_json::from_slice(&view.stdout).expect("kubectl JSON");
    assert_eq!(
        view["apiVersion"], "v1",
        "kubectl reads the version: {view}"
    );
    assert_eq!(view["kind"], "Config");
    assert_eq!(view["current-context"], "alice@kubernetes");
}

// Item 5: with a CA imported from kubeadm the bundle is the default, and both the file
// and the command's output say when that is right.
#[test]
fn kubeconfig_of_a_kubeadm_home_says_what_its_ca_data_is() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    let pass = passphrase_file(dir.path());
    let (cert, key) = kubeadm_ca(dir.path());
    run(
        &home,
        &pass,
        &[
            "import",
            "--cert",
            text(&cert),
            "--key",
            text(&key),
            "--scrypt-work-factor",
            "14",
        ],
        0,
    );
    let report = sign(dir.path(), &home, &pass, "batch", &[("alice", "/CN=alice")]);
    let out = dir.path().join("alice.kubeconfig");
    let (stdout, _) = run(
        &home,
        &pass,
        &[
            "export",
            "kubeconfig",
            "--serial",
            &serial_of(&report, "alice"),
            "--server",
            "https://10.0.0.1:6443",
            "--out",
            text(&out),
        ],
        0,
    );
    assert!(stdout.contains("--cluster-ca"), "{stdout}");
    let written = std::fs::read_to_string(&out).expect("kubeconfig");
    assert!(
        written.starts_with("# certificate-authority-data"),
        "{written}"
    );
    assert!(written.contains("serving certificate"), "{written}");
    assert!(written.contains("apiVersion: v1"), "{written}");
}

// Item 7: a wrong passphrase leaves no empty --out folder (so the TUI proposes no `-2`).
#[test]
fn a_wrong_passphrase_leaves_no_out_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, _) = init_home(dir.path(), "ecdsa-p256");
    let intake = dir.path().join("intake");
    std::fs::create_dir(&intake).expect("intake");
    openssl_csr(
        &intake,
        "alice",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "/CN=alice",
    );
    std::fs::remove_file(intake.join("alice.key")).expect("key out of the intake");
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "not the passphrase at all\n").expect("wrong passphrase");
    let private = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o600);
    std::fs::set_permissions(&wrong, private).expect("chmod");
    let out = dir.path().join("signed");
    let (_, stderr) = run(
        &home,
        &wrong,
        &["sign", text(&intake), "--out", text(&out), "--yes"],
        1,
    );
    assert!(stderr.contains("passphrase"), "{stderr}");
    assert!(!out.exists(), "no empty output folder is left behind");
    let nested = dir.path().join("media").join("batch");
    run(
        &home,
        &wrong,
        &[
            "issue",
            "--cn",
            "robot",
            "--recipient",
            "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq",
            "--out",
            text(&nested),
        ],
        1,
    );
    assert!(
        !dir.path().join("media").exists(),
        "nothing made for issue either"
    );

    // revoke without --out writes into revocations/<seq>/ in the home: a wrong passphrase
    // leaves no empty folder there either.
    let pass = dir.path().join("pass");
    let report = sign(
        dir.path(),
        &home,
        &pass,
        "for-revoke",
        &[("bob", "/CN=bob")],
    );
    let serial = serial_of(&report, "bob");
    run(
        &home,
        &wrong,
        &[
            "revoke",
            "--serial",
            &serial,
            "--reason",
            "superseded",
            "--yes",
        ],
        1,
    );
    assert!(
        !home.join("revocations").exists(),
        "no empty revocation folder in the home"
    );
}

// Item 7: a refused init or import leaves no home folder and no lock file.
#[test]
fn a_refused_init_or_import_leaves_no_home() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pass = passphrase_file(dir.path());
    let home = dir.path().join("homes").join("new");
    let init = |pass: &Path, extra: &[&str]| {
        let mut args = vec!["init", "--cn", "kubernetes", "--scrypt-work-factor"];
        args.extend(extra);
        run(&home, pass, &args, 1)
    };
    init(&pass, &["14", "--days", "0"]);
    assert!(!dir.path().join("homes").exists(), "bad days");
    init(&pass, &["99"]);
    assert!(
        !dir.path().join("homes").exists(),
        "work factor out of range"
    );
    init(&dir.path().join("no-such-file"), &["14"]);
    assert!(!dir.path().join("homes").exists(), "bad passphrase file");
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a key\n").expect("junk");
    let (cert, _) = kubeadm_ca(dir.path());
    run(
        &home,
        &pass,
        &["import", "--cert", text(&cert), "--key", text(&junk)],
        1,
    );
    assert!(!dir.path().join("homes").exists(), "bad key");

    // A folder the officer made stays, with their files, and gets no lock file.
    let existing = dir.path().join("existing");
    std::fs::create_dir(&existing).expect("folder");
    let private = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o700);
    std::fs::set_permissions(&existing, private).expect("chmod");
    run(
        &existing,
        &pass,
        &[
            "init",
            "--cn",
            "k",
            "--days",
            "0",
            "--scrypt-work-factor",
            "14",
        ],
        1,
    );
    assert!(existing.is_dir());
    assert!(
        !existing.join("lock").exists(),
        "no lock file is left behind"
    );
}

// Item 10: while a TUI merely shows the home (a shared lock), every read-only command
// works from another terminal; a writer is refused with a clear reason; the TUI takes
// the exclusive lock for an act and says so when a reader holds the home.
#[test]
fn readers_work_beside_an_open_tui_and_writers_wait() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let report = sign(dir.path(), &home, &pass, "batch", &[("alice", "/CN=alice")]);
    let intake = dir.path().join("batch");
    let now = time::OffsetDateTime::now_utc();
    let mut tui = Session::open_reader(&home, now).expect("the TUI opens the home to show it");
    for args in [
        vec!["status"],
        vec!["list"],
        vec!["audit", "verify"],
        vec!["audit", "show"],
        vec!["review", text(&intake)],
        vec!["policy", "show"],
        vec!["rotate", "status"],
        vec!["export", "audit-policy"],
    ] {
        run(&home, &pass, &args, 0);
    }
    let bundle = dir.path().join("bundle.pem");
    run(&home, &pass, &["bundle", "--out", text(&bundle)], 0);
    assert!(bundle.exists());

    // A writer is refused at once, and told why.
    let (_, stderr) = run(
        &home,
        &pass,
        &[
            "revoke",
            "--serial",
            &serial_of(&report, "alice"),
            "--reason",
            "superseded",
            "--yes",
        ],
        1,
    );
    assert!(
        stderr.contains("open for reading in another airlock process"),
        "{stderr}"
    );

    // The TUI acts under the exclusive lock; a second reader makes it wait, clearly.
    let other = Session::open_reader(&home, now).expect("a second reader");
    let error = tui
        .begin_act(now)
        .expect_err("another reader holds the home");
    assert!(error.to_string().contains("open for reading"), "{error}");
    drop(other);
    tui.begin_act(now).expect("alone, the TUI may act");
    let (_, stderr) = run(&home, &pass, &["status"], 1);
    assert!(
        stderr.contains("in use by another airlock process"),
        "{stderr}"
    );
    tui.end_act();
    run(&home, &pass, &["status"], 0);
}

// Item 10: a reader never repairs (nor sees) a torn last line; the writer does.
#[test]
fn a_reader_skips_a_torn_tail_and_the_writer_repairs_it() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let ledger = home.join("ledger.jsonl");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&ledger)
        .expect("ledger");
    file.write_all(b"{\"seq\":99,\"half").expect("torn write");
    drop(file);
    let before = std::fs::read(&ledger).expect("ledger");
    let (status, _) = run(&home, &pass, &["--json", "status"], 0);
    assert!(!status.is_empty());
    let now = time::OffsetDateTime::now_utc();
    let mut reader = Session::open_reader(&home, now).expect("a reader");
    assert_eq!(reader.opened().repaired_bytes, None);
    assert_eq!(
        std::fs::read(&ledger).expect("ledger"),
        before,
        "readers write nothing"
    );
    reader.begin_act(now).expect("the writer");
    assert_ne!(
        std::fs::read(&ledger).expect("ledger"),
        before,
        "the writer repairs"
    );
    reader.end_act();
    run(&home, &pass, &["audit", "verify"], 0);
}

// Item 15: rejection reasons in words, never the parser's internals; an identical
// repeat is marked in report.json as a duplicate of the first input.
#[test]
fn rejection_reasons_name_things_and_report_marks_duplicates() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let intake = dir.path().join("intake");
    std::fs::create_dir(&intake).expect("intake");
    let key = dir.path().join("ip.key");
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        text(&key),
    ]);
    let csr = intake.join("a-first.csr");
    openssl(&[
        "req",
        "-new",
        "-key",
        text(&key),
        "-subj",
        "/CN=ip",
        "-addext",
        "subjectAltName=IP:10.0.0.1,IP:::1",
        "-addext",
        "certificatePolicies=1.2.3.4",
        "-out",
        text(&csr),
    ]);
    std::fs::copy(&csr, intake.join("b-again.csr")).expect("a repeat");
    let der = openssl(&[
        "req",
        "-in",
        text(&csr),
        "-outform",
        "der",
        "-out",
        text(&dir.path().join("full.der")),
    ]);
    assert!(der.is_empty());
    let full = std::fs::read(dir.path().join("full.der")).expect("DER");
    std::fs::write(intake.join("short.der"), &full[..full.len() / 2]).expect("truncated");
    openssl_csr(
        &intake,
        "k1",
        &[
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:secp256k1",
        ],
        "/CN=k1",
    );
    std::fs::remove_file(intake.join("k1.key")).expect("key out");
    let mut yaml = String::from("a: &a [x, x, x]\n");
    for index in 0..20 {
        writeln!(yaml, "b{index}: *a").expect("write to a string");
    }
    std::fs::write(intake.join("alias.yaml"), yaml).expect("aliases");

    let (review, _) = run(&home, &pass, &["review", text(&intake)], 3);
    for internal in [
        "NomError",
        "Eof",
        "Aliases {",
        "1.3.132.0.10",
        "0a000001",
        "PolicyInformation",
    ] {
        assert!(!review.contains(internal), "'{internal}' shown:\n{review}");
    }
    assert!(review.contains("the DER ends early"), "{review}");
    assert!(
        review.contains("the YAML uses too many aliases"),
        "{review}"
    );
    assert!(review.contains("secp256k1"), "{review}");
    assert!(
        review.contains("IP:10.0.0.1") && review.contains("IP:::1"),
        "{review}"
    );
    assert!(review.contains("certificatePolicies"), "{review}");

    let out = dir.path().join("out");
    run(
        &home,
        &pass,
        &["sign", text(&intake), "--out", text(&out), "--yes"],
        3,
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report"))
            .expect("JSON");
    let issued = report["issued"].as_array().expect("issued");
    let again = issued
        .iter()
        .find(|item| item["input"] == "b-again.csr")
        .expect("the repeat is listed");
    assert_eq!(again["duplicate_of"], "a-first.csr", "{report}");
    let first = issued
        .iter()
        .find(|item| item["input"] == "a-first.csr")
        .expect("the first");
    assert!(first.get("duplicate_of").is_none(), "{report}");
    assert_eq!(first["serial"], again["serial"]);
}
