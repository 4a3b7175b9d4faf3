//! The CA key: `init` for each algorithm, what the new CA and its client certificates look
//! like to openssl, the key encrypted at rest, passphrase handling (wrong, missing, no
//! terminal), the one-process-per-home lock, and refusals of `init`.

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{
    airlock, ca_cert, files_below, init_home, openssl, openssl_csr, passphrase_file,
};

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// `airlock --home H [--passphrase-file P] init --cn test-ca --scrypt-work-factor 14 EXTRA`.
fn init_cmd(home: &Path, pass: Option<&Path>, extra: &[&str]) -> assert_cmd::Command {
    let mut command = airlock();
    command.arg("--home").arg(home);
    if let Some(pass) = pass {
        command.arg("--passphrase-file").arg(pass);
    }
    command
        .args(["init", "--cn", "test-ca", "--scrypt-work-factor", "14"])
        .args(extra)
        .timeout(Duration::from_mins(1));
    command
}

/// `airlock --home H [--passphrase-file P] sign INTAKE --out OUT`.
fn sign_cmd(home: &Path, pass: Option<&Path>, intake: &Path, out: &Path) -> assert_cmd::Command {
    let mut command = airlock();
    command.arg("--home").arg(home);
    if let Some(pass) = pass {
        command.arg("--passphrase-file").arg(pass);
    }
    command
        .arg("sign")
        .arg("--yes")
        .arg(intake)
        .arg("--out")
        .arg(out)
        .timeout(Duration::from_mins(1));
    command
}

fn status_json(home: &Path) -> Value {
    let output = airlock()
        .arg("--home")
        .arg(home)
        .args(["--json", "status"])
        .timeout(Duration::from_mins(1))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&output).expect("status --json is JSON")
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// An intake folder `dir/intake` holding one P-256 client CSR `alice.csr` (its key kept
/// in `dir/scratch`, outside the intake).
fn intake_with_alice(dir: &Path) -> PathBuf {
    let scratch = dir.join("scratch");
    let intake = dir.join("intake");
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    std::fs::create_dir_all(&intake).expect("intake dir");
    let csr = openssl_csr(
        &scratch,
        "alice",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "/O=dev/CN=alice",
    );
    std::fs::copy(&csr, intake.join("alice.csr")).expect("copy CSR");
    intake
}

/// openssl's SHA-256 fingerprint of a certificate as lower-case hex without colons.
fn openssl_fingerprint_hex(cert: &Path) -> String {
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
        .replace(':', "")
        .to_lowercase()
}

