//! Insider attacks: policy. Someone who hands in the USB stick, or writes to the home's
//! `airlock.toml`, tries to get an impersonation identity signed, to lift the
//! `system:masters` floor, to crash airlock with a configured value, or to have a key
//! signed again after its certificate was revoked. Each test asserts that nothing is
//! signed and that the officer is told why, naming the input.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::rotation::{Client, Lab, P256, path_str};
use crate::support::{files_below, openssl, openssl_csr};

/// Writes a CSR (fresh P-256 key) per `(stem, subject)` into a new intake folder.
fn intake(lab: &Lab, batch: &str, clients: &[(&str, &str)]) -> PathBuf {
    let folder = lab.path(batch);
    let keys = lab.path(&format!("{batch}-keys"));
    fs::create_dir_all(&folder).expect("intake folder");
    fs::create_dir_all(&keys).expect("keys folder");
    for (stem, subject) in clients {
        let csr = openssl_csr(&keys, stem, P256, subject);
        fs::copy(&csr, folder.join(format!("{stem}.csr"))).expect("copy CSR");
    }
    folder
}

/// A CSR for an existing private key, into `folder/<stem>.csr`.
fn csr_for_key(folder: &Path, stem: &str, key: &Path, subject: &str) {
    fs::create_dir_all(folder).expect("intake folder");
    openssl(&[
        "req",
        "-new",
        "-key",
        path_str(key),
        "-subj",
        subject,
        "-utf8",
        "-out",
        path_str(&folder.join(format!("{stem}.csr"))),
    ]);
}

/// Runs `--json ARGS`; the exit code and what was printed (stdout and stderr).
fn run_json(lab: &Lab, args: &[&str]) -> (Option<i32>, Value, String) {
    let mut full = vec!["--json"];
    full.extend_from_slice(args);
    let output: Output = lab.run(&full);
    let value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_ne!(output.status.code(), Some(101), "airlock panicked: {text}");
    (output.status.code(), value, text)
}

/// `review --json`: every item by its input name.
fn review(lab: &Lab, folder: &Path) -> Vec<Value> {
    let (code, value, text) = run_json(lab, &["review", path_str(folder)]);
    assert!(matches!(code, Some(0 | 3)), "review failed: {text}");
    value["items"].as_array().expect("review items").clone()
}

fn item<'a>(items: &'a [Value], input: &str) -> &'a Value {
    items
        .iter()
        .find(|item| item["input"] == input)
        .unwrap_or_else(|| panic!("'{input}' is in the review: {items:#?}"))
}

