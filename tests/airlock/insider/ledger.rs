//! Insider attacks on the ledger: forged entries, forged CAs and seals, a rewritten
//! history, a swapped `ca.crt`, an edited policy, history running backwards, and a key
//! destruction cut short by a crash. The insider can write every file of the home but
//! holds no CA key and does not know the passphrase.

use std::path::{Path, PathBuf};

use airlock::ledger::Entry;
use serde_json::{Value, json};

#[allow(unused_imports)]
use crate::support::*;

/// A home with one CA and one signed certificate for `alice`.
#[allow(clippy::struct_field_names)]
struct Home {
    dir: tempfile::TempDir,
    home: PathBuf,
    pass: PathBuf,
}

impl Home {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (home, pass) = init_home(dir.path(), "ecdsa-p256");
        let home = Self { dir, home, pass };
        home.sign("first", "/O=dev/CN=alice").success();
        home
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Signs one CSR for `subject` from folder `name` into `name-out`.
    fn sign(&self, name: &str, subject: &str) -> assert_cmd::assert::Assert {
        let intake = self.path(name);
        std::fs::create_dir_all(&intake).expect("intake");
        openssl_csr(
            &intake,
            "req",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            subject,
        );
        // The key stays beside the CSR only in the test folder, not in the intake.
        std::fs::rename(intake.join("req.key"), self.path(&format!("{name}.key")))
            .expect("move key");
        self.run(&[
            "sign",
            "--yes",
            intake.to_str().expect("utf-8"),
            "--out",
            self.path(&format!("{name}-out")).to_str().expect("utf-8"),
        ])
    }

    /// Runs airlock on this home with the passphrase file.
    fn run(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        airlock()
            .arg("--home")
            .arg(&self.home)
            .arg("--passphrase-file")
            .arg(&self.pass)
            .args(args)
            .assert()
    }

    fn ledger(&self) -> PathBuf {
        self.home.join("ledger.jsonl")
    }

    fn entries(&self) -> Vec<Entry> {
        std::fs::read_to_string(self.ledger())
            .expect("ledger")
            .lines()
            .map(|line| serde_json::from_str(line).expect("entry"))
            .collect()
    }

    /// Appends an entry as the insider does: correctly chained and hashed, unsigned.
    fn forge(&self, kind: &str, payload: Value) -> u64 {
        let entries = self.entries();
        let last = entries.last().expect("a ledger");
        let mut entry = Entry {
            seq: last.seq + 1,
            time: last.time.clone(),
            kind: kind.to_owned(),
            payload,
            prev: last.hash.clone(),
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        let mut text = std::fs::read_to_string(self.ledger()).expect("ledger");
        text.push_str(&serde_json::to_string(&entry).expect("json"));
        text.push('\n');
        std::fs::write(self.ledger(), text).expect("write ledger");
        entry.seq
    }

    fn ca_id(&self) -> String {
        let entries = self.entries();
        entries[0].payload["ca"].as_str().expect("ca id").to_owned()
    }

    fn stderr(assert: &assert_cmd::assert::Assert) -> String {
        String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
    }
}

/// The insider's own CA: a self-signed P-256 certificate and its key, made with openssl.
fn insider_ca(dir: &Path) -> (PathBuf, String) {
    let key = dir.join("insider-ca.key");
    let cert = dir.join("insider-ca.crt");
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        key.to_str().expect("utf-8"),
    ]);
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        key.to_str().expect("utf-8"),
        "-subj",
        "/CN=test-ca",
        "-days",
        "30",
        "-out",
        cert.to_str().expect("utf-8"),
    ]);
    (key, std::fs::read_to_string(cert).expect("cert"))
}

/// The insider's signature over `message` with their own key, hex (openssl, ECDSA DER).
fn insider_sign(dir: &Path, key: &Path, message: &[u8]) -> String {
    let file = dir.join("message");
    let signature = dir.join("signature");
    std::fs::write(&file, message).expect("message");
    openssl(&[
        "dgst",
        "-sha256",
        "-sign",
        key.to_str().expect("utf-8"),
        "-out",
        signature.to_str().expect("utf-8"),
        file.to_str().expect("utf-8"),
    ]);
    airlock::hex::encode(&std::fs::read(signature).expect("signature"))
}

