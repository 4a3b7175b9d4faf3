//! Insider attacks on the files of the CA home, passphrase files and `audit show`.
//!
//! The attacker can write to the home (or hands in a copy of it) but does not know the
//! passphrase. Each test plants what such a person could plant and asserts that airlock
//! refuses before reading or writing through it, that nothing is signed and no file
//! elsewhere changes, and that the error names the path, what is wrong and the fix.

use std::fs;
use std::os::unix::fs::{PermissionsExt as _, symlink};
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::support::{airlock, init_home, openssl_csr};

/// Runs airlock on `home` with `args`; returns (exit code, stdout, stderr).
fn run(home: &Path, pass: Option<&Path>, args: &[&str]) -> (i32, String, String) {
    let mut command = airlock();
    command.arg("--home").arg(home);
    if let Some(pass) = pass {
        command.arg("--passphrase-file").arg(pass);
    }
    let output = command.args(args).output().expect("run airlock");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// An intake folder holding one CSR for `CN=mallory`.
fn intake_with_one_csr(dir: &Path) -> PathBuf {
    let keys = dir.join("keys");
    let intake = dir.join("intake");
    fs::create_dir_all(&keys).expect("keys dir");
    fs::create_dir_all(&intake).expect("intake dir");
    let csr = openssl_csr(
        &keys,
        "mallory",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "/O=dev/CN=mallory",
    );
    fs::rename(&csr, intake.join("mallory.csr")).expect("move CSR into intake");
    intake
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// The kinds of the ledger's entries, in order.
fn ledger_kinds(home: &Path) -> Vec<String> {
    fs::read_to_string(home.join("ledger.jsonl"))
        .expect("read ledger")
        .lines()
        .map(|line| {
            let entry: serde_json::Value = serde_json::from_str(line).expect("ledger line");
            entry["kind"].as_str().expect("kind").to_owned()
        })
        .collect()
}

/// Asserts that the refusal names `path`, says it is a symbolic link, and carries the
/// tamper hint.
fn assert_refused_symlink(stderr: &str, path: &Path, what: &str) {
    assert!(
        stderr.contains(&format!("refusing '{}'", path.display())),
        "{what}: the error must name '{}': {stderr}",
        path.display()
    );
    assert!(
        stderr.contains("symbolic link"),
        "{what}: the error must say why: {stderr}"
    );
    assert!(
        stderr.contains("hint: someone may have tampered with the CA home"),
        "{what}: the officer is told to look for tampering: {stderr}"
    );
}

/// Proves that `lock` planted as a symlink to a victim file no longer lets read-only
/// commands truncate the victim (before the fix every command wrote its pid into it):
/// each command refuses, naming the lock, and the victim keeps its bytes.
#[test]
fn lock_symlink_to_a_victim_is_refused_and_the_victim_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, _pass) = init_home(dir.path(), "ecdsa-p256");
    let victim = dir.path().join("victim.conf");
    fs::write(&victim, b"a file the insider wants destroyed\n").expect("victim");
    let lock = home.join("lock");
    fs::remove_file(&lock).expect("remove lock");
    symlink(&victim, &lock).expect("plant symlink");

    for args in [
        &["status"][..],
        &["list"],
        &["audit", "verify"],
        &["audit", "show"],
    ] {
        let (code, stdout, stderr) = run(&home, None, args);
        assert_eq!(code, 1, "{args:?} must refuse: {stdout}{stderr}");
        assert_refused_symlink(&stderr, &lock, &format!("{args:?}"));
        assert_eq!(
            fs::read(&victim).expect("victim"),
            b"a file the insider wants destroyed\n",
            "{args:?} changed the file behind the lock symlink"
        );
    }
}

/// Proves that `ledger.jsonl` replaced by a symlink to a ledger elsewhere (the insider's
/// copy, or a file to grow by appends) is neither read nor appended to: `status` and
/// `sign` refuse naming the ledger, nothing is signed, the target keeps its bytes.
#[test]
fn ledger_symlink_is_refused_and_nothing_is_signed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let intake = intake_with_one_csr(dir.path());
    let ledger = home.join("ledger.jsonl");
    let elsewhere = dir.path().join("elsewhere.jsonl");
    fs::rename(&ledger, &elsewhere).expect("move ledger out");
    symlink(&elsewhere, &ledger).expect("plant symlink");
    let before = fs::read(&elsewhere).expect("read target");
    let out = dir.path().join("out");

    let (code, _, stderr) = run(&home, None, &["status"]);
    assert_eq!(code, 1, "status must refuse: {stderr}");
    assert_refused_symlink(&stderr, &ledger, "status");

    let out_arg = out.to_str().expect("utf-8 path");
    let intake_arg = intake.to_str().expect("utf-8 path");
    let (code, _, stderr) = run(
        &home,
        Some(&pass),
        &["sign", "--yes", intake_arg, "--out", out_arg],
    );
    assert_eq!(code, 1, "sign must refuse: {stderr}");
    assert_refused_symlink(&stderr, &ledger, "sign");
    assert_eq!(
        fs::read(&elsewhere).expect("target"),
        before,
        "ledger target changed"
    );
    let signed: Vec<_> = if out.exists() {
        crate::support::files_below(&out)
    } else {
        Vec::new()
    };
    assert!(signed.is_empty(), "something was written: {signed:?}");
}

