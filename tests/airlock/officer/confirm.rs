//! Prompts and confirmations (items 8 and 9 of issue 10): every secret prompt names the
//! CA by role and id; acts that sign or change the home show their plan and wait for a
//! typed confirmation before any passphrase is asked; `--yes` is the runbook's way past
//! it, and without a terminal nothing happens without it.
//!
//! The terminal tests run airlock under `script` (util-linux), a real pseudo-terminal,
//! and answer each prompt only once it is on screen.

use std::ffi::OsStr;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{PASSPHRASE, airlock, init_home, openssl_csr};

/// A home with a CA and an intake folder holding alice's CSR.
struct Desk {
    dir: tempfile::TempDir,
    home: PathBuf,
    pass: PathBuf,
    intake: PathBuf,
}

impl Desk {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let (home, pass) = init_home(dir.path(), "ecdsa-p256");
        let intake = dir.path().join("intake");
        std::fs::create_dir(&intake).expect("intake");
        // The key stays out of the intake folder, which would reject it.
        let csr = openssl_csr(
            dir.path(),
            "alice",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            "/O=dev/CN=alice",
        );
        std::fs::copy(&csr, intake.join("alice.csr")).expect("copy the CSR");
        Self {
            dir,
            home,
            pass,
            intake,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `airlock --home H --passphrase-file P ARGS`, no terminal.
    fn run(&self, args: &[&str]) -> std::process::Output {
        airlock()
            .arg("--home")
            .arg(&self.home)
            .arg("--passphrase-file")
            .arg(&self.pass)
            .args(args)
            .output()
            .expect("run airlock")
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let output = self.run(&all);
        assert!(
            output.status.success(),
            "airlock {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout)
        );
        serde_json::from_slice(&output.stdout).expect("JSON report")
    }

    fn ledger(&self) -> Vec<u8> {
        std::fs::read(self.home.join("ledger.jsonl")).expect("ledger")
    }

    /// The id of the one CA with `role` in `airlock status`.
    fn ca_id(&self, role: &str) -> String {
        let status = self.json(&["status"]);
        let cas = status["cas"].as_array().expect("cas").clone();
        let found: Vec<&Value> = cas.iter().filter(|ca| ca["role"] == role).collect();
        assert_eq!(found.len(), 1, "one CA with role {role}: {cas:#?}");
        found[0]["id"].as_str().expect("id").to_owned()
    }

    /// Signs the intake with --yes; returns the serial of alice's certificate.
    fn sign_alice(&self) -> String {
        let out = self.path("signed");
        let report = self.json(&[
            "sign",
            "--yes",
            path_str(&self.intake),
            "--out",
            path_str(&out),
        ]);
        report["report"]["issued"][0]["serial"]
            .as_str()
            .expect("serial")
            .to_owned()
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn prefix(id: &str) -> &str {
    id.get(..8).expect("a CA id has 16 hex digits")
}

/// `script` (util-linux, in Debian's essential bsdutils) gives airlock a terminal. A
/// missing `script` fails the test: a terminal check that did not run is never a pass.
fn require_script() {
    let found = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(
        found,
        "'script' (util-linux, package bsdutils) is needed to give airlock a terminal"
    );
}

/// Runs `airlock ARGS` on a pseudo-terminal. For each `(wait_for, answer)` step, waits
/// until the screen shows `wait_for`, then types `answer` and Enter. Returns the exit
/// code and everything the terminal showed.
fn on_terminal(args: &[&OsStr], steps: &[(&str, &str)]) -> (i32, String) {
    let quote =
        |text: &OsStr| format!("'{}'", text.to_str().expect("utf-8").replace('\'', r"'\''"));
    let mut line = quote(OsStr::new(env!("CARGO_BIN_EXE_airlock")));
    for arg in args {
        line.push(' ');
        line.push_str(&quote(arg));
    }
    let mut child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env_remove("AIRLOCK_HOME")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run script");
    let screen = Arc::new(Mutex::new(Vec::new()));
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = {
        let screen = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buffer = [0_u8; 4096];
            while let Ok(count) = stdout.read(&mut buffer) {
                if count == 0 {
                    break;
                }
                screen
                    .lock()
                    .expect("screen lock")
                    .extend_from_slice(&buffer[..count]);
            }
        })
    };
    let shown = |screen: &Arc<Mutex<Vec<u8>>>| {
        String::from_utf8_lossy(&screen.lock().expect("screen lock")).into_owned()
    };
    let mut stdin = child.stdin.take().expect("stdin");
    for (wait_for, answer) in steps {
        let start = Instant::now();
        while !shown(&screen).contains(wait_for) {
            if start.elapsed() > Duration::from_mins(1) || matches!(child.try_wait(), Ok(Some(_))) {
                let _ = child.kill();
                panic!(
                    "the terminal never showed {wait_for:?}:\n{}",
                    shown(&screen)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        stdin
            .write_all(format!("{answer}\n").as_bytes())
            .expect("type");
        stdin.flush().expect("flush");
    }
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > Duration::from_mins(2) {
            let _ = child.kill();
            panic!("airlock did not finish:\n{}", shown(&screen));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(stdin);
    reader.join().expect("reader");
    (status.code().unwrap_or(-1), shown(&screen))
}

// Item 9: without a terminal and without --yes, every act that would ask for a typed
// confirmation is refused at once, naming --yes, and the home is untouched.
#[test]
fn acts_without_a_terminal_need_yes_and_write_nothing() {
    let desk = Desk::new();
    let serial = desk.sign_alice();
    let intake = path_str(&desk.intake).to_owned();
    let out = desk.path("out");
    let out = path_str(&out).to_owned();
    let before = desk.ledger();
    let acts: Vec<Vec<&str>> = vec![
        vec!["sign", &intake, "--out", &out],
        vec!["revoke", "--serial", &serial, "--reason", "superseded"],
        vec!["renew-ca", "--days", "400"],
        vec!["rotate", "begin"],
        vec!["rotate", "reissue", "--out", &out],
        vec!["rotate", "finish"],
        vec!["rotate", "abort"],
        vec!["policy", "accept"],
    ];
    for act in acts {
        let output = desk.run(&act);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{act:?}: {stderr}");
        assert!(
            stderr.contains("--yes") && stderr.contains("no terminal"),
            "{act:?} does not name --yes: {stderr}"
        );
        assert!(stderr.contains("nothing was done"), "{act:?}: {stderr}");
        assert_eq!(desk.ledger(), before, "{act:?} wrote to the ledger");
        assert!(!Path::new(&out).exists(), "{act:?} made the output folder");
    }
    // The same acts go through with --yes (the runbook's confirmation).
    desk.json(&["renew-ca", "--yes", "--days", "400"]);
    assert_ne!(desk.ledger(), before);
}

// Item 8: without a terminal, the missing passphrase is named by the CA's role and id.
#[test]
fn a_missing_passphrase_names_the_ca_by_role_and_id() {
    let desk = Desk::new();
    let id = desk.ca_id("active");
    let output = airlock()
        .arg("--home")
        .arg(&desk.home)
        .args(["renew-ca", "--yes"])
        .output()
        .expect("run airlock");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "the passphrase of the active CA 'test-ca' ({}…) is needed",
            prefix(&id)
        )),
        "{stderr}"
    );
}

// Item 9 (and 8): on a terminal, `sign` shows the review table and waits for the batch
// digest before it asks the passphrase, which names the CA; another answer cancels.
#[test]
fn sign_on_a_terminal_asks_the_digest_before_the_passphrase() {
    require_script();
    let desk = Desk::new();
    let id = desk.ca_id("active");
    let review = desk.json(&["review", path_str(&desk.intake)]);
    let digest = review["digest"].as_str().expect("digest").to_owned();
    let out = desk.path("out");
    let before = desk.ledger();
    let args = [
        OsStr::new("--home"),
        desk.home.as_os_str(),
        OsStr::new("sign"),
        desk.intake.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
    ];

    let (code, screen) = on_terminal(&args, &[("Type the batch digest", "nope")]);
    assert_eq!(code, 1, "{screen}");
    assert!(screen.contains("VERDICT"), "the table is shown: {screen}");
    assert!(screen.contains("alice"), "{screen}");
    assert!(screen.contains(&digest), "{screen}");
    assert!(screen.contains("not confirmed"), "{screen}");
    assert!(
        !screen.contains("Passphrase of"),
        "no passphrase asked: {screen}"
    );
    assert_eq!(desk.ledger(), before, "nothing signed");
    assert!(!out.join("alice.crt").exists());

    let passphrase_prompt = format!("Passphrase of the active CA 'test-ca' ({}…)", prefix(&id));
    let (code, screen) = on_terminal(
        &args,
        &[
            ("Type the batch digest", &digest),
            (&passphrase_prompt, PASSPHRASE),
        ],
    );
    assert_eq!(code, 0, "{screen}");
    let asked = screen.find("Type the batch digest").expect("confirmation");
    let unlocked = screen.find(&passphrase_prompt).expect("prompt");
    assert!(asked < unlocked, "the digest is asked first: {screen}");
    assert!(out.join("alice.crt").exists(), "{screen}");
}

// Item 9: `revoke` on a terminal shows which certificates go, and 'no' cancels it.
#[test]
fn revoke_on_a_terminal_shows_the_plan_and_no_cancels() {
    require_script();
    let desk = Desk::new();
    let serial = desk.sign_alice();
    let before = desk.ledger();
    let args = [
        OsStr::new("--home"),
        desk.home.as_os_str(),
        OsStr::new("--passphrase-file"),
        desk.pass.as_os_str(),
        OsStr::new("revoke"),
        OsStr::new("--serial"),
        OsStr::new(&serial),
        OsStr::new("--reason"),
        OsStr::new("keyCompromise: laptop lost"),
    ];
    let (code, screen) = on_terminal(&args, &[("Type 'yes'", "no")]);
    assert_eq!(code, 1, "{screen}");
    assert!(screen.contains("Revoke 1 certificate(s)"), "{screen}");
    assert!(
        screen.contains(&format!("serial {serial} user 'alice'")),
        "{screen}"
    );
    assert!(screen.contains("not confirmed"), "{screen}");
    assert_eq!(desk.ledger(), before, "nothing revoked");

    let (code, screen) = on_terminal(&args, &[("Type 'yes'", "yes")]);
    assert_eq!(code, 0, "{screen}");
    assert_eq!(
        desk.json(&["list", "--revoked"]).as_array().map(Vec::len),
        Some(1)
    );
}

// Item 8: `rotate begin` asks the active CA's passphrase first, then the new CA's,
// typed twice, each prompt naming the CA; later acts name the incoming CA by its id.
#[test]
fn rotate_begin_asks_the_active_passphrase_first_then_the_new_one_twice() {
    require_script();
    let desk = Desk::new();
    let old_id = desk.ca_id("active");
    let home = ["--home", path_str(&desk.home)].map(OsStr::new);
    let mut args = home.to_vec();
    args.extend(["rotate", "begin", "--scrypt-work-factor", "14"].map(OsStr::new));
    let active_prompt = format!(
        "Passphrase of the active CA 'test-ca' ({}…)",
        prefix(&old_id)
    );
    let (code, screen) = on_terminal(
        &args,
        &[
            ("Type 'yes'", "yes"),
            (&active_prompt, PASSPHRASE),
            (
                "New passphrase for the incoming CA 'test-ca'",
                "the new one",
            ),
            (
                "Repeat the new passphrase for the incoming CA",
                "the new one",
            ),
        ],
    );
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("Begin a CA rotation"), "{screen}");
    let active = screen.find(&active_prompt).expect("active prompt");
    let new = screen.find("New passphrase for").expect("new prompt");
    assert!(
        active < new,
        "the active CA's passphrase comes first: {screen}"
    );

    // The new key opens with the new passphrase only, and its prompt names it.
    let new_id = desk.ca_id("incoming");
    let mut args = home.to_vec();
    let out = desk.path("re");
    args.extend([
        OsStr::new("rotate"),
        OsStr::new("reissue"),
        OsStr::new("--out"),
    ]);
    args.push(out.as_os_str());
    let incoming_prompt = format!(
        "Passphrase of the incoming CA 'test-ca' ({}…)",
        prefix(&new_id)
    );
    let (code, screen) = on_terminal(
        &args,
        &[("Type 'yes'", "yes"), (&incoming_prompt, "the new one")],
    );
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains(&format!(
            "with the incoming CA 'test-ca' ({}…)",
            prefix(&new_id)
        )),
        "the plan names the signer: {screen}"
    );
}