fn fingerprint(pem_text: &str) -> String {
    let der = pem::parse(pem_text).expect("pem").into_contents();
    airlock::hex::sha256(&der)
}

fn ca_added(cert: &str) -> Value {
    let fingerprint = fingerprint(cert);
    json!({
        "ca": &fingerprint[..16],
        "cert": cert,
        "key_file": format!("cas/{}/ca.key.age", &fingerprint[..16]),
        "fingerprint": fingerprint,
        "protection": "age-scrypt (work factor 14)",
    })
}

/// Attack (finding 1): an appended, re-chained `cert.issued` entry for the insider's key
/// is not re-signed by the next renewal. The renewal refuses before asking for the
/// passphrase, naming the unsealed line, and writes nothing; even once an officer accepts
/// the entries, the forged entry's certificate does not verify under the CA and is
/// refused by serial.
#[test]
fn forged_issuance_entry_is_not_renewed() {
    let home = Home::new();
    let real = home
        .entries()
        .into_iter()
        .find(|entry| entry.kind == "cert.issued")
        .expect("alice's entry");
    let mut forged = real.payload.clone();
    forged["serial"] = json!("7f00000000000000000000000000000a");
    forged["user"] = json!("mallory");
    forged["groups"] = json!(["admins"]);
    forged["csr_sha256"] = json!("ab".repeat(32));
    let line = home.forge("cert.issued", forged);
    let before = std::fs::read(home.ledger()).expect("ledger");

    let out = home.path("renewed");
    let out_arg = out.to_str().expect("utf-8");
    let refused = home
        .run(&["renew", "--expiring-within", "1000", "--out", out_arg])
        .code(1);
    let message = Home::stderr(&refused);
    assert!(message.contains("no key vouches for"), "{message}");
    assert!(message.contains(&format!("line {line}")), "{message}");
    assert!(!out.join("mallory.crt").exists());
    assert_eq!(
        std::fs::read(home.ledger()).expect("ledger"),
        before,
        "nothing recorded"
    );

    // Accepted by an officer: alice's real certificate is renewed, the forged entry is
    // refused by serial because its certificate is not the one it describes.
    let accepted = home
        .run(&[
            "--accept-unsealed",
            "seen by the officer",
            "renew",
            "--expiring-within",
            "1000",
            "--out",
            out_arg,
        ])
        .code(3);
    let report = String::from_utf8_lossy(&accepted.get_output().stdout).into_owned();
    assert!(
        report.contains("7f00000000000000000000000000000a"),
        "{report}"
    );
    assert!(
        report.contains("does not match its certificate"),
        "{report}"
    );
    let issued_to_mallory = home
        .entries()
        .iter()
        .filter(|entry| entry.kind == "cert.issued" && entry.payload["user"] == "mallory")
        .count();
    assert_eq!(
        issued_to_mallory, 1,
        "only the forged entry; nothing signed for it"
    );
}

/// Attack (finding 2): a `ca.renewed` naming the insider's own CA, followed by a seal the
/// insider makes with that CA's key. Replay refuses the renewal (it changes the key), so
/// `audit verify` fails on that line and `bundle` never holds the insider's CA.
#[test]
fn forged_ca_renewal_and_seal_are_refused() {
    let home = Home::new();
    let (key, cert) = insider_ca(home.dir.path());
    let line = home.forge(
        "ca.renewed",
        json!({ "previous": home.ca_id(), "ca": ca_added(&cert) }),
    );
    let head = home.entries().last().expect("entry").hash.clone();
    let mut message = b"airlock ledger seal v1\n".to_vec();
    message.extend_from_slice(head.as_bytes());
    let signature = insider_sign(home.dir.path(), &key, &message);
    home.forge(
        "ledger.sealed",
        json!({ "ca": &fingerprint(&cert)[..16], "head": head, "signature": signature }),
    );

    let verify = home.run(&["audit", "verify"]).failure();
    let text = Home::stderr(&verify);
    assert!(text.contains(&format!("ledger line {line}")), "{text}");
    assert!(text.contains("changes the CA key"), "{text}");
    let bundle = home.path("bundle.crt");
    home.run(&["bundle", "--out", bundle.to_str().expect("utf-8")])
        .failure();
    assert!(
        !bundle.exists(),
        "no bundle from a ledger that does not verify"
    );
}