/// openssl's view of some extensions of a certificate, in the certificate's order, as
/// (name with ": critical" if so, value) pairs with white space trimmed.
fn extensions(cert: &Path, names: &str) -> Vec<(String, String)> {
    let text = openssl(&["x509", "-in", path_str(cert), "-noout", "-ext", names]);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    lines
        .chunks(2)
        .map(|pair| {
            (
                pair[0].trim_end_matches(':').to_owned(),
                pair.get(1).copied().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// The value of extension `name` (e.g. `X509v3 Basic Constraints: critical`).
fn extension<'a>(extensions: &'a [(String, String)], name: &str) -> Option<&'a str> {
    extensions
        .iter()
        .find(|(header, _)| header == name)
        .map(|(_, value)| value.as_str())
}

/// Every file below the home (relative path) with its bytes, except the lock file, whose
/// content is the pid of the last process that opened the home.
fn snapshot(home: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = files_below(home)
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(home)
                .expect("below home")
                .display()
                .to_string();
            let bytes = if name == "lock" {
                Vec::new()
            } else {
                std::fs::read(&path).expect("read")
            };
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

fn file_names(snapshot: &[(String, Vec<u8>)]) -> Vec<&str> {
    snapshot.iter().map(|(name, _)| name.as_str()).collect()
}

/// `init` for each algorithm makes the CA that `status --json` reports: the algorithm, the
/// certificate's real SHA-256 fingerprint (as openssl computes it), the requested
/// lifetime in `days_left`, origin `generated`; openssl sees the same key type.
#[test]
fn init_each_algorithm_reports_status() {
    let cases = [
        ("ecdsa-p256", "ASN1 OID: prime256v1", "ecdsa-with-SHA256"),
        ("ecdsa-p384", "ASN1 OID: secp384r1", "ecdsa-with-SHA384"),
        ("ed25519", "Public Key Algorithm: ED25519", "ED25519"),
    ];
    for (algo, key_text, signature_text) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path().join("home");
        let pass = passphrase_file(dir.path());
        let output = init_cmd(&home, Some(&pass), &["--algo", algo, "--days", "100"])
            .assert()
            .success()
            .get_output()
            .clone();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("CA 'test-ca' created"), "{algo}: {stdout}");

        let cert = ca_cert(&home);
        let fingerprint = openssl_fingerprint_hex(&cert);
        let status = status_json(&home);
        let cas = status["cas"].as_array().expect("cas array");
        assert_eq!(cas.len(), 1, "{algo}: {status}");
        let ca = &cas[0];
        assert_eq!(ca["key"]["type"], algo, "{algo}: {ca}");
        assert_eq!(ca["fingerprint"], fingerprint.as_str(), "{algo}: {ca}");
        assert_eq!(ca["id"], &fingerprint[..16], "{algo}: {ca}");
        assert_eq!(ca["common_name"], "test-ca", "{algo}: {ca}");
        assert_eq!(ca["origin"], "generated", "{algo}: {ca}");
        assert_eq!(ca["role"], "active", "{algo}: {ca}");
        let days_left = ca["days_left"].as_i64().expect("days_left");
        assert!(
            (99..=100).contains(&days_left),
            "{algo}: days_left {days_left} for --days 100"
        );
        // The ledger holds the creation, the policy in force and a seal.
        assert_eq!(status["ledger"]["entries"], 3, "{algo}: {status}");
        assert_eq!(status["ledger"]["seals"], 1, "{algo}: {status}");
        assert!(
            stdout
                .to_lowercase()
                .replace(':', "")
                .contains(&fingerprint),
            "{algo}: {stdout}"
        );

        let text = openssl(&["x509", "-in", path_str(&cert), "-noout", "-text"]);
        assert!(text.contains(key_text), "{algo}: {text}");
        assert!(
            text.contains(&format!("Signature Algorithm: {signature_text}")),
            "{algo}: {text}"
        );
        assert!(text.contains("Subject: CN = test-ca"), "{algo}: {text}");
        assert!(text.contains("Issuer: CN = test-ca"), "{algo}: {text}");
    }

    // Without --days, a CA lives ten years.
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, _) = init_home(dir.path(), "ecdsa-p256");
    let days_left = status_json(&home)["cas"][0]["days_left"]
        .as_i64()
        .expect("days_left");
    assert!(
        (3649..=3650).contains(&days_left),
        "default lifetime: {days_left}"
    );
}