fn reasons(item: &Value) -> String {
    item["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(|reason| reason.as_str().expect("reason text"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts the item is rejected with a reason containing each of `expected`.
fn assert_rejected(items: &[Value], input: &str, expected: &[&str]) {
    let found = item(items, input);
    assert_eq!(found["verdict"], "rejected", "{input}: {found:#}");
    let text = reasons(found);
    for part in expected {
        assert!(
            text.contains(part),
            "{input}: expected '{part}' in:\n{text}"
        );
    }
}

/// The users of every `cert.issued` entry.
fn issued_users(lab: &Lab) -> Vec<String> {
    lab.entries_of("cert.issued")
        .iter()
        .map(|entry| entry["payload"]["user"].as_str().expect("user").to_owned())
        .collect()
}

/// Names of the files below `out` (empty when it does not exist).
fn file_names(out: &Path) -> Vec<String> {
    if !out.exists() {
        return Vec::new();
    }
    files_below(out)
        .iter()
        .map(|path| {
            path.file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// Whether a file name says certificate (`.crt` or `.pem`).
fn is_certificate_file(name: &str) -> bool {
    Path::new(name).extension().is_some_and(|extension| {
        extension.eq_ignore_ascii_case("crt") || extension.eq_ignore_ascii_case("pem")
    })
}

/// Issue 8 finding 8 (and issue 10 item 3): the default policy refuses identities that
/// impersonate the control plane or a service account, their look-alikes (case,
/// Cyrillic letters), too many groups and path-shaped user names, in `review` and in
/// `sign`, with a reason per item; only the honest request is signed.
#[test]
fn impersonation_requests_are_refused_and_nothing_is_signed() {
    let lab = Lab::new();
    let groups: Vec<String> = (0..21).map(|index| format!("/O=team-{index}")).collect();
    let many_groups = format!("{}/CN=bob", groups.join(""));
    let folder = intake(
        &lab,
        "impersonation",
        &[
            ("sa", "/CN=system:serviceaccount:kube-system:default"),
            ("kubeadm-admin", "/O=kubeadm:cluster-admins/CN=eve"),
            ("cyrillic", "/CN=\u{455}ystem:anonymous"),
            ("case", "/CN=SYSTEM:Kube-Scheduler"),
            ("kubelet-client", "/CN=kube-apiserver-kubelet-client"),
            ("apiserver", "/CN=system:apiserver"),
            (
                "bootstrap",
                "/O=system:bootstrappers:kubeadm:default-node-token/CN=node-x",
            ),
            ("sa-group", "/O=system:serviceaccounts/CN=carol"),
            ("path", "/CN=..\\/..\\/etc\\/cron.d\\/x"),
            ("option", "/CN=--all-namespaces"),
            ("many", &many_groups),
            ("alice", "/O=dev/CN=alice"),
        ],
    );
    let items = review(&lab, &folder);
    assert_rejected(
        &items,
        "sa.csr",
        &[
            "user names 'system:serviceaccount:*' are service accounts: a certificate for one carries that account's RBAC rights",
        ],
    );
    assert_rejected(
        &items,
        "kubeadm-admin.csr",
        &[
            "group 'kubeadm:cluster-admins' is forbidden",
            "cluster-admin on kubeadm clusters",
        ],
    );
    assert_rejected(
        &items,
        "cyrillic.csr",
        &[
            "user '\u{455}ystem:anonymous' looks like the forbidden user 'system:anonymous' (confusable characters: U+0455)",
        ],
    );
    assert_rejected(
        &items,
        "case.csr",
        &[
            "looks like the forbidden user 'system:kube-*' (it differs only in case or surrounding spaces)",
        ],
    );
    assert_rejected(
        &items,
        "kubelet-client.csr",
        &[
            "user 'kube-apiserver-kubelet-client' is forbidden",
            "control plane's own client certificates",
        ],
    );
    assert_rejected(&items, "apiserver.csr", &["kube-apiserver's own identity"]);
    assert_rejected(
        &items,
        "bootstrap.csr",
        &["auto-approved path to node credentials"],
    );
    assert_rejected(
        &items,
        "sa-group.csr",
        &["group 'system:serviceaccounts' is forbidden"],
    );
    assert_rejected(
        &items,
        "path.csr",
        &["holds '/' and a '..' segment: other tools build file names and command lines"],
    );
    assert_rejected(&items, "option.csr", &["holds a leading '-'"]);
    assert_rejected(
        &items,
        "many.csr",
        &["21 groups (O values) requested: the policy allows at most 20"],
    );
    assert_eq!(item(&items, "alice.csr")["verdict"], "accepted");

    let out = lab.path("impersonation-out");
    let (code, report, text) = run_json(
        &lab,
        &["sign", "--yes", path_str(&folder), "--out", path_str(&out)],
    );
    assert_eq!(
        code,
        Some(3),
        "sign exits 3 when items are rejected: {text}"
    );
    let issued: Vec<&str> = report["report"]["issued"]
        .as_array()
        .expect("issued")
        .iter()
        .map(|entry| entry["input"].as_str().expect("input"))
        .collect();
    assert_eq!(issued, ["alice.csr"]);
    assert_eq!(issued_users(&lab), ["alice"], "the ledger holds alice only");
    for name in file_names(&out) {
        assert!(
            name.starts_with("alice") || name.starts_with("report") || !name.contains('.'),
            "only alice's files and the report are written, found '{name}'"
        );
    }
    assert!(
        !file_names(&out).iter().any(|name| name.starts_with("sa")),
        "nothing for the service account"
    );
}

/// Asserts that signing `folder` signs nothing, and that the output mentions each of
/// `expected`; returns what was printed.
fn assert_signs_nothing(lab: &Lab, folder: &Path, out: &str, expected: &[&str]) -> String {
    let before = lab.entries_of("cert.issued").len();
    let out = lab.path(out);
    let (code, _, text) = run_json(
        lab,
        &["sign", "--yes", path_str(folder), "--out", path_str(&out)],
    );
    assert_ne!(code, Some(0), "sign must not succeed: {text}");
    for part in expected {
        assert!(text.contains(part), "expected '{part}' in:\n{text}");
    }
    assert_eq!(
        lab.entries_of("cert.issued").len(),
        before,
        "nothing is signed"
    );
    let names = file_names(&out);
    assert!(
        !names.iter().any(|name| is_certificate_file(name)),
        "no certificate is written: {names:?}"
    );
    text
}

/// Issue 8 finding 3: an insider removes `system:masters` from the forbidden groups in
/// `airlock.toml`. Until an officer accepts the file, the recorded policy refuses the
/// request and the officer is shown the removal; once the file is accepted (the insider
/// talked someone into it), the floor still refuses it, look-alikes included. Nothing is
/// signed.
#[test]
fn editing_the_policy_file_does_not_lift_system_masters() {
    let lab = Lab::new();
    let policy = lab.home.join("airlock.toml");
    let text = fs::read_to_string(&policy).expect("policy");
    let lifted = text.replace("    \"system:masters\",\n", "");
    assert_ne!(text, lifted, "the default policy lists system:masters");
    fs::write(&policy, lifted).expect("write policy");

    let folder = intake(
        &lab,
        "masters",
        &[
            ("root", "/O=system:masters/CN=root"),
            ("look-alike", "/O=\u{405}ystem:masters/CN=root2"),
        ],
    );
    assert_signs_nothing(
        &lab,
        &folder,
        "masters-out",
        &[
            "names.forbidden_groups: 'system:masters' removed",
            "group 'system:masters' is forbidden",
        ],
    );

    lab.ok(&["policy", "accept", "--yes"]);
    let floor = "airlock never signs it, whatever airlock.toml says";
    assert_signs_nothing(&lab, &folder, "masters-out-2", &[floor]);
    let items = review(&lab, &folder);
    assert_rejected(
        &items,
        "root.csr",
        &["group 'system:masters' is forbidden", floor],
    );
    assert_rejected(
        &items,
        "look-alike.csr",
        &["looks like the forbidden group 'system:masters' (confusable characters: U+0405)"],
    );
}

/// Issue 8 finding 10: `max_days = 3000000` crashed airlock (exit 101). Every value is
/// range-checked at load: no command panics, and the officer is told the key, the value
/// and the allowed range (the recorded policy stays in force meanwhile).
#[test]
fn out_of_range_policy_values_are_refused_not_crashed_on() {
    let lab = Lab::new();
    let folder = intake(&lab, "range", &[("alice", "/CN=alice")]);
    let policy = lab.home.join("airlock.toml");
    let text = fs::read_to_string(&policy).expect("policy");
    for (from, to, expected) in [
        (
            "max_days = 90",
            "max_days = 3000000",
            "'profiles.human.max_days' = 3000000 is out of range: allowed 1 to 3650",
        ),
        (
            "max_groups = 20",
            "max_groups = 100000",
            "'names.max_groups' = 100000 is out of range: allowed 0 to 256",
        ),
        (
            "rsa_min_bits = 2048",
            "rsa_min_bits = 99999999",
            "'keys.rsa_min_bits' = 99999999 is out of range: allowed 2048 to 8192",
        ),
    ] {
        let edited = text.replace(from, to);
        assert_ne!(text, edited, "'{from}' is in the default policy");
        fs::write(&policy, edited).expect("write policy");
        let out = lab.path("range-out");
        for args in [
            vec!["review", path_str(&folder)],
            vec!["sign", "--yes", path_str(&folder), "--out", path_str(&out)],
        ] {
            let (_, value, text) = run_json(&lab, &args);
            assert!(text.contains(expected), "{args:?}: {text}");
            // Whatever happens, nothing gets the out-of-range lifetime.
            if let Some(items) = value["items"].as_array() {
                assert!(item(items, "alice.csr")["lifetime_days"].as_i64() <= Some(90));
            }
        }
    }
    fs::write(&policy, &text).expect("restore policy");
    // The largest `--days` is capped by the profile, never overflowed.
    let items = review_with_days(&lab, &folder, "4294967295");
    assert_eq!(item(&items, "alice.csr")["lifetime_days"], 90);
}

fn review_with_days(lab: &Lab, folder: &Path, days: &str) -> Vec<Value> {
    let (code, value, text) = run_json(lab, &["review", path_str(folder), "--days", days]);
    assert!(matches!(code, Some(0 | 3)), "review failed: {text}");
    value["items"].as_array().expect("review items").clone()
}

/// A second CSR for the key of `client`, signed in its own batch; returns its serial.
fn sign_twin(lab: &Lab, client: &Client, subject: &str) -> String {
    let folder = lab.path("twin");
    csr_for_key(&folder, "twin", &client.key, subject);
    let out = lab.path("twin-out");
    let report = lab.json(&["sign", "--yes", path_str(&folder), "--out", path_str(&out)]);
    report["report"]["issued"][0]["serial"]
        .as_str()
        .expect("twin serial")
        .to_owned()
}

/// Issue 8 finding 7: a key whose certificate was revoked ("laptop stolen") is refused
/// on every path: a new CSR for it (review and sign), a re-run of the batch that first
/// signed it (its certificate is not handed back), renewal of another certificate over
/// the same key, and the rotation's reissue. Each refusal names the revoked serial, when,
/// and the recorded reason.
#[test]
fn a_revoked_key_is_refused_on_every_path() {
    let lab = Lab::new();
    let clients = lab.sign("first", &[("alice", "/O=dev/CN=alice"), ("bob", "/CN=bob")]);
    let (alice, bob) = (&clients[0], &clients[1]);
    let twin = sign_twin(&lab, alice, "/O=ops/CN=alice");
    lab.json(&[
        "revoke",
        "--yes",
        "--serial",
        &alice.serial,
        "--reason",
        "keyCompromise: laptop stolen",
        "--out",
        path_str(&lab.path("revocation")),
    ]);
    let expected = [
        format!(
            "this public key's certificate was revoked (serial {}",
            alice.serial
        ),
        "reason 'keyCompromise: laptop stolen'".to_owned(),
        "a revoked key is never signed again".to_owned(),
    ];
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    let before = lab.entries_of("cert.issued").len();

    // A new CSR for the stolen key, under another name.
    let again = lab.path("again");
    csr_for_key(
        &again,
        "alice-new-laptop",
        &alice.key,
        "/CN=alice-new-laptop",
    );
    let items = review(&lab, &again);
    assert_rejected(&items, "alice-new-laptop.csr", &expected);
    let out = lab.path("again-out");
    let (code, _, text) = run_json(
        &lab,
        &["sign", "--yes", path_str(&again), "--out", path_str(&out)],
    );
    assert_eq!(code, Some(3), "{text}");
    assert_eq!(
        lab.entries_of("cert.issued").len(),
        before,
        "nothing signed"
    );
    assert!(
        !file_names(&out)
            .iter()
            .any(|name| is_certificate_file(name))
    );

    // A re-run of the first batch: bob is handed back, alice's revoked certificate is not.
    let rerun = lab.path("first-rerun");
    let (code, report, text) = run_json(
        &lab,
        &[
            "sign",
            "--yes",
            path_str(&lab.path("first")),
            "--out",
            path_str(&rerun),
        ],
    );
    assert_eq!(code, Some(3), "{text}");
    assert_eq!(report["newly_signed"], 0, "{report:#}");
    let issued: Vec<&str> = report["report"]["issued"]
        .as_array()
        .expect("issued")
        .iter()
        .map(|entry| entry["input"].as_str().expect("input"))
        .collect();
    assert_eq!(issued, ["bob.csr"], "only bob is handed back: {report:#}");
    let alice_pem = fs::read(&alice.cert).expect("alice's certificate");
    for file in files_below(&rerun) {
        let bytes = fs::read(&file).expect("output file");
        assert!(
            !bytes
                .windows(alice_pem.len().min(200))
                .any(|window| window == &alice_pem[..alice_pem.len().min(200)]),
            "alice's revoked certificate was handed back in '{}'",
            file.display()
        );
    }
    assert!(
        rerun
            .join(bob.cert.file_name().expect("bob's file"))
            .exists()
    );
    assert_rejected(&review(&lab, &lab.path("first")), "alice.csr", &expected);

    // The twin certificate over the same key was revoked with it (a revocation takes the
    // key out of service), so renewing it is refused and signs nothing.
    assert!(
        lab.entries_of("cert.revoked")
            .iter()
            .any(|entry| entry["payload"]["serial"] == twin.as_str()),
        "the twin over the revoked key is revoked too"
    );
    let renew_out = lab.path("renew-out");
    let (code, _, text) = run_json(
        &lab,
        &["renew", "--serial", &twin, "--out", path_str(&renew_out)],
    );
    assert_ne!(
        code,
        Some(0),
        "renewal of a revoked key must not succeed: {text}"
    );
    assert!(text.contains("was revoked"), "renew: {text}");
    assert_eq!(
        lab.entries_of("cert.issued").len(),
        before,
        "nothing renewed"
    );

    // The rotation's reissue signs bob's twin, never the revoked key's.
    lab.begin();
    let reissue_out = lab.path("reissue-out");
    let (code, report, text) = run_json(
        &lab,
        &[
            "rotate",
            "reissue",
            "--yes",
            "--out",
            path_str(&reissue_out),
        ],
    );
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(report["newly_signed"], 1, "{report:#}");
    let users = issued_users(&lab);
    assert_eq!(users.len(), before + 1);
    assert_eq!(users.last().map(String::as_str), Some("bob"));
}