/// Attack (finding 2): a `rotation.begun` bringing in the insider's CA. Without the
/// active CA's signature over the new certificate (the introduction) replay refuses it,
/// whatever the insider puts in its place.
#[test]
fn forged_rotation_without_introduction_is_refused() {
    let home = Home::new();
    let (key, cert) = insider_ca(home.dir.path());
    // The insider signs the introduction with their own key: it must not verify.
    let mut message = b"airlock ca introduction v1\n".to_vec();
    message.extend_from_slice(fingerprint(&cert).as_bytes());
    let introduction = insider_sign(home.dir.path(), &key, &message);
    let line = home.forge(
        "rotation.begun",
        json!({ "old": home.ca_id(), "ca": ca_added(&cert), "origin": "imported", "introduction": introduction }),
    );
    let verify = home.run(&["audit", "verify"]).failure();
    let text = Home::stderr(&verify);
    assert!(text.contains(&format!("ledger line {line}")), "{text}");
    assert!(
        text.contains("not introduced by the active CA's key"),
        "{text}"
    );
    home.run(&["status"]).failure();
}

/// Attack (finding 2, whole history): the insider builds a home of their own (their CA,
/// their passphrase) in place of the real one. Only a reference kept outside the home
/// tells: `audit verify --anchor` with the real first CA's fingerprint fails, and so does
/// `--head` with a head written down from the real ledger.
#[test]
fn rewritten_history_fails_against_the_anchor_and_head() {
    let real = Home::new();
    let status: Value = serde_json::from_slice(
        &real
            .run(&["--json", "status"])
            .success()
            .get_output()
            .stdout,
    )
    .expect("json");
    let anchor = status["ledger"]["anchor"]
        .as_str()
        .expect("anchor")
        .to_owned();
    let head = status["ledger"]["head"].as_str().expect("head").to_owned();
    real.run(&[
        "audit",
        "verify",
        "--anchor",
        &anchor,
        "--head",
        &head[..16],
    ])
    .success();
    // The same, written as on paper: SHA256: and colons.
    let colons: Vec<String> = anchor
        .as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair).to_uppercase())
        .collect();
    real.run(&[
        "audit",
        "verify",
        "--anchor",
        &format!("SHA256:{}", colons.join(":")),
    ])
    .success();

    let other = tempfile::tempdir().expect("temp dir");
    let (fake, _) = init_home(other.path(), "ecdsa-p256");
    let wrong = airlock()
        .arg("--home")
        .arg(&fake)
        .args(["audit", "verify", "--anchor", &anchor])
        .assert()
        .failure();
    assert!(
        Home::stderr(&wrong).contains("not the anchor"),
        "{}",
        Home::stderr(&wrong)
    );
    let lost = airlock()
        .arg("--home")
        .arg(&fake)
        .args(["audit", "verify", "--head", &head])
        .assert()
        .failure();
    assert!(
        Home::stderr(&lost).contains("is not in this ledger"),
        "{}",
        Home::stderr(&lost)
    );
}

/// Attack (finding 5): `cas/<id>/ca.crt` replaced by the insider's certificate. `status`
/// says it differs, and no act unlocks the CA while it does; nothing is signed.
#[test]
fn swapped_ca_certificate_is_noticed_and_blocks_signing() {
    let home = Home::new();
    let (_, cert) = insider_ca(home.dir.path());
    let file = home.home.join("cas").join(home.ca_id()).join("ca.crt");
    std::fs::write(&file, cert).expect("swap");
    let status = home.run(&["status"]).success();
    let text = String::from_utf8_lossy(&status.get_output().stdout).into_owned();
    assert!(text.contains("DIFFERS from the ledger"), "{text}");
    let refused = home.sign("second", "/CN=bob").failure();
    let message = Home::stderr(&refused);
    assert!(
        message.contains("is not the certificate the ledger records"),
        "{message}"
    );
    assert!(!home.path("second-out").join("req.crt").exists());
}