// Item 8: with one --passphrase-file for both keys, `rotate begin` says that it reuses it.
#[test]
fn rotate_begin_says_when_the_passphrase_file_is_reused() {
    let desk = Desk::new();
    let output = desk.run(&["rotate", "begin", "--yes", "--scrypt-work-factor", "14"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("--passphrase-file is used again for the incoming CA 'test-ca'"),
        "{stderr}"
    );
    let new_pass = desk.path("new-pass");
    std::fs::write(&new_pass, "another one\n").expect("write");
    let private = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o600);
    std::fs::set_permissions(&new_pass, private).expect("chmod");
    desk.json(&["rotate", "abort", "--yes"]);
    let output = desk.run(&[
        "rotate",
        "begin",
        "--yes",
        "--scrypt-work-factor",
        "14",
        "--new-passphrase-file",
        path_str(&new_pass),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("used again"), "{stderr}");
}

// Item 8: during an overlap the review header names the CA that signs, by role and id,
// and the retiring one.
#[test]
fn the_review_names_the_signing_ca_during_an_overlap() {
    let desk = Desk::new();
    let old_id = desk.ca_id("active");
    let output = desk.run(&["review", path_str(&desk.intake)]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "Signing CA: active CA 'test-ca' ({}…)\n",
            prefix(&old_id)
        )),
        "{stdout}"
    );
    desk.json(&["rotate", "begin", "--yes", "--scrypt-work-factor", "14"]);
    let new_id = desk.ca_id("incoming");
    let output = desk.run(&["review", path_str(&desk.intake)]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "Signing CA: incoming CA 'test-ca' ({}…), during the rotation (phase overlap); the retiring CA 'test-ca' ({}…) signs nothing new",
            prefix(&new_id),
            prefix(&old_id)
        )),
        "{stdout}"
    );
}