/// Proves that an `airlock.toml` swapped for a symlink to the insider's own policy (here
/// one that forbids nothing) is not read: `review` and `sign` refuse naming the file,
/// and no certificate is issued.
#[test]
fn policy_symlink_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let intake = intake_with_one_csr(dir.path());
    let policy = home.join("airlock.toml");
    let planted = dir.path().join("lax.toml");
    fs::write(&planted, "# the insider's policy\n").expect("planted policy");
    fs::remove_file(&policy).expect("remove policy");
    symlink(&planted, &policy).expect("plant symlink");
    let kinds_before = ledger_kinds(&home);
    let intake_arg = intake.to_str().expect("utf-8 path");
    let out = dir.path().join("out");

    let (code, _, stderr) = run(&home, None, &["review", intake_arg]);
    assert_eq!(code, 1, "review must refuse: {stderr}");
    assert_refused_symlink(&stderr, &policy, "review");

    let out_arg = out.to_str().expect("utf-8 path");
    let (code, _, stderr) = run(
        &home,
        Some(&pass),
        &["sign", "--yes", intake_arg, "--out", out_arg],
    );
    assert_eq!(code, 1, "sign must refuse: {stderr}");
    assert_refused_symlink(&stderr, &policy, "sign");
    assert_eq!(ledger_kinds(&home), kinds_before, "the ledger changed");
    assert!(
        !out.join("mallory.crt").exists(),
        "a certificate was written"
    );
}

/// Proves that a home others can write to (so anyone could have planted anything in it)
/// is refused as ssh refuses a loose `~/.ssh`, with the path and the `chmod` that fixes
/// it; then that a group-writable ledger is refused the same way; and that once fixed
/// the home opens again (so the refusal was for the mode and nothing else).
#[test]
fn writable_home_and_ledger_are_refused_with_the_fix() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, _pass) = init_home(dir.path(), "ecdsa-p256");
    let ledger_before = fs::read(home.join("ledger.jsonl")).expect("ledger");

    chmod(&home, 0o777);
    let (code, _, stderr) = run(&home, None, &["status"]);
    assert_eq!(code, 1, "a world-writable home must be refused: {stderr}");
    assert!(
        stderr.contains(&format!("refusing '{}'", home.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains("other users can write to it (mode 777)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("run 'chmod go-w {}'", home.display())),
        "the fix is named: {stderr}"
    );

    chmod(&home, 0o770);
    let (code, _, stderr) = run(&home, None, &["list"]);
    assert_eq!(code, 1, "a group-writable home must be refused: {stderr}");
    assert!(stderr.contains("chmod go-w"), "{stderr}");
    chmod(&home, 0o700);

    let ledger = home.join("ledger.jsonl");
    chmod(&ledger, 0o660);
    let (code, _, stderr) = run(&home, None, &["audit", "verify"]);
    assert_eq!(code, 1, "a group-writable ledger must be refused: {stderr}");
    assert!(
        stderr.contains(&format!("run 'chmod go-w {}'", ledger.display())),
        "the fix is named: {stderr}"
    );
    chmod(&ledger, 0o600);
    assert_eq!(
        fs::read(&ledger).expect("ledger"),
        ledger_before,
        "ledger changed"
    );

    let (code, _, stderr) = run(&home, None, &["status"]);
    assert_eq!(code, 0, "the fixed home opens: {stderr}");
}

/// Proves that `--out` cannot point into the home, where written files would sit among
/// the CA's own (or replace what the insider wants replaced): the home itself, a folder
/// in it, and a symlink leading into it are all refused before anything is signed or
/// created.
#[test]
fn out_inside_the_home_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, pass) = init_home(dir.path(), "ecdsa-p256");
    let intake = intake_with_one_csr(dir.path());
    let intake_arg = intake.to_str().expect("utf-8 path");
    let kinds_before = ledger_kinds(&home);
    let door = dir.path().join("door");
    symlink(&home, &door).expect("symlink into the home");

    for out in [home.clone(), home.join("out"), door.join("out")] {
        let out_arg = out.to_str().expect("utf-8 path");
        let (code, _, stderr) = run(
            &home,
            Some(&pass),
            &["sign", "--yes", intake_arg, "--out", out_arg],
        );
        assert_eq!(code, 1, "--out '{out_arg}' must be refused: {stderr}");
        assert!(
            stderr.contains(&format!(
                "output folder '{out_arg}' is inside the CA home '{}'",
                home.display()
            )),
            "{stderr}"
        );
        assert_eq!(ledger_kinds(&home), kinds_before, "something was signed");
    }
    assert!(!home.join("out").exists(), "the refused folder was created");
    assert!(!home.join("mallory.crt").exists());
}