/// Attack (finding 6): an entry appended after the last seal is not sealed blindly by
/// the next act. `sign` refuses naming it; with an officer's acceptance it signs, and the
/// acceptance (line range, reason) is recorded and sealed; the next act needs none.
#[test]
fn unsealed_entries_need_an_officer_to_accept_them() {
    let home = Home::new();
    let line = home.forge("note", json!({ "what": "planted" }));
    let refused = home.sign("second", "/CN=bob").failure();
    let message = Home::stderr(&refused);
    assert!(message.contains(&format!("line {line}")), "{message}");
    assert!(message.contains("--accept-unsealed"), "{message}");
    assert!(!home.path("second-out").join("req.crt").exists());

    let intake = home.path("second");
    home.run(&[
        "--accept-unsealed",
        "the note was mine",
        "sign",
        "--yes",
        intake.to_str().expect("utf-8"),
        "--out",
        home.path("second-out").to_str().expect("utf-8"),
    ])
    .success();
    assert!(home.path("second-out").join("req.crt").exists());
    let entries = home.entries();
    let accepted = entries
        .iter()
        .find(|entry| entry.kind == "ledger.accepted")
        .expect("acceptance recorded");
    assert_eq!(accepted.payload["first_line"], json!(line));
    assert_eq!(accepted.payload["last_line"], json!(line));
    assert_eq!(accepted.payload["reason"], json!("the note was mine"));
    assert_eq!(entries.last().expect("entry").kind, "ledger.sealed");
    home.sign("third", "/CN=carol").success();
}

/// Attack (finding 6): an entry dated before the one it follows. Times never run
/// backwards: verification names the line.
#[test]
fn history_running_backwards_is_refused() {
    let home = Home::new();
    let entries = home.entries();
    let last = entries.last().expect("entry");
    let mut entry = Entry {
        seq: last.seq + 1,
        time: "2020-01-01T00:00:00Z".to_owned(),
        kind: "note".to_owned(),
        payload: json!({}),
        prev: last.hash.clone(),
        hash: String::new(),
    };
    entry.hash = entry.compute_hash();
    let mut text = std::fs::read_to_string(home.ledger()).expect("ledger");
    text.push_str(&serde_json::to_string(&entry).expect("json"));
    text.push('\n');
    std::fs::write(home.ledger(), text).expect("write");
    let verify = home.run(&["audit", "verify"]).failure();
    let message = Home::stderr(&verify);
    assert!(
        message.contains(&format!("ledger line {}", entry.seq)),
        "{message}"
    );
    assert!(message.contains("never run backwards"), "{message}");
}

/// Attack (finding 3): an edited `airlock.toml` does not take effect by itself. The
/// recorded policy stays in force (a longer lifetime is not granted) and every command
/// warns with the difference, until an officer accepts it with the key.
#[test]
fn edited_policy_is_not_in_force_until_accepted() {
    let home = Home::new();
    let config = home.home.join("airlock.toml");
    let text = std::fs::read_to_string(&config).expect("policy");
    assert!(
        text.contains("max_days = 90\n"),
        "the template names the human profile's 90 days"
    );
    std::fs::write(
        &config,
        text.replacen("max_days = 90\n", "max_days = 365\n", 1),
    )
    .expect("edit");

    let review = home
        .run(&["review", home.path("first").to_str().expect("utf-8")])
        .success();
    let warning = Home::stderr(&review);
    assert!(
        warning.contains("differs from the policy in force"),
        "{warning}"
    );
    assert!(warning.contains("90 -> 365"), "{warning}");

    let intake = home.path("second");
    home.sign("second", "/CN=bob").success();
    let bob = home
        .entries()
        .into_iter()
        .rev()
        .find(|entry| entry.kind == "cert.issued")
        .expect("bob");
    let days = |entry: &Entry| {
        let parse = |field: &str| {
            time::OffsetDateTime::parse(
                entry.payload[field].as_str().expect("time"),
                &time::format_description::well_known::Rfc3339,
            )
            .expect("rfc 3339")
        };
        (parse("not_after") - parse("not_before")).whole_days()
    };
    assert!(
        days(&bob) <= 91,
        "the recorded 90 days stay in force, not the edited 365"
    );
    drop(intake);

    home.run(&["policy", "accept", "--yes"]).success();
    let recorded = home
        .entries()
        .into_iter()
        .rev()
        .find(|entry| entry.kind == "policy.changed")
        .expect("policy.changed");
    assert!(
        recorded.payload["differences"]
            .to_string()
            .contains("90 -> 365"),
        "{}",
        recorded.payload
    );
    assert_eq!(home.entries().last().expect("entry").kind, "ledger.sealed");
    home.run(&["review", home.path("first").to_str().expect("utf-8")])
        .success();
    let calm = home.run(&["status"]).success();
    assert!(
        !Home::stderr(&calm).contains("differs"),
        "{}",
        Home::stderr(&calm)
    );
}