/// For each algorithm, a new CA signs a client certificate that
/// `openssl verify -purpose sslclient` accepts; the client certificate is CA:FALSE,
/// digitalSignature only (ECDSA client), clientAuth, AKI = the CA's SKI; the CA
/// certificate is CA:TRUE critical with keyUsage Certificate Sign and CRL Sign (critical).
#[test]
fn new_ca_signs_a_client_certificate_openssl_accepts() {
    for algo in ["ecdsa-p256", "ecdsa-p384", "ed25519"] {
        let dir = tempfile::tempdir().expect("temp dir");
        let (home, pass) = init_home(dir.path(), algo);
        let intake = intake_with_alice(dir.path());
        let out = dir.path().join("out");
        sign_cmd(&home, Some(&pass), &intake, &out)
            .assert()
            .success();

        let ca = ca_cert(&home);
        let client = out.join("alice.crt");
        let verify = openssl(&[
            "verify",
            "-purpose",
            "sslclient",
            "-CAfile",
            path_str(&ca),
            path_str(&client),
        ]);
        assert!(verify.trim_end().ends_with(": OK"), "{algo}: {verify}");

        let client_ext = extensions(&client, "basicConstraints,keyUsage,extendedKeyUsage");
        assert_eq!(client_ext.len(), 3, "{algo}: {client_ext:?}");
        assert_eq!(
            extension(&client_ext, "X509v3 Basic Constraints: critical"),
            Some("CA:FALSE"),
            "{algo}: {client_ext:?}"
        );
        assert_eq!(
            extension(&client_ext, "X509v3 Key Usage: critical"),
            Some("Digital Signature"),
            "{algo}: {client_ext:?}"
        );
        assert_eq!(
            extension(&client_ext, "X509v3 Extended Key Usage"),
            Some("TLS Web Client Authentication"),
            "{algo}: {client_ext:?}"
        );
        let ca_ext = extensions(&ca, "basicConstraints,keyUsage");
        assert_eq!(
            extension(&ca_ext, "X509v3 Basic Constraints: critical"),
            Some("CA:TRUE"),
            "{algo}: {ca_ext:?}"
        );
        let ca_usage = extension(&ca_ext, "X509v3 Key Usage: critical").unwrap_or("");
        assert!(
            ca_usage.contains("Certificate Sign") && ca_usage.contains("CRL Sign"),
            "{algo}: {ca_ext:?}"
        );

        let ski = extensions(&ca, "subjectKeyIdentifier");
        let aki = extensions(&client, "authorityKeyIdentifier");
        let ski = extension(&ski, "X509v3 Subject Key Identifier")
            .expect("the CA has a subject key identifier");
        assert!(ski.len() >= 20, "{algo}: SKI {ski}");
        assert_eq!(
            extension(&aki, "X509v3 Authority Key Identifier")
                .map(|value| value.trim_start_matches("keyid:")),
            Some(ski),
            "{algo}: client AKI is the CA's SKI"
        );
        let text = openssl(&[
            "x509",
            "-in",
            path_str(&client),
            "-noout",
            "-subject",
            "-issuer",
        ]);
        assert!(
            text.contains("subject=O = dev, CN = alice"),
            "{algo}: {text}"
        );
        assert!(text.contains("issuer=CN = test-ca"), "{algo}: {text}");
    }
}

/// The CA key is encrypted at rest: `cas/<id>/ca.key.age` is an age file under a
/// passphrase (scrypt, the requested work factor 14), no file in the home holds a PEM
/// private key, before or after signing, and the key and its folders are private to the
/// owner.
#[test]
fn ca_key_is_encrypted_at_rest() {
    for algo in ["ecdsa-p256", "ecdsa-p384", "ed25519"] {
        let dir = tempfile::tempdir().expect("temp dir");
        let (home, pass) = init_home(dir.path(), algo);
        let ca_dir = ca_cert(&home).parent().expect("CA folder").to_path_buf();
        let key_file = ca_dir.join("ca.key.age");
        let sealed = std::fs::read(&key_file).expect("ca.key.age exists");
        assert!(
            sealed.starts_with(b"age-encryption.org/v1\n"),
            "{algo}: not an age file"
        );
        let header = String::from_utf8_lossy(&sealed[..sealed.len().min(200)]).into_owned();
        let stanza = header.lines().nth(1).expect("recipient stanza");
        let fields: Vec<&str> = stanza.split(' ').collect();
        assert_eq!(fields.first(), Some(&"->"), "{algo}: {stanza}");
        assert_eq!(
            fields.get(1),
            Some(&"scrypt"),
            "{algo}: the key is not under a passphrase: {stanza}"
        );
        assert_eq!(fields.get(3), Some(&"14"), "{algo}: work factor: {stanza}");
        assert!(!header.contains("PRIVATE KEY"), "{algo}");

        let check_no_plain_key = |after: &str| {
            for file in files_below(&home) {
                let bytes = std::fs::read(&file).expect("read");
                assert!(
                    !bytes.windows(11).any(|window| window == b"PRIVATE KEY"),
                    "{algo}: '{}' holds a PEM private key (after {after})",
                    file.display()
                );
            }
        };
        check_no_plain_key("init");

        let intake = intake_with_alice(dir.path());
        sign_cmd(&home, Some(&pass), &intake, &dir.path().join("out"))
            .assert()
            .success();
        check_no_plain_key("sign");
        // The encrypted key is not rewritten by signing.
        assert_eq!(
            std::fs::read(&key_file).expect("ca.key.age"),
            sealed,
            "{algo}: ca.key.age changed"
        );

        let mode = |path: &Path| {
            std::fs::metadata(path)
                .expect("metadata")
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode(&home), 0o700, "{algo}: home mode");
        assert_eq!(mode(&ca_dir), 0o700, "{algo}: CA folder mode");
        assert_eq!(mode(&key_file), 0o600, "{algo}: ca.key.age mode");
    }
}