/// Proves that a passphrase file is read to its first line, as `--help` says: a CA made
/// from a two-line file opens with a file holding only the first line. Before the fix the
/// key was encrypted under both lines, so the documented use locked the officer out (or,
/// the other way round, a note below the passphrase became part of it).
#[test]
fn two_line_passphrase_file_uses_the_first_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    let two_lines = dir.path().join("two-lines");
    fs::write(
        &two_lines,
        "the first line is the passphrase\nwritten on 2026-01-01 by the key custodian\n",
    )
    .expect("write");
    chmod(&two_lines, 0o600);
    let (code, _, stderr) = run(
        &home,
        Some(&two_lines),
        &[
            "init",
            "--cn",
            "first-line-ca",
            "--scrypt-work-factor",
            "14",
        ],
    );
    assert_eq!(code, 0, "init: {stderr}");

    let one_line = dir.path().join("one-line");
    fs::write(&one_line, "the first line is the passphrase\n").expect("write");
    chmod(&one_line, 0o600);
    let intake = intake_with_one_csr(dir.path());
    let out = dir.path().join("out");
    let (code, _, stderr) = run(
        &home,
        Some(&one_line),
        &[
            "sign",
            "--yes",
            intake.to_str().expect("utf-8 path"),
            "--out",
            out.to_str().expect("utf-8 path"),
        ],
    );
    assert_eq!(code, 0, "the first line alone unlocks the key: {stderr}");
    assert!(out.join("mallory.crt").exists(), "the CSR was signed");
}

/// Proves that a passphrase of only whitespace (an editor's blank line, a file of
/// spaces) is refused instead of protecting the CA key with nothing, and that a file
/// whose first line is empty is refused rather than read further: no CA is created.
#[test]
fn whitespace_only_passphrase_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, content, reason) in [
        (
            "spaces",
            "            \n",
            "its first line is only whitespace",
        ),
        (
            "tabs",
            " \t \t \t \t \r\n",
            "its first line is only whitespace",
        ),
        (
            "blank-first-line",
            "\na passphrase on line two\n",
            "its first line is empty",
        ),
    ] {
        let home = dir.path().join(format!("home-{name}"));
        let file = dir.path().join(name);
        fs::write(&file, content).expect("write");
        chmod(&file, 0o600);
        let (code, _, stderr) = run(
            &home,
            Some(&file),
            &["init", "--cn", "blank-ca", "--scrypt-work-factor", "14"],
        );
        assert_eq!(code, 1, "{name}: must be refused: {stderr}");
        assert!(
            stderr.contains(&format!(
                "cannot use passphrase file '{}': {reason}",
                file.display()
            )),
            "{name}: {stderr}"
        );
        assert!(
            !home.join("cas").exists() && !home.join("ledger.jsonl").exists(),
            "{name}: a CA was created"
        );
    }
}

/// Proves that `audit show` no longer replays terminal escapes planted in the ledger (a
/// forged `note` entry, its hash recomputed as anyone can, whose key and value hold an
/// OSC title change, a screen clear and a bidi override): text mode prints them escaped,
/// JSON mode stays valid JSON with the string intact and no raw escape byte.
#[test]
fn audit_show_escapes_a_forged_escape_sequence() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, _pass) = init_home(dir.path(), "ecdsa-p256");
    let ledger = home.join("ledger.jsonl");
    let text = fs::read_to_string(&ledger).expect("ledger");
    let last: airlock::ledger::Entry =
        serde_json::from_str(text.lines().last().expect("a line")).expect("last entry");
    let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}gnp.exe";
    let mut forged = airlock::ledger::Entry {
        seq: last.seq + 1,
        time: last.time.clone(),
        kind: "note".to_owned(),
        payload: json!({ "text": hostile, "k\u{1b}[31mey": "v" }),
        prev: last.hash.clone(),
        hash: String::new(),
    };
    forged.hash = forged.compute_hash();
    let mut appended = text.clone();
    appended.push_str(&serde_json::to_string(&forged).expect("encode"));
    appended.push('\n');
    fs::write(&ledger, appended).expect("forge the ledger");

    let (code, stdout, stderr) = run(&home, None, &["audit", "show"]);
    assert_eq!(code, 0, "audit show: {stderr}");
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}') && !stdout.contains('\u{202e}'),
        "a raw control character reached the terminal: {stdout:?}"
    );
    assert!(
        stdout.contains("text=\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{202e}gnp.exe"),
        "the forged text is shown escaped: {stdout}"
    );
    assert!(stdout.contains("k\\u{1b}[31mey=v"), "{stdout}");

    let (code, stdout, stderr) = run(&home, None, &["--json", "audit", "show"]);
    assert_eq!(code, 0, "audit show --json: {stderr}");
    assert!(
        !stdout.contains('\u{1b}'),
        "raw ESC in JSON output: {stdout:?}"
    );
    let entries: serde_json::Value = serde_json::from_str(&stdout).expect("valid JSON");
    let shown = entries
        .as_array()
        .and_then(|entries| entries.last())
        .expect("entries");
    assert_eq!(shown["payload"]["text"], hostile, "JSON keeps the string");
}