/// Crash (finding 10): `rotate finish --destroy-old-key` is killed after the ledger says
/// the key is to be destroyed and before the file is removed. The next open of the home
/// completes the destruction (the file goes, `key.destroyed` is recorded): a key the
/// ledger calls destroyed never stays on disk. The path comes from the CA id, never from
/// a ledger string.
#[test]
fn key_destruction_cut_short_is_completed_on_next_open() {
    let home = Home::new();
    let old_id = home.ca_id();
    let old_key = home.home.join("cas").join(&old_id).join("ca.key.age");
    let kept = std::fs::read(&old_key).expect("old key");
    home.run(&[
        "rotate",
        "begin",
        "--yes",
        "--cn",
        "new-ca",
        "--scrypt-work-factor",
        "14",
    ])
    .success();
    home.run(&[
        "rotate",
        "reissue",
        "--yes",
        "--out",
        home.path("re").to_str().expect("utf-8"),
    ])
    .success();
    home.run(&[
        "rotate",
        "finish",
        "--yes",
        "--destroy-old-key",
        "--confirm-destroy",
        "test-ca",
    ])
    .success();
    assert!(!old_key.exists());
    let entries = home.entries();
    let done = entries
        .iter()
        .position(|entry| entry.kind == "key.destroyed")
        .expect("key.destroyed recorded");
    assert_eq!(entries[done].payload["cas"], json!([old_id]));
    assert_eq!(
        entries[done].payload["completed_after_interruption"],
        json!(false)
    );

    // The crash: the ledger as it was right after the finish commit, the key still there.
    let text = std::fs::read_to_string(home.ledger()).expect("ledger");
    let kept_lines: Vec<&str> = text.lines().take(done).collect();
    std::fs::write(home.ledger(), format!("{}\n", kept_lines.join("\n"))).expect("cut");
    std::fs::write(&old_key, &kept).expect("key back");

    // A reader finishes nothing (issue 10, item 10); the next writer does.
    home.run(&["status"]).success();
    assert!(old_key.exists(), "a reader deletes nothing");
    drop(
        airlock::ops::Session::open_existing(&home.home, time::OffsetDateTime::now_utc())
            .expect("a writer opens the home"),
    );
    assert!(
        !old_key.exists(),
        "the next open removed the key the ledger calls destroyed"
    );
    let completed = home
        .entries()
        .into_iter()
        .find(|entry| entry.kind == "key.destroyed")
        .expect("completion recorded");
    assert_eq!(
        completed.payload["completed_after_interruption"],
        json!(true)
    );
    home.run(&["audit", "verify"]).success();
}