/// A wrong passphrase fails the signing with exit 1 and `wrong passphrase for CA
/// 'test-ca'`, and changes nothing: every file in the home (ledger included) is byte for
/// byte the same and no certificate is written. The right passphrase then works.
#[test]
fn wrong_passphrase_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let intake = intake_with_alice(dir.path());
    let wrong = dir.path().join("wrong-pass");
    std::fs::write(&wrong, "not the passphrase at all\n").expect("write");
    let ledger_before = std::fs::read(home.join("ledger.jsonl")).expect("ledger");
    let before = snapshot(&home);

    let out = dir.path().join("out");
    let output = sign_cmd(&home, Some(&wrong), &intake, &out)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("wrong passphrase for CA 'test-ca'"),
        "{stderr}"
    );

    assert_eq!(
        std::fs::read(home.join("ledger.jsonl")).expect("ledger"),
        ledger_before,
        "ledger changed"
    );
    let after = snapshot(&home);
    assert_eq!(
        file_names(&after),
        file_names(&before),
        "the home's files changed"
    );
    assert!(after == before, "a file in the home changed");
    assert!(
        !out.join("alice.crt").exists(),
        "a certificate was written with a wrong passphrase"
    );
    assert_eq!(status_json(&home)["issued"], 0);

    sign_cmd(&home, Some(&pass), &intake, &out)
        .assert()
        .success();
    assert!(out.join("alice.crt").exists());
    assert_eq!(status_json(&home)["issued"], 1);
}

/// A passphrase file that is missing, empty, or too short for a new key is refused with
/// exit 1, naming the file (and the reason), and no CA is created; a missing file for
/// `sign` is refused the same way, with the ledger unchanged.
#[test]
fn unusable_passphrase_files_are_refused_by_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-pass");
    let empty = dir.path().join("empty-pass");
    std::fs::write(&empty, "\n").expect("write");
    let short = dir.path().join("short-pass");
    std::fs::write(&short, "short\n").expect("write");
    let cases = [
        (
            &missing,
            vec![
                format!("'{}'", missing.display()),
                "No such file".to_owned(),
            ],
        ),
        (
            &empty,
            vec![format!("'{}'", empty.display()), "empty".to_owned()],
        ),
        (&short, vec!["passphrase is too short".to_owned()]),
    ];
    for (index, (file, expected)) in cases.iter().enumerate() {
        let home = dir.path().join(format!("home{index}"));
        let output = init_cmd(&home, Some(file), &[])
            .assert()
            .code(1)
            .get_output()
            .clone();
        let stderr = stderr_of(&output);
        for text in expected {
            assert!(
                stderr.contains(text.as_str()),
                "{}: expected '{text}' in: {stderr}",
                file.display()
            );
        }
        assert!(
            !home.join("cas").exists(),
            "{}: a CA was created",
            file.display()
        );
        let ledger = home.join("ledger.jsonl");
        assert!(
            !ledger.exists() || std::fs::read(&ledger).expect("ledger").is_empty(),
            "{}: the ledger has entries",
            file.display()
        );
    }

    let (home, _) = init_home(dir.path(), "ed25519");
    let ledger_before = std::fs::read(home.join("ledger.jsonl")).expect("ledger");
    let intake = intake_with_alice(dir.path());
    let out = dir.path().join("out");
    let output = sign_cmd(&home, Some(&missing), &intake, &out)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains(&format!("passphrase file '{}'", missing.display())),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(home.join("ledger.jsonl")).expect("ledger"),
        ledger_before,
        "ledger changed"
    );
    assert!(!out.join("alice.crt").exists());
}

