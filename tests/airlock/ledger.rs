//! The ledger is tamper-evident: `airlock audit verify` exits 0 on an intact ledger and 1
//! naming the first bad line and why on a changed one; a torn last line (a crash in the
//! middle of an append) is repaired on open and the repair recorded; every command
//! refuses a tampered ledger; a clean ledger of 10,000 entries verifies.
//!
//! Most tests start from one realistic ledger built once through the CLI (see
//! [`template`]) and tamper with a private copy of its home. The hashes in the tampering
//! tests are computed by an independent implementation of the canonical encoding that
//! `src/ledger.rs` documents (own JSON encoder, `ring` SHA-256), which
//! [`documented_encoding_matches_every_line`] checks against every line airlock wrote.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{airlock, init_home, openssl, openssl_csr};

/// Kinds of the template ledger, line by line.
const TEMPLATE_KINDS: [&str; 10] = [
    "ca.created",     // 1  init
    "policy.changed", // 2  init records the policy in force
    "ledger.sealed",  // 3  init's seal
    "cert.issued",    // 4  batch 1: alice
    "cert.issued",    // 5  batch 1: bob
    "batch.signed",   // 6  batch 1
    "ledger.sealed",  // 7  batch 1's seal (covers lines 1..=6)
    "cert.issued",    // 8  batch 2: carol
    "batch.signed",   // 9  batch 2
    "ledger.sealed",  // 10 batch 2's seal (covers lines 1..=9)
];

// ---------------------------------------------------------------------------------------
// Fixture: one realistic home, built once through the CLI, copied for each test.
// ---------------------------------------------------------------------------------------

/// The template: a home made by `init`, then two signed batches (2 + 1 certificates are
/// too slow to make per test with scrypt in a debug build, so they are made once).
struct Template {
    _dir: TempDir,
    home: PathBuf,
}

fn template() -> &'static Path {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    &TEMPLATE
        .get_or_init(|| {
            let dir = tempfile::Builder::new()
                .prefix("airlock-ledger-template-")
                .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
                .expect("template dir");
            let (home, pass) = init_home(dir.path(), "ecdsa-p256");
            sign_batch(
                dir.path(),
                &home,
                &pass,
                "batch1",
                &[("alice", "/O=dev/CN=alice"), ("bob", "/O=dev/O=ops/CN=bob")],
            );
            sign_batch(
                dir.path(),
                &home,
                &pass,
                "batch2",
                &[("carol", "/O=qa/CN=carol")],
            );
            let kinds: Vec<String> = read_entries(&home)
                .iter()
                .map(|entry| entry["kind"].as_str().expect("kind").to_owned())
                .collect();
            assert_eq!(
                kinds, TEMPLATE_KINDS,
                "the template ledger is not as planned"
            );
            Template { _dir: dir, home }
        })
        .home
}

/// Makes CSRs (keys kept outside the intake folder) and signs them with the CLI.
fn sign_batch(dir: &Path, home: &Path, pass: &Path, name: &str, users: &[(&str, &str)]) {
    let keys = dir.join(format!("{name}-keys"));
    let intake = dir.join(format!("{name}-intake"));
    std::fs::create_dir_all(&keys).expect("keys dir");
    std::fs::create_dir_all(&intake).expect("intake dir");
    for (user, subject) in users {
        let csr = openssl_csr(
            &keys,
            user,
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            subject,
        );
        std::fs::rename(&csr, intake.join(format!("{user}.csr"))).expect("move CSR into intake");
    }
    airlock()
        .arg("--home")
        .arg(home)
        .arg("--passphrase-file")
        .arg(pass)
        .arg("sign")
        .arg("--yes")
        .arg(&intake)
        .arg("--out")
        .arg(dir.join(format!("{name}-out")))
        .assert()
        .code(0);
}

/// A private copy of the template home (without its lock file) in a fresh folder, with
/// the passphrase file beside it.
struct Copy {
    dir: TempDir,
    home: PathBuf,
    pass: PathBuf,
}