/// Finding 7, after a rotation: revoking the old CA's certificate of a stolen key also
/// revokes its reissued twin from the new CA (same key). Otherwise the thief keeps a
/// certificate the bundle trusts after `rotate finish`.
#[test]
fn revoking_a_key_revokes_its_rotation_twin() {
    let home = Home::new();
    home.run(&[
        "rotate",
        "begin",
        "--yes",
        "--cn",
        "new-ca",
        "--scrypt-work-factor",
        "14",
    ])
    .success();
    home.run(&[
        "rotate",
        "reissue",
        "--yes",
        "--out",
        home.path("re").to_str().expect("utf-8"),
    ])
    .success();
    let issued: Vec<Entry> = home
        .entries()
        .into_iter()
        .filter(|entry| entry.kind == "cert.issued")
        .collect();
    assert_eq!(issued.len(), 2, "alice and her twin");
    let old_serial = issued[0].payload["serial"]
        .as_str()
        .expect("serial")
        .to_owned();
    let twin_serial = issued[1].payload["serial"]
        .as_str()
        .expect("serial")
        .to_owned();
    home.run(&[
        "revoke",
        "--yes",
        "--serial",
        &old_serial,
        "--reason",
        "keyCompromise: laptop stolen",
        "--out",
        home.path("revoked").to_str().expect("utf-8"),
    ])
    .success();
    let revoked: Vec<String> = home
        .entries()
        .into_iter()
        .filter(|entry| entry.kind == "cert.revoked")
        .map(|entry| entry.payload["serial"].as_str().expect("serial").to_owned())
        .collect();
    assert!(revoked.contains(&old_serial), "{revoked:?}");
    assert!(
        revoked.contains(&twin_serial),
        "the twin over the same key: {revoked:?}"
    );
}

/// Finding 10: the CLI pins the batch that was reviewed. A CSR slipped into the intake
/// after `review` changes the batch digest; `sign --expect-digest` with the digest read
/// aloud at review refuses and signs nothing, and signs once the digest matches.
#[test]
fn sign_pins_the_reviewed_batch_by_its_digest() {
    let home = Home::new();
    let intake = home.path("pinned");
    std::fs::create_dir_all(&intake).expect("intake");
    let key_args = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
    for keys in ["keys-bob", "keys-mallory"] {
        std::fs::create_dir_all(home.path(keys)).expect("keys folder");
    }
    let bob = openssl_csr(&home.path("keys-bob"), "bob", &key_args, "/CN=bob");
    std::fs::rename(&bob, intake.join("bob.csr")).expect("move");
    let review = home
        .run(&["--json", "review", intake.to_str().expect("utf-8")])
        .success();
    let reviewed: Value = serde_json::from_slice(&review.get_output().stdout).expect("json");
    let digest = reviewed["digest"].as_str().expect("digest").to_owned();

    let mallory = openssl_csr(
        &home.path("keys-mallory"),
        "mallory",
        &key_args,
        "/CN=mallory",
    );
    std::fs::rename(&mallory, intake.join("mallory.csr")).expect("slip in");
    let out = home.path("pinned-out");
    let refused = home
        .run(&[
            "sign",
            "--yes",
            intake.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
            "--expect-digest",
            &digest,
        ])
        .failure();
    let message = Home::stderr(&refused);
    assert!(
        message.contains("changed since it was reviewed"),
        "{message}"
    );
    assert!(!out.join("bob.crt").exists() && !out.join("mallory.crt").exists());
    assert!(
        !home
            .entries()
            .iter()
            .any(|entry| entry.kind == "cert.issued" && entry.payload["user"] == "mallory"),
        "nothing signed"
    );

    std::fs::remove_file(intake.join("mallory.csr")).expect("remove");
    home.run(&[
        "sign",
        "--yes",
        intake.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "--expect-digest",
        &digest,
    ])
    .success();
    assert!(out.join("bob.crt").exists());
}

