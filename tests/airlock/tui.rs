//! The terminal UI from outside: what `airlock tui` does without a terminal, and the
//! real-terminal run under tmux (`tests/tui_tmux.sh`).
//!
//! The UI itself is tested inside the binary (`src/tui/`): `App::update` state tests,
//! widget buffer tests and whole-screen snapshots.

use std::process::Command;

use predicates::prelude::*;

use crate::support::{airlock, init_home};

#[test]
fn tui_without_a_terminal_refuses_and_touches_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, _) = init_home(dir.path(), "ecdsa-p256");
    let ledger = std::fs::read(home.join("ledger.jsonl")).expect("ledger");
    airlock()
        .arg("--home")
        .arg(&home)
        .arg("tui")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("the terminal UI needs a terminal"));
    assert_eq!(
        std::fs::read(home.join("ledger.jsonl")).expect("ledger"),
        ledger,
        "refusing writes nothing"
    );
}

#[test]
fn tui_takes_an_intake_folder_and_still_needs_a_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, _) = init_home(dir.path(), "ecdsa-p256");
    let intake = dir.path().join("intake");
    std::fs::create_dir(&intake).expect("intake");
    let ledger = std::fs::read(home.join("ledger.jsonl")).expect("ledger");
    airlock()
        .arg("--home")
        .arg(&home)
        .arg("tui")
        .arg(&intake)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("the terminal UI needs a terminal"));
    assert_eq!(
        std::fs::read(home.join("ledger.jsonl")).expect("ledger"),
        ledger
    );
    airlock()
        .args(["tui", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("[INTAKE_DIR]"));
    // One folder at most.
    airlock()
        .arg("--home")
        .arg(&home)
        .args(["tui", "a", "b"])
        .assert()
        .code(2);
}

#[test]
fn tui_on_a_missing_home_refuses_without_creating_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("no-such-home");
    airlock()
        .arg("--home")
        .arg(&home)
        .arg("tui")
        .assert()
        .code(1);
    assert!(!home.exists());
}

#[test]
fn bare_airlock_without_a_terminal_prints_usage() {
    airlock()
        .assert()
        .code(2)
        .stdout(predicate::str::contains("tui"));
}

/// The real-terminal test: tmux at 80x24, review, approve, sign, quit; then `tui
/// INTAKE_DIR` and a whole rotation (begin, reissue, finish). `.ci/run` runs the script
/// as well; here it runs on the binary this test suite built.
#[test]
#[ignore = "needs tmux and openssl; .ci/run runs it with AIRLOCK_INTEROP=1"]
fn tui_in_tmux_reviews_signs_and_rotates() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tui_tmux.sh");
    let output = Command::new("bash")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_airlock"))
        .env("AIRLOCK_INTEROP", "1")
        .output()
        .expect("bash runs the tmux test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "tmux test failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(", 0 failed"), "{stdout}");
}