/// Without --passphrase-file and without a terminal to prompt on (`assert_cmd` gives none),
/// (stdin is an empty pipe) `init` and `sign` fail with exit 1 and say to pass --passphrase-file; nothing is
/// created or signed.
#[test]
fn no_passphrase_file_and_no_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("fresh");
    let output = init_cmd(&home, None, &[])
        .write_stdin("")
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = stderr_of(&output);
    assert!(stderr.contains("--passphrase-file"), "{stderr}");
    assert!(stderr.contains("no terminal"), "{stderr}");
    assert!(
        !home.join("cas").exists(),
        "a CA was created without a passphrase"
    );

    let (home, _) = init_home(dir.path(), "ecdsa-p256");
    let intake = intake_with_alice(dir.path());
    let out = dir.path().join("out");
    let output = sign_cmd(&home, None, &intake, &out)
        .write_stdin("")
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = stderr_of(&output);
    assert!(stderr.contains("--passphrase-file"), "{stderr}");
    assert!(!out.join("alice.crt").exists());
    assert_eq!(status_json(&home)["issued"], 0);
}

/// Kills and reaps a helper process when the test ends, even on failure.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `airlock --home H status` while another process holds the lock: exit 1 within seconds
/// (no waiting), naming the home as in use and the holder's pid.
fn assert_status_locked_by(home: &Path, pid: u32) {
    let started = Instant::now();
    let output = airlock()
        .arg("--home")
        .arg(home)
        .arg("status")
        .timeout(Duration::from_secs(30))
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "status waited for the lock: {:?}",
        started.elapsed()
    );
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("is in use by another airlock process"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("(pid {pid})")),
        "the holder's pid {pid} is not named: {stderr}"
    );
}

/// A second process holding the home's lock (flock(2) on `H/lock`, with its pid written
/// there, as airlock does) makes `status` fail at once naming that pid; once the holder
/// is gone, `status` works again.
#[test]
fn locked_home_is_refused_naming_the_holder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, _) = init_home(dir.path(), "ecdsa-p256");
    let lock = home.join("lock");
    // util-linux flock on fd 9, then the shell writes its pid and becomes `sleep` (same
    // pid, fd 9 and its lock inherited).
    let child = Command::new("sh")
        .args([
            "-c",
            "exec 9>>\"$1\" && flock -x 9 && echo $$ > \"$1\" && echo locked && exec sleep 60",
            "sh",
        ])
        .arg(&lock)
        .stdout(Stdio::piped())
        .spawn()
        .expect("sh and flock are test prerequisites");
    let mut holder = Reaped(child);
    let pid = holder.0.id();
    let mut line = String::new();
    BufReader::new(holder.0.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read holder's stdout");
    assert_eq!(line.trim(), "locked", "the lock holder did not start");

    assert_status_locked_by(&home, pid);

    drop(holder);
    let status = status_json(&home);
    assert_eq!(status["cas"][0]["common_name"], "test-ca", "{status}");
}