/// Attack (finding 4): during a rotation, the insider appends an unsealed
/// `rotation.finished` saying the old key is destroyed. The next command, even a
/// read-only `status`, must not delete the key on that word: only a destruction a seal
/// vouches for is completed. `status` warns that unvouched entries are shown.
#[test]
fn planted_destruction_deletes_no_key() {
    let home = Home::new();
    let old_id = home.ca_id();
    let old_key = home.home.join("cas").join(&old_id).join("ca.key.age");
    home.run(&[
        "rotate",
        "begin",
        "--yes",
        "--cn",
        "new-ca",
        "--scrypt-work-factor",
        "14",
    ])
    .success();
    let new_id = home
        .entries()
        .into_iter()
        .find(|entry| entry.kind == "rotation.begun")
        .expect("begun")
        .payload["ca"]["ca"]
        .as_str()
        .expect("id")
        .to_owned();
    home.forge(
        "rotation.finished",
        json!({
            "old": old_id,
            "new": new_id,
            "forced": true,
            "reason": "planted",
            "unreissued": [],
            "old_key": "destroyed",
        }),
    );
    let status = home.run(&["status"]).success();
    assert!(old_key.exists(), "a planted entry deleted the old key");
    let warning = Home::stderr(&status);
    assert!(warning.contains("no key vouches for"), "{warning}");
    assert!(
        !home
            .entries()
            .iter()
            .any(|entry| entry.kind == "key.destroyed"),
        "nothing recorded as destroyed"
    );
}

/// Attack (finding 3, through the ledger): the insider appends an unsealed
/// `policy.changed` (correctly chained and digested) that lifts `system:nodes` from the
/// forbidden groups. No key vouches for it, so it is not in force: `review` still
/// refuses the group, and `policy show` still names the sealed policy.
#[test]
fn planted_policy_record_is_not_in_force() {
    let home = Home::new();
    let recorded = home
        .entries()
        .into_iter()
        .find(|entry| entry.kind == "policy.changed")
        .expect("init records the policy");
    let mut policy = recorded.payload["policy"].clone();
    let groups = policy["names"]["forbidden_groups"]
        .as_array_mut()
        .expect("forbidden groups");
    groups.retain(|group| group != "system:nodes");
    let digest = airlock::hex::sha256(&serde_json::to_vec(&policy).expect("json"));
    home.forge(
        "policy.changed",
        json!({
            "digest": digest,
            "policy": policy,
            "previous": recorded.payload["digest"],
            "differences": ["names.forbidden_groups: 'system:nodes' removed"],
        }),
    );
    let intake = home.path("nodes");
    std::fs::create_dir_all(&intake).expect("intake");
    let keys = home.path("nodes-keys");
    std::fs::create_dir_all(&keys).expect("keys");
    let csr = openssl_csr(
        &keys,
        "node",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "/O=system:nodes/CN=eve",
    );
    std::fs::rename(&csr, intake.join("node.csr")).expect("move");
    let review = home
        .run(&["--json", "review", intake.to_str().expect("utf-8")])
        .code(3);
    let report: Value = serde_json::from_slice(&review.get_output().stdout).expect("json");
    assert_eq!(report["rejected"], 1, "{report:#}");
    assert!(
        report["items"][0]["reasons"]
            .to_string()
            .contains("system:nodes"),
        "{report:#}"
    );
    let shown = home.run(&["policy", "show"]).success();
    let text = String::from_utf8_lossy(&shown.get_output().stdout).into_owned();
    assert!(
        text.contains(recorded.payload["digest"].as_str().expect("digest")),
        "{text}"
    );
}

/// Attack (finding 1, the hand-back path): the insider appends an unsealed `cert.issued`
/// for a CSR already signed, carrying a certificate of their own. A re-run of that batch
/// signs nothing new, so it unlocks no key; it must still refuse before handing anything
/// back, because only the ledger says the certificate was issued.
#[test]
fn planted_issuance_is_not_handed_back() {
    let home = Home::new();
    let real = home
        .entries()
        .into_iter()
        .find(|entry| entry.kind == "cert.issued")
        .expect("alice's entry");
    let (_, insider_cert) = insider_ca(home.dir.path());
    let mut forged = real.payload.clone();
    forged["serial"] = json!("7f00000000000000000000000000000b");
    forged["cert"] = json!(insider_cert);
    let line = home.forge("cert.issued", forged);
    let out = home.path("rerun-out");
    let refused = home
        .run(&[
            "sign",
            home.path("first").to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
            "--yes",
        ])
        .failure();
    let message = Home::stderr(&refused);
    assert!(message.contains(&format!("line {line}")), "{message}");
    assert!(!out.exists(), "nothing handed back: {message}");
}
