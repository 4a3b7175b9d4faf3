//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The test passphrase, written to a file by [`passphrase_file`].
pub const PASSPHRASE: &str = "integration test passphrase";

/// The airlock binary, with a clean environment (no `AIRLOCK_HOME`, no colour).
pub fn airlock() -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("airlock").expect("airlock binary");
    command.env_remove("AIRLOCK_HOME").env("NO_COLOR", "1");
    command
}

/// Writes the test passphrase into `dir/pass` and returns its path.
pub fn passphrase_file(dir: &Path) -> PathBuf {
    let path = dir.join("pass");
    std::fs::write(&path, format!("{PASSPHRASE}\n")).expect("write passphrase file");
    // Passphrase files readable by others draw a warning; tests keep stderr clean.
    let private = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o600);
    std::fs::set_permissions(&path, private).expect("chmod 600");
    path
}

/// Creates a CA in `dir/home` with a light scrypt work factor; returns (home, pass file).
pub fn init_home(dir: &Path, algo: &str) -> (PathBuf, PathBuf) {
    let home = dir.join("home");
    let pass = passphrase_file(dir);
    airlock()
        .args(["--home"])
        .arg(&home)
        .arg("--passphrase-file")
        .arg(&pass)
        .args([
            "init",
            "--cn",
            "test-ca",
            "--algo",
            algo,
            "--scrypt-work-factor",
            "14",
        ])
        .assert()
        .success();
    (home, pass)
}

/// The one CA certificate file in a home.
pub fn ca_cert(home: &Path) -> PathBuf {
    let cas = home.join("cas");
    let entry = std::fs::read_dir(&cas)
        .expect("cas folder")
        .next()
        .expect("one CA")
        .expect("entry");
    entry.path().join("ca.crt")
}

/// Runs openssl with `args`, panicking with its stderr on failure; returns stdout.
pub fn openssl(args: &[&str]) -> String {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is a test prerequisite");
    assert!(
        output.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Makes a private key with openssl (`genpkey` arguments) and a CSR for it.
/// `subject` is openssl's `-subj` form, e.g. `/O=dev/O=ops/CN=alice`.
pub fn openssl_csr(dir: &Path, name: &str, key_args: &[&str], subject: &str) -> PathBuf {
    let key = dir.join(format!("{name}.key"));
    let csr = dir.join(format!("{name}.csr"));
    let key_str = key.to_str().expect("utf-8 path");
    let mut args = vec!["genpkey"];
    args.extend_from_slice(key_args);
    args.extend_from_slice(&["-out", key_str]);
    openssl(&args);
    openssl(&[
        "req",
        "-new",
        "-key",
        key_str,
        "-subj",
        subject,
        "-utf8",
        "-out",
        csr.to_str().expect("utf-8 path"),
    ]);
    csr
}

/// For `#[ignore]`d interop tests: the tool must be on PATH, or the test fails.
pub fn require_tool(name: &str) {
    let found = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()));
    assert!(
        found,
        "interop tool '{name}' is not installed (see .ci/run for how CI installs it)"
    );
}

/// Every regular file below `root`.
pub fn files_below(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// Asserts that no file below `root` contains `needle` (e.g. a private key's DER, or a
/// distinctive slice of it).
pub fn assert_not_below(root: &Path, needle: &[u8], what: &str) {
    assert!(needle.len() >= 16, "needle too short to be meaningful");
    for file in files_below(root) {
        let bytes = std::fs::read(&file).expect("read file");
        assert!(
            !bytes.windows(needle.len()).any(|window| window == needle),
            "{what} found in plaintext in '{}'",
            file.display()
        );
    }
}