/// Two real airlock processes: a `renew-ca` that holds the lock while it waits for its
/// passphrase (read from a FIFO) makes a concurrent `status` and a concurrent `init` fail
/// at once naming its pid; fed its passphrase, the first act completes, and the home is
/// usable with its CA renewed. (`init` asks its passphrase before making the home, so it
/// holds no lock while it waits.)
#[test]
fn concurrent_airlock_processes_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let fifo = dir.path().join("pass.fifo");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo is a test prerequisite");
    assert!(made.success(), "mkfifo failed");

    let binary = assert_cmd::cargo::cargo_bin("airlock");
    let child = Command::new(binary)
        .env_remove("AIRLOCK_HOME")
        .env("NO_COLOR", "1")
        .arg("--home")
        .arg(&home)
        .arg("--passphrase-file")
        .arg(&fifo)
        .args(["renew-ca", "--days", "30", "--yes"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn airlock");
    let mut first = Reaped(child);
    let pid = first.0.id();

    // Wait until the first process has taken the lock and written its pid.
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(home.join("lock"))
        .unwrap_or_default()
        .trim()
        != pid.to_string()
    {
        assert!(
            first.0.try_wait().expect("try_wait").is_none(),
            "the first airlock exited early"
        );
        assert!(
            Instant::now() < deadline,
            "the first airlock never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    assert_status_locked_by(&home, pid);
    let output = init_cmd(&home, Some(&pass), &[])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains(&format!("in use by another airlock process (pid {pid})")),
        "{stderr}"
    );

    // Feed the passphrase: open the FIFO's write end without blocking (the reader is
    // there, or will be shortly), write, close.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut writer = loop {
        match std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifo)
        {
            Ok(file) => break file,
            Err(error) => {
                assert!(
                    first.0.try_wait().expect("try_wait").is_none(),
                    "the first airlock exited early"
                );
                assert!(
                    Instant::now() < deadline,
                    "the first airlock never read its passphrase: {error}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    };
    writer
        .write_all(b"integration test passphrase\n")
        .expect("write passphrase");
    drop(writer);

    let deadline = Instant::now() + Duration::from_mins(1);
    let exit = loop {
        if let Some(exit) = first.0.try_wait().expect("try_wait") {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "the first airlock did not finish"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut first.0.stderr.take().expect("stderr"), &mut stderr)
        .expect("stderr");
    assert!(exit.success(), "the renewal failed: {stderr}");

    let status = status_json(&home);
    let cas = status["cas"].as_array().expect("cas");
    assert_eq!(cas.len(), 2, "the CA and its renewal: {status}");
    assert_eq!(cas[1]["common_name"], "test-ca", "{status}");
    assert_eq!(cas[1]["role"], "active", "{status}");
}

/// `init` on a home that already has a CA is refused (exit 1, naming the existing CA);
/// the ledger and the CA are untouched.
#[test]
fn init_twice_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let before = snapshot(&home);
    let fingerprint = status_json(&home)["cas"][0]["fingerprint"].clone();

    let output = airlock()
        .arg("--home")
        .arg(&home)
        .arg("--passphrase-file")
        .arg(&pass)
        .args([
            "init",
            "--cn",
            "second",
            "--algo",
            "ed25519",
            "--scrypt-work-factor",
            "14",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = stderr_of(&output);
    assert!(stderr.contains("already has CA 'test-ca'"), "{stderr}");
    assert!(snapshot(&home) == before, "the home changed");
    let status = status_json(&home);
    assert_eq!(status["cas"].as_array().expect("cas").len(), 1, "{status}");
    assert_eq!(status["cas"][0]["fingerprint"], fingerprint, "{status}");
}

/// Lifetimes out of range (`--days 0`, more than 30 years) are refused with exit 1 and
/// the allowed range, creating nothing; the 30-year maximum itself is accepted.
#[test]
fn init_days_out_of_range_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pass = passphrase_file(dir.path());
    for days in ["0", "10951"] {
        let home = dir.path().join(format!("home-{days}"));
        let output = init_cmd(&home, Some(&pass), &["--days", days])
            .assert()
            .code(1)
            .get_output()
            .clone();
        let stderr = stderr_of(&output);
        assert!(
            stderr.contains(&format!(
                "invalid CA lifetime '{days}' days: must be 1 to 10950"
            )),
            "--days {days}: {stderr}"
        );
        assert!(
            !home.join("cas").exists(),
            "--days {days}: a CA was created"
        );
    }
    let home = dir.path().join("home-max");
    init_cmd(&home, Some(&pass), &["--days", "10950"])
        .assert()
        .success();
    let days_left = status_json(&home)["cas"][0]["days_left"]
        .as_i64()
        .expect("days_left");
    assert!((10949..=10950).contains(&days_left), "{days_left}");
}

/// `--algo rsa-3072` (or any unknown algorithm) is a usage error (exit 2) listing the
/// choices, and creates no home; `init --help` says that RSA keys cannot be generated.
#[test]
fn unknown_algorithm_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pass = passphrase_file(dir.path());
    for algo in ["rsa-3072", "ecdsa-p521"] {
        let home = dir.path().join(format!("home-{algo}"));
        let output = init_cmd(&home, Some(&pass), &["--algo", algo])
            .assert()
            .code(2)
            .get_output()
            .clone();
        let stderr = stderr_of(&output);
        assert!(stderr.contains(&format!("'{algo}'")), "{stderr}");
        assert!(
            stderr.contains("ecdsa-p256") && stderr.contains("ed25519"),
            "choices not listed: {stderr}"
        );
        assert!(!home.exists(), "a usage error created the home");
    }

    let output = airlock()
        .args(["init", "--help"])
        .assert()
        .success()
        .get_output()
        .clone();
    let help = String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(help.contains("RSA is not offered"), "{help}");
    assert!(
        help.contains("can generate RSA keys") && help.contains("import an RSA CA"),
        "{help}"
    );
}