fn copy_of_template() -> Copy {
    let dir = TempDir::new().expect("temp dir");
    let home = dir.path().join("home");
    copy_tree(template(), &home);
    let pass = crate::support::passphrase_file(dir.path());
    Copy { dir, home, pass }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else if entry.file_name() != "lock" {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

fn ledger_path(home: &Path) -> PathBuf {
    home.join("ledger.jsonl")
}

/// The ledger's complete lines, without their newlines.
fn read_lines(home: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(ledger_path(home)).expect("read ledger");
    let body = text.strip_suffix('\n').expect("ledger ends with a newline");
    body.split('\n').map(str::to_owned).collect()
}

fn write_lines(home: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(ledger_path(home), text).expect("write ledger");
}

fn read_entries(home: &Path) -> Vec<Value> {
    read_lines(home)
        .iter()
        .map(|line| serde_json::from_str(line).expect("ledger line is JSON"))
        .collect()
}

// ---------------------------------------------------------------------------------------
// An independent implementation of the documented format (src/ledger.rs module doc).
// ---------------------------------------------------------------------------------------

/// Canonical JSON as documented: object keys sorted by byte value at every depth, no
/// white space, only the escapes RFC 8259 requires (`\"`, `\\`, control characters; the
/// short forms `\b \f \n \r \t`, else `\u00xx`), non-ASCII as UTF-8, integers only.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => {
            let text = number
                .as_u64()
                .map(|n| n.to_string())
                .or_else(|| number.as_i64().map(|n| n.to_string()))
                .expect("the ledger holds integers only");
            out.push_str(&text);
        }
        Value::String(text) => escape(text, out),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(object) => {
            let mut keys: Vec<&String> = object.keys().collect();
            keys.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            out.push('{');
            for (index, key) in keys.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                escape(key, out);
                out.push(':');
                canonical(&object[key.as_str()], out);
            }
            out.push('}');
        }
    }
}

fn escape(text: &str, out: &mut String) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            control if u32::from(control) < 0x20 => {
                write!(out, "\\u{:04x}", u32::from(control)).expect("write to string");
            }
            other => out.push(other),
        }
    }
    out.push('"');
}

fn encode(value: &Value) -> String {
    let mut out = String::new();
    canonical(value, &mut out);
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().fold(String::new(), |mut hex, byte| {
        write!(hex, "{byte:02x}").expect("write to string");
        hex
    })
}

/// `hash` of an entry: SHA-256 of the canonical encoding of the five other fields.
fn entry_hash(entry: &Value) -> String {
    let canonical = format!(
        r#"{{"kind":{},"payload":{},"prev":{},"seq":{},"time":{}}}"#,
        encode(&entry["kind"]),
        encode(&entry["payload"]),
        encode(&entry["prev"]),
        encode(&entry["seq"]),
        encode(&entry["time"]),
    );
    sha256_hex(canonical.as_bytes())
}

/// A ledger line as airlock writes it: the six keys in the documented order.
fn entry_line(entry: &Value) -> String {
    format!(
        r#"{{"seq":{},"time":{},"kind":{},"payload":{},"prev":{},"hash":{}}}"#,
        encode(&entry["seq"]),
        encode(&entry["time"]),
        encode(&entry["kind"]),
        encode(&entry["payload"]),
        encode(&entry["prev"]),
        encode(&entry["hash"]),
    )
}

/// Recomputes `hash` of `entries[index]` (and nothing else).
fn rehash(entries: &mut [Value], index: usize) {
    let hash = entry_hash(&entries[index]);
    entries[index]["hash"] = Value::String(hash);
}

/// What a forger does after editing `entries[from]`: recompute every hash from there on,
/// re-link every `prev`, and make every seal's `head` name its new `prev`, so that the
/// chain is consistent again. Only the seal signatures cannot be redone.
fn relink_from(entries: &mut [Value], from: usize) {
    for index in from..entries.len() {
        if index > 0 {
            let prev = entries[index - 1]["hash"].clone();
            entries[index]["prev"] = prev.clone();
            if entries[index]["kind"] == "ledger.sealed" {
                entries[index]["payload"]["head"] = prev;
            }
        }
        rehash(entries, index);
    }
}

fn write_entries(home: &Path, entries: &[Value]) {
    let lines: Vec<String> = entries.iter().map(entry_line).collect();
    write_lines(home, &lines);
}

// ---------------------------------------------------------------------------------------
// Running `audit verify`.
// ---------------------------------------------------------------------------------------

fn verify_cmd(home: &Path) -> assert_cmd::assert::Assert {
    airlock()
        .arg("--home")
        .arg(home)
        .args(["audit", "verify"])
        .assert()
}