// Item 9: the destroyed old key is confirmed on screen and in the JSON report, after
// airlock checked that the file is gone; --confirm-destroy takes the old CA's id.
#[test]
fn finish_confirms_the_destroyed_old_key_on_screen_and_in_the_report() {
    for json in [false, true] {
        let desk = Desk::new();
        desk.sign_alice();
        let old_id = desk.ca_id("active");
        desk.json(&["rotate", "begin", "--yes", "--scrypt-work-factor", "14"]);
        let out = desk.path("re");
        desk.json(&["rotate", "reissue", "--yes", "--out", path_str(&out)]);
        let key = desk.home.join("cas").join(&old_id).join("ca.key.age");
        assert!(key.exists());
        let mut args = vec![
            "rotate",
            "finish",
            "--yes",
            "--destroy-old-key",
            "--confirm-destroy",
            prefix(&old_id),
        ];
        if json {
            args.insert(0, "--json");
        }
        let output = desk.run(&args);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!key.exists(), "the old key file is gone");
        if json {
            let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
            assert_eq!(report["old_key"]["ca"], old_id.as_str(), "{report:#}");
            assert_eq!(report["old_key"]["fate"], "destroyed", "{report:#}");
            assert_eq!(report["old_key"]["file_present"], false, "{report:#}");
        } else {
            assert!(
                stdout.contains(&format!(
                    "Old CA key DESTROYED: the key of the retiring CA 'test-ca' ({}…) is gone ('{}' no longer exists)",
                    prefix(&old_id),
                    key.display()
                )),
                "{stdout}"
            );
        }
    }
}