/// `audit verify --json` on an intact ledger: exit 0 and the report.
fn verify_ok(home: &Path) -> Value {
    let output = airlock()
        .arg("--home")
        .arg(home)
        .args(["--json", "audit", "verify"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&output).expect("verify --json prints JSON")
}

/// `audit verify` must exit 1, say `ledger line {line}: ...{why}...` on stderr, and not
/// say the ledger is OK. Returns stderr.
fn assert_rejected(home: &Path, line: u64, why: &str) -> String {
    let before = std::fs::read(ledger_path(home)).expect("read ledger");
    let assert = verify_cmd(home).code(1);
    let output = assert.get_output();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let named = format!("ledger line {line}: ");
    assert!(
        stderr.contains(&named),
        "expected stderr to name '{named}', got:\n{stderr}"
    );
    assert!(
        stderr.contains(why),
        "expected stderr to say why ('{why}'), got:\n{stderr}"
    );
    assert!(
        !stdout.contains("ledger OK"),
        "a tampered ledger was reported OK:\n{stdout}"
    );
    // Only the first bad line is named: the error names exactly one line.
    assert_eq!(
        stderr.matches("ledger line ").count(),
        1,
        "more than one line named:\n{stderr}"
    );
    let after = std::fs::read(ledger_path(home)).expect("read ledger");
    assert_eq!(before, after, "audit verify changed the ledger");
    stderr
}

// ---------------------------------------------------------------------------------------
// The intact ledger, and the documented format.
// ---------------------------------------------------------------------------------------

/// The template ledger, as airlock wrote it, verifies: 10 entries, 3 seals, the last on
/// line 10, nothing unsealed, head = hash of line 9, no torn tail.
#[test]
fn intact_ledger_verifies() {
    let home = template();
    let report = verify_ok(home);
    let entries = read_entries(home);
    assert_eq!(report["entries"], 10);
    assert_eq!(report["seals"], 3);
    assert_eq!(report["last_seal_line"], 10);
    assert_eq!(report["unsealed_entries"], 0);
    assert_eq!(report["torn_tail_bytes"], 0);
    assert_eq!(report["head"], entries[9]["hash"]);
    let text = verify_cmd(home).code(0).get_output().stdout.clone();
    let text = String::from_utf8_lossy(&text);
    assert!(
        text.contains("ledger OK: 10 entries, 3 seals verified"),
        "{text}"
    );
}

/// The format documented in src/ledger.rs is the format airlock writes, checked by an
/// independent implementation on every line: each line is byte-for-byte the six keys in
/// the documented order with canonical payloads; `seq` equals the line number; `prev` is
/// the hash before (64 zeros on line 1); `hash` is the SHA-256 of the canonical
/// encoding of the five other fields, with keys sorted. The library's `compute_hash`
/// agrees.
#[test]
fn documented_encoding_matches_every_line() {
    let home = template();
    let lines = read_lines(home);
    let mut prev = "0".repeat(64);
    for (index, line) in lines.iter().enumerate() {
        let number = index as u64 + 1;
        let entry: Value = serde_json::from_str(line).expect("JSON line");
        assert_eq!(
            &entry_line(&entry),
            line,
            "line {number} is not in the documented form"
        );
        assert_eq!(entry["seq"], number, "line {number}: seq");
        assert_eq!(entry["prev"], prev.as_str(), "line {number}: prev");
        let independent = entry_hash(&entry);
        assert_eq!(
            entry["hash"],
            independent.as_str(),
            "line {number}: independent hash"
        );
        let library: airlock::ledger::Entry = serde_json::from_str(line).expect("an Entry");
        assert_eq!(
            library.compute_hash(),
            independent,
            "line {number}: library hash"
        );
        prev = independent;
    }
    // The PEM certificates hold newlines: the escape form matters and is `\n`.
    assert!(lines[0].contains("-----BEGIN CERTIFICATE-----\\n"));
}

/// A seal is what the module doc says: the CA's signature over
/// `airlock ledger seal v1\n` followed by the seal's `prev` (= `payload.head`). Checked
/// with openssl against the CA certificate, independently of airlock.
#[test]
fn seal_signature_is_as_documented() {
    let home = template();
    let entries = read_entries(home);
    let dir = TempDir::new().expect("temp dir");
    let public_key = dir.path().join("ca.pub");
    let ca_cert = crate::support::ca_cert(home);
    let pem = openssl(&[
        "x509",
        "-in",
        ca_cert.to_str().expect("utf-8"),
        "-pubkey",
        "-noout",
    ]);
    std::fs::write(&public_key, pem).expect("write public key");
    for (index, entry) in entries.iter().enumerate() {
        if entry["kind"] != "ledger.sealed" {
            continue;
        }
        let head = entry["payload"]["head"].as_str().expect("head");
        assert_eq!(
            entry["prev"],
            head,
            "line {}: the seal seals its prev",
            index + 1
        );
        let message = dir.path().join(format!("message-{index}"));
        let signature = dir.path().join(format!("signature-{index}"));
        std::fs::write(&message, format!("airlock ledger seal v1\n{head}")).expect("write");
        let hex = entry["payload"]["signature"].as_str().expect("signature");
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).expect("hex"))
            .collect();
        std::fs::write(&signature, bytes).expect("write");
        let out = openssl(&[
            "dgst",
            "-sha256",
            "-verify",
            public_key.to_str().expect("utf-8"),
            "-signature",
            signature.to_str().expect("utf-8"),
            message.to_str().expect("utf-8"),
        ]);
        assert!(
            out.contains("Verified OK"),
            "seal on line {}: {out}",
            index + 1
        );
    }
}

/// `audit show --json` returns every entry in order (as in the file), and the human
/// `audit show` is one inert line per entry without certificates or signatures.
#[test]
fn audit_show_lists_entries_without_certificates() {
    let home = template();
    let output = airlock()
        .arg("--home")
        .arg(home)
        .args(["--json", "audit", "show"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let shown: Vec<Value> = serde_json::from_slice(&output).expect("show --json prints JSON");
    let kinds: Vec<&str> = shown
        .iter()
        .map(|entry| entry["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, TEMPLATE_KINDS);
    assert_eq!(
        shown,
        read_entries(home),
        "show --json differs from the file"
    );
    let users: Vec<&str> = shown
        .iter()
        .filter(|entry| entry["kind"] == "cert.issued")
        .map(|entry| entry["payload"]["user"].as_str().expect("user"))
        .collect();
    assert_eq!(users, ["alice", "bob", "carol"]);

    let output = airlock()
        .arg("--home")
        .arg(home)
        .args(["audit", "show"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(output).expect("UTF-8");
    assert_eq!(text.lines().count(), 10, "one line per entry:\n{text}");
    for (line, kind) in text.lines().zip(TEMPLATE_KINDS) {
        assert!(line.contains(kind), "'{line}' should show kind {kind}");
    }
    assert!(
        !text.contains("CERTIFICATE"),
        "audit show prints a certificate:\n{text}"
    );
    assert!(
        !text.contains("MII"),
        "audit show prints certificate base64:\n{text}"
    );
    for entry in shown
        .iter()
        .filter(|entry| entry["kind"] == "ledger.sealed")
    {
        let signature = entry["payload"]["signature"].as_str().expect("signature");
        assert!(
            !text.contains(signature),
            "audit show prints a seal signature"
        );
    }
    assert!(
        text.contains("user=alice") && text.contains("user=carol"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------
// The tamper cases of the issue.
// ---------------------------------------------------------------------------------------

/// A flipped byte in a payload (alice's name on line 4 becomes "alicf") is caught on
/// that line: its content no longer hashes to its recorded hash.
#[test]
fn flipped_byte_names_its_line() {
    let copy = copy_of_template();
    let mut lines = read_lines(&copy.home);
    assert!(lines[3].contains(r#""user":"alice""#));
    lines[3] = lines[3].replace(r#""user":"alice""#, r#""user":"alicf""#);
    write_lines(&copy.home, &lines);
    assert_rejected(&copy.home, 4, "content was altered");
}

/// Every single-byte change anywhere in a line (each byte XOR 1, one at a time, in a
/// `batch.signed` line and in a seal line, including their newlines) is caught and names
/// that line. Checked through the library's `verify_file`, the function behind `audit
/// verify`, to keep the test fast.
#[test]
fn every_flipped_byte_is_caught_on_its_line() {
    let copy = copy_of_template();
    let path = ledger_path(&copy.home);
    let original = std::fs::read(&path).expect("read ledger");
    let lines = read_lines(&copy.home);
    for line_number in [6_usize, 7] {
        let start: usize = lines[..line_number - 1]
            .iter()
            .map(|line| line.len() + 1)
            .sum();
        let end = start + lines[line_number - 1].len() + 1; // with its newline
        for at in start..end {
            let mut bytes = original.clone();
            bytes[at] ^= 1;
            std::fs::write(&path, &bytes).expect("write ledger");
            let error = airlock::ledger::verify_file(&path)
                .expect_err("a flipped byte must fail verification")
                .to_string();
            assert!(
                error.starts_with(&format!("ledger line {line_number}: ")),
                "byte {} of line {line_number} flipped: {error}",
                at - start
            );
        }
    }
}

/// A deleted line (line 5, bob's certificate) is caught on that line: the line now there
/// carries sequence number 6.
#[test]
fn deleted_line_names_its_line() {
    let copy = copy_of_template();
    let mut lines = read_lines(&copy.home);
    lines.remove(4);
    write_lines(&copy.home, &lines);
    assert_rejected(&copy.home, 5, "sequence number is 6, expected 5");
}

/// Deleting the first line is caught on line 1 too.
#[test]
fn deleted_first_line_names_line_1() {
    let copy = copy_of_template();
    let mut lines = read_lines(&copy.home);
    lines.remove(0);
    write_lines(&copy.home, &lines);
    assert_rejected(&copy.home, 1, "sequence number is 2, expected 1");
}

/// Two swapped lines (8 and 9: carol's certificate and her batch summary) are caught on
/// the first of them.
#[test]
fn swapped_lines_name_the_first() {
    let copy = copy_of_template();
    let mut lines = read_lines(&copy.home);
    lines.swap(7, 8);
    write_lines(&copy.home, &lines);
    assert_rejected(&copy.home, 8, "sequence number is 9, expected 8");
}

/// A rewritten history: alice's certificate (line 4) is given to "mallory", and every
/// hash, prev and seal head from there on is recomputed by the documented encoding, so
/// the hash chain is consistent. The seal on line 7 no longer verifies (its signature is
/// over the old head), and that is the line named.
#[test]
fn edited_payload_with_recomputed_hashes_is_caught_by_the_seal() {
    let copy = copy_of_template();
    let mut entries = read_entries(&copy.home);
    assert_eq!(entries[3]["payload"]["user"], "alice");
    entries[3]["payload"]["user"] = json!("mallory");
    relink_from(&mut entries, 3);
    write_entries(&copy.home, &entries);
    // The forgery is internally consistent: lines 1..=6 pass on their own and as a chain.
    for (index, entry) in entries.iter().enumerate() {
        assert_eq!(entry["hash"], entry_hash(entry).as_str());
        if index > 0 {
            assert_eq!(entry["prev"], entries[index - 1]["hash"]);
        }
    }
    let stderr = assert_rejected(&copy.home, 7, "seal does not verify");
    assert!(stderr.contains("does not match"), "{stderr}");
}

/// The same forgery of a later batch (carol's certificate on line 8) is caught by the
/// last seal, on line 10.
#[test]
fn edited_later_payload_is_caught_by_the_last_seal() {
    let copy = copy_of_template();
    let mut entries = read_entries(&copy.home);
    entries[7]["payload"]["groups"] = json!(["qa", "admins"]);
    relink_from(&mut entries, 7);
    write_entries(&copy.home, &entries);
    assert_rejected(&copy.home, 10, "seal does not verify");
}

/// A torn last line (half a line, no newline, as a crash in the middle of an append
/// leaves it): `audit verify` still exits 0 and reports it without touching the file;
/// the next command that opens the home (`status`) cuts it with a warning and appends a
/// `ledger.repaired` entry recording how many bytes were cut and their SHA-256; the
/// repaired ledger verifies; a second open repairs nothing.
#[test]
fn torn_tail_is_reported_then_repaired_and_recorded() {
    let copy = copy_of_template();
    let path = ledger_path(&copy.home);
    let intact = std::fs::read(&path).expect("read ledger");
    let lines = read_lines(&copy.home);
    let head = read_entries(&copy.home)[9]["hash"].clone();
    // Half of a plausible next line.
    let next = lines[8].replace(r#""seq":9"#, r#""seq":11"#);
    let torn = &next.as_bytes()[..next.len() / 2];
    let mut bytes = intact.clone();
    bytes.extend_from_slice(torn);
    std::fs::write(&path, &bytes).expect("write ledger");

    // audit verify reads only: exit 0, the torn tail reported, the file unchanged.
    let report = verify_ok(&copy.home);
    assert_eq!(report["entries"], 10);
    assert_eq!(report["torn_tail_bytes"], torn.len());
    let text = verify_cmd(&copy.home).code(0).get_output().stdout.clone();
    let text = String::from_utf8_lossy(&text);
    assert!(text.contains("ledger OK: 10 entries"), "{text}");
    assert!(
        text.contains(&format!("torn ({} bytes)", torn.len())),
        "{text}"
    );
    assert_eq!(
        std::fs::read(&path).expect("read"),
        bytes,
        "audit verify changed the file"
    );

    // status only reads (issue 10, item 10): it says so and leaves the file alone.
    let output = airlock()
        .arg("--home")
        .arg(&copy.home)
        .arg("status")
        .assert()
        .code(0);
    let stderr = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
    assert!(
        stderr.contains(&format!(
            "warning: the ledger's last line is torn ({} bytes",
            torn.len()
        )),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&path).expect("read"),
        bytes,
        "a reader repairs nothing"
    );
    // The next writer repairs: the cut is recorded.
    let writer = airlock::ops::Session::open_existing(&copy.home, time::OffsetDateTime::now_utc())
        .expect("a writer opens the home");
    assert_eq!(writer.opened().repaired_bytes, Some(torn.len()));
    drop(writer);
    let repaired = std::fs::read(&path).expect("read ledger");
    assert!(
        repaired.starts_with(&intact),
        "the intact lines were changed"
    );
    assert!(
        repaired.ends_with(b"\n"),
        "the repaired ledger must end with a newline"
    );
    assert!(
        !repaired.windows(torn.len()).any(|window| window == torn),
        "the torn bytes are still in the ledger"
    );
    let entries = read_entries(&copy.home);
    assert_eq!(entries.len(), 11);
    let record = &entries[10];
    assert_eq!(record["kind"], "ledger.repaired");
    assert_eq!(record["seq"], 11);
    assert_eq!(record["prev"], head);
    assert_eq!(record["hash"], entry_hash(record).as_str());
    assert_eq!(record["payload"]["cut_bytes"], torn.len());
    assert_eq!(record["payload"]["cut_sha256"], sha256_hex(torn).as_str());
    let cut_start = record["payload"]["cut_start"].as_str().expect("cut_start");
    assert!(cut_start.starts_with(r#"{"seq":11,"time":"#), "{cut_start}");

    let report = verify_ok(&copy.home);
    assert_eq!(report["entries"], 11);
    assert_eq!(report["torn_tail_bytes"], 0);
    assert_eq!(report["unsealed_entries"], 1);
    assert_eq!(report["head"], record["hash"]);

    // A second open has nothing to repair.
    let output = airlock()
        .arg("--home")
        .arg(&copy.home)
        .arg("status")
        .assert()
        .code(0);
    let stderr = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
    assert!(!stderr.contains("torn"), "{stderr}");
    assert_eq!(std::fs::read(&path).expect("read ledger"), repaired);
}

/// A torn tail behind a tampered line is not repaired: opening verifies the complete
/// lines first, refuses naming the bad line, and leaves the file exactly as it was.
#[test]
fn torn_tail_behind_tampering_is_not_repaired() {
    let copy = copy_of_template();
    let path = ledger_path(&copy.home);
    let mut lines = read_lines(&copy.home);
    lines[4] = lines[4].replace(r#""user":"bob""#, r#""user":"bobby""#);
    write_lines(&copy.home, &lines);
    let mut bytes = std::fs::read(&path).expect("read ledger");
    bytes.extend_from_slice(br#"{"seq":10,"time":"2026"#);
    std::fs::write(&path, &bytes).expect("write ledger");
    assert_rejected(&copy.home, 5, "content was altered");
    let output = airlock()
        .arg("--home")
        .arg(&copy.home)
        .arg("status")
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
    assert!(stderr.contains("ledger line 5: "), "{stderr}");
    assert_eq!(
        std::fs::read(&path).expect("read ledger"),
        bytes,
        "the file was changed"
    );
}

// ---------------------------------------------------------------------------------------
// More ways to tamper, each caught on its line with its reason.
// ---------------------------------------------------------------------------------------

/// A line that is not JSON at all (line 6 replaced by text).
#[test]
fn line_that_is_not_json_names_its_line() {
    let copy = copy_of_template();
    let mut lines = read_lines(&copy.home);
    lines[5] = "this is not a ledger entry".to_owned();
    write_lines(&copy.home, &lines);
    assert_rejected(&copy.home, 6, "not a ledger entry");
}

/// An empty line inserted in the middle (before line 5) is line 5, and is not an entry.
#[test]
fn inserted_empty_line_names_its_line() {
    let copy = copy_of_template();
    let mut lines = read_lines(&copy.home);
    lines.insert(4, String::new());
    write_lines(&copy.home, &lines);
    assert_rejected(&copy.home, 5, "not a ledger entry");
}

/// A wrong sequence number, with the line's own hash recomputed so that only the number
/// is wrong: caught on that line as a sequence error.
#[test]
fn wrong_sequence_number_names_its_line() {
    let copy = copy_of_template();
    let mut entries = read_entries(&copy.home);
    entries[5]["seq"] = json!(42);
    rehash(&mut entries, 5);
    write_entries(&copy.home, &entries);
    assert_rejected(&copy.home, 6, "sequence number is 42, expected 6");
}

/// The `hash` field edited alone (set to the hash of other content).
#[test]
fn edited_hash_field_names_its_line() {
    let copy = copy_of_template();
    let mut entries = read_entries(&copy.home);
    entries[4]["hash"] = json!(sha256_hex(b"something else"));
    write_entries(&copy.home, &entries);
    assert_rejected(&copy.home, 5, "content was altered");
}

/// A `prev` pointing elsewhere, with the line's hash recomputed: the chain is broken
/// there.
#[test]
fn broken_link_names_its_line() {
    let copy = copy_of_template();
    let mut entries = read_entries(&copy.home);
    entries[5]["prev"] = entries[3]["hash"].clone();
    rehash(&mut entries, 5);
    write_entries(&copy.home, &entries);
    assert_rejected(&copy.home, 6, "chain is broken");
}

/// A change that JSON does not care about (a space after a colon) leaves the content and
/// hash alone but is still caught: a line must be byte-for-byte airlock's serialization.
#[test]
fn non_canonical_bytes_name_their_line() {
    let copy = copy_of_template();
    let mut lines = read_lines(&copy.home);
    lines[8] = lines[8].replacen(r#""kind":"#, r#""kind": "#, 1);
    write_lines(&copy.home, &lines);
    assert_rejected(&copy.home, 9, "not in canonical form");
}

/// A seal whose `head` is not the line before it (with its hash recomputed and the next
/// lines re-linked) is caught on the seal's line.
#[test]
fn seal_of_another_head_names_its_line() {
    let copy = copy_of_template();
    let mut entries = read_entries(&copy.home);
    entries[6]["payload"]["head"] = entries[4]["hash"].clone();
    rehash(&mut entries, 6);
    let sealed = entries[6]["hash"].clone();
    entries[7]["prev"] = sealed;
    relink_from(&mut entries, 7);
    write_entries(&copy.home, &entries);
    let stderr = assert_rejected(&copy.home, 7, "seal does not verify");
    assert!(stderr.contains("it seals head"), "{stderr}");
}

/// A seal's signature replaced by another valid seal's signature (of the same CA, over
/// another head) does not verify.
#[test]
fn transplanted_seal_signature_names_its_line() {
    let copy = copy_of_template();
    let mut entries = read_entries(&copy.home);
    entries[9]["payload"]["signature"] = entries[6]["payload"]["signature"].clone();
    rehash(&mut entries, 9);
    write_entries(&copy.home, &entries);
    assert_rejected(&copy.home, 10, "seal does not verify");
}

/// Removing whole entries at the end is not an error in itself (the module doc says it
/// is only caught against a head kept elsewhere), but the head `audit verify` reports
/// changes, so an officer comparing heads sees it.
#[test]
fn truncated_ledger_changes_the_reported_head() {
    let copy = copy_of_template();
    let original_head = verify_ok(&copy.home)["head"].clone();
    let mut lines = read_lines(&copy.home);
    lines.truncate(6);
    write_lines(&copy.home, &lines);
    let report = verify_ok(&copy.home);
    assert_eq!(report["entries"], 6);
    assert_ne!(report["head"], original_head);
}

/// A forger who rewrites history AND strips the seals after it (renumbering the lines
/// and relinking the chain) gets a ledger that verifies, as the module doc says of
/// entries after the last seal; but it cannot hide that: every rewritten entry is
/// reported as not covered by a seal, and the head changes.
#[test]
fn stripped_seals_leave_rewritten_entries_unsealed() {
    let copy = copy_of_template();
    let original_head = verify_ok(&copy.home)["head"].clone();
    let mut entries = read_entries(&copy.home);
    entries[3]["payload"]["user"] = json!("mallory");
    entries.retain(|entry| entry["kind"] != "ledger.sealed" || entry["seq"] == 3);
    for (index, entry) in entries.iter_mut().enumerate() {
        entry["seq"] = json!(index + 1);
    }
    relink_from(&mut entries, 3);
    write_entries(&copy.home, &entries);
    let report = verify_ok(&copy.home);
    assert_eq!(report["entries"], 8);
    assert_eq!(report["seals"], 1);
    assert_eq!(report["last_seal_line"], 3);
    assert_eq!(report["unsealed_entries"], 5);
    assert_ne!(report["head"], original_head);
    let text = verify_cmd(&copy.home).code(0).get_output().stdout.clone();
    let text = String::from_utf8_lossy(&text);
    assert!(
        text.contains("5 entries after the last seal are covered by the hash chain only"),
        "{text}"
    );
}

/// `audit show` reads only, like `audit verify`: a torn last line (which `audit verify`
/// reports as benign and the next command repairs) must not make it fail; it shows the
/// complete entries.
///
/// BUG (src/ledger.rs, `read_entries`): it splits the whole file on newlines and parses
/// the torn fragment after the last newline as a line, so `audit show` exits 1 with
/// "ledger line 10: not a ledger entry: EOF while parsing ..." and the hint "the ledger
/// failed verification ... run 'airlock audit verify'", which then says "ledger OK".
#[test]
fn audit_show_tolerates_a_torn_tail() {
    let copy = copy_of_template();
    let path = ledger_path(&copy.home);
    let mut bytes = std::fs::read(&path).expect("read ledger");
    bytes.extend_from_slice(br#"{"seq":10,"time":"2026"#);
    std::fs::write(&path, &bytes).expect("write ledger");
    verify_cmd(&copy.home).code(0);
    let output = airlock()
        .arg("--home")
        .arg(&copy.home)
        .args(["--json", "audit", "show"])
        .output()
        .expect("run airlock");
    assert!(
        output.status.success(),
        "BUG: `audit show` fails on a torn tail that `audit verify` accepts (read_entries \
         parses the bytes after the last newline as a line); stderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let shown: Vec<Value> = serde_json::from_slice(&output.stdout).expect("JSON");
    let kinds: Vec<&str> = shown
        .iter()
        .map(|entry| entry["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, TEMPLATE_KINDS);
    assert_eq!(
        std::fs::read(&path).expect("read ledger"),
        bytes,
        "show changed the file"
    );
}

/// `audit verify` of a home that does not exist (a mistyped `--home`) must not report
/// "ledger OK" nor create the folder: its doc says it writes nothing, and a green result
/// for a ledger that is not there is false assurance.
///
/// BUG (src/ops/audit.rs, `audit_verify` and `audit_show`): they call `Home::open`, which
/// creates the folder (mode 0700) and its `lock` file, and `verify_file` treats a missing
/// ledger as empty, so the command prints "ledger OK: 0 entries" and exits 0.
#[test]
fn audit_verify_of_a_missing_home_fails_and_creates_nothing() {
    let dir = TempDir::new().expect("temp dir");
    let missing = dir.path().join("no-such-home");
    let output = airlock()
        .arg("--home")
        .arg(&missing)
        .args(["audit", "verify"])
        .output()
        .expect("run airlock");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let created = missing.exists();
    assert!(
        output.status.code() == Some(1) && !stdout.contains("ledger OK") && !created,
        "BUG: `audit verify` on a missing home exits {:?}, prints {stdout:?}, and {} the \
         folder (Home::open creates it; verify_file reads a missing ledger as empty)",
        output.status.code(),
        if created {
            "creates"
        } else {
            "does not create"
        }
    );
}

// ---------------------------------------------------------------------------------------
// Commands refuse a tampered ledger.
// ---------------------------------------------------------------------------------------

/// `status` and `sign` refuse to work on a tampered ledger: exit 1 naming the line, a
/// hint to run `audit verify`, nothing written to the ledger and no certificate issued.
#[test]
fn commands_refuse_a_tampered_ledger() {
    let copy = copy_of_template();
    let mut lines = read_lines(&copy.home);
    lines[3] = lines[3].replace(r#""user":"alice""#, r#""user":"alicf""#);
    write_lines(&copy.home, &lines);
    let tampered = std::fs::read(ledger_path(&copy.home)).expect("read ledger");

    let output = airlock()
        .arg("--home")
        .arg(&copy.home)
        .arg("status")
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
    assert!(
        stderr.contains("ledger line 4: content was altered"),
        "{stderr}"
    );
    assert!(stderr.contains("audit verify"), "{stderr}");

    let keys = copy.dir.path().join("keys");
    let intake = copy.dir.path().join("intake");
    let out = copy.dir.path().join("out");
    std::fs::create_dir_all(&keys).expect("keys dir");
    std::fs::create_dir_all(&intake).expect("intake dir");
    let csr = openssl_csr(&keys, "dave", &["-algorithm", "ED25519"], "/O=dev/CN=dave");
    std::fs::rename(&csr, intake.join("dave.csr")).expect("move CSR");
    let output = airlock()
        .arg("--home")
        .arg(&copy.home)
        .arg("--passphrase-file")
        .arg(&copy.pass)
        .arg("sign")
        .arg("--yes")
        .arg(&intake)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
    assert!(
        stderr.contains("ledger line 4: content was altered"),
        "{stderr}"
    );
    assert!(!out.join("dave.crt").exists(), "a certificate was issued");
    assert_eq!(
        std::fs::read(ledger_path(&copy.home)).expect("read ledger"),
        tampered,
        "a command wrote to a tampered ledger"
    );
}

// ---------------------------------------------------------------------------------------
// Scale.
// ---------------------------------------------------------------------------------------

/// A clean ledger of 10,000 entries, written through the library in one commit, verifies
/// with `audit verify` (a home needs no CA for that) and reopens with the same head.
/// No timing is asserted here; timings belong in benchmarks.
#[test]
fn ledger_of_10000_entries_verifies() {
    const COUNT: u64 = 10_000;
    let dir = TempDir::new().expect("temp dir");
    let home = dir.path().join("home");
    std::fs::create_dir(&home).expect("home dir");
    let path = ledger_path(&home);
    let now = time::macros::datetime!(2026-01-01 0:00 UTC);
    let (mut ledger, mut state, report) =
        airlock::ledger::Ledger::open(&path, now).expect("open an empty ledger");
    assert!(report.repaired_bytes.is_none());
    for number in 0..COUNT {
        let payload = json!({
            "batch": format!("{number:04x}"),
            "signed": 1,
            "rejected": 0,
        });
        ledger
            .append(&mut state, now, airlock::state::KIND_BATCH_SIGNED, payload)
            .expect("append");
    }
    ledger.commit().expect("commit");
    let head = ledger.head().to_owned();
    drop(ledger);

    let report = verify_ok(&home);
    assert_eq!(report["entries"], COUNT);
    assert_eq!(report["seals"], 0);
    assert_eq!(report["unsealed_entries"], COUNT);
    assert_eq!(report["torn_tail_bytes"], 0);
    assert_eq!(report["head"], head.as_str());

    // The last line is as documented, checked independently.
    let text = std::fs::read_to_string(&path).expect("read ledger");
    let last: Value = serde_json::from_str(text.lines().last().expect("a line")).expect("JSON");
    assert_eq!(last["seq"], COUNT);
    assert_eq!(last["hash"], entry_hash(&last).as_str());
    assert_eq!(last["hash"], head.as_str());
}
