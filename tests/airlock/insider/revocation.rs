//! Insider attacks: revocation and the RBAC snapshot.
//!
//! The revocation reason is what the ledger and the CRL say about why a certificate was
//! revoked: it must be one of RFC 5280's codes, carried into the CRL as the reasonCode
//! (read back here by openssl, not by airlock). The RBAC snapshot comes in on the media
//! like the CSRs: a binding in it that grants `cluster-admin` (by name or through a role
//! whose rules allow `*`) must be flagged at review in words, and a binding name made to
//! break out of a shell comment must never reach the revocation script as a command.

use std::fs;

use serde_json::Value;

use crate::rotation::{Lab, P256, path_str};
use crate::support::{openssl, openssl_csr};

/// The text of `openssl crl -text` for a CRL file.
fn crl_text(path: &std::path::Path) -> String {
    openssl(&["crl", "-in", path_str(path), "-noout", "-text"])
}

/// The lines of `openssl crl -text` from the entry of `serial` to the next entry.
fn crl_entry(listing: &str, serial: &str) -> String {
    let serial = serial.to_ascii_uppercase();
    let mut lines = listing.lines().skip_while(|line| !line.contains(&serial));
    let mut entry: Vec<&str> = lines.next().into_iter().collect();
    entry.extend(lines.take_while(|line| !line.contains("Serial Number:")));
    assert!(
        !entry.is_empty(),
        "serial {serial} not in the CRL:\n{listing}"
    );
    entry.join("\n")
}

/// Every accepted form of `--reason` (camelCase, kebab-case, any letter case, with and
/// without free text) is recorded as the camelCase RFC 5280 name in the ledger's `code`,
/// with the free text kept in `reason`; and the CRL that openssl reads carries each
/// entry's reasonCode, except `unspecified`, which RFC 5280 asks to leave out.
#[test]
fn each_form_of_reason_is_recorded_and_carried_into_the_crl() {
    let lab = Lab::new();
    let clients = lab.sign(
        "batch1",
        &[
            ("alice", "/CN=alice"),
            ("bob", "/CN=bob"),
            ("carol", "/CN=carol"),
            ("dave", "/CN=dave"),
            ("erin", "/CN=erin"),
        ],
    );
    let ca_id = lab.ca_id("active");
    let cases = [
        (
            "keyCompromise",
            "keyCompromise",
            "keyCompromise",
            "Key Compromise",
        ),
        (
            "key-compromise: laptop stolen",
            "keyCompromise",
            "laptop stolen",
            "Key Compromise",
        ),
        (
            "SUPERSEDED: renewed: new key",
            "superseded",
            "renewed: new key",
            "Superseded",
        ),
        (
            "Cessation-Of-Operation:left the company ",
            "cessationOfOperation",
            "left the company",
            "Cessation Of Operation",
        ),
        (
            "privilegewithdrawn",
            "privilegeWithdrawn",
            "privilegeWithdrawn",
            "Privilege Withdrawn",
        ),
    ];
    let mut last_out = None;
    for (index, (client, (given, code, text, _))) in clients.iter().zip(&cases).enumerate() {
        let out = lab.path(&format!("rv{index}"));
        let report = lab.json(&[
            "revoke",
            "--yes",
            "--serial",
            &client.serial,
            "--reason",
            given,
            "--out",
            path_str(&out),
        ]);
        let recorded = if code == text {
            (*code).to_owned()
        } else {
            format!("{code}: {text}")
        };
        assert_eq!(report["reason"], recorded.as_str(), "{report:#}");
        let entries = lab.entries_of("cert.revoked");
        let payload = &entries.last().expect("a revocation")["payload"];
        assert_eq!(payload["serial"], client.serial.as_str());
        assert_eq!(payload["code"], *code, "--reason {given:?}");
        assert_eq!(payload["reason"], *text, "--reason {given:?}");
        last_out = Some((out, report));
    }
    let (out, report) = last_out.expect("five revocations");
    let crl = out.join(format!("{ca_id}.crl"));
    assert_eq!(report["crls"][0], path_str(&crl));
    let listing = crl_text(&crl);
    for (client, (given, _, _, openssl_name)) in clients.iter().zip(&cases) {
        let entry = crl_entry(&listing, &client.serial);
        assert!(
            entry.contains("X509v3 CRL Reason Code") && entry.contains(openssl_name),
            "--reason {given:?}: the CRL entry lacks reasonCode '{openssl_name}':\n{entry}"
        );
    }

    // unspecified: recorded, and the CRL entry carries no reasonCode (RFC 5280 5.3.1).
    let frank = lab.sign("batch2", &[("frank", "/CN=frank")]).remove(0);
    let out = lab.path("rv-unspecified");
    lab.json(&[
        "revoke",
        "--yes",
        "--serial",
        &frank.serial,
        "--reason",
        "unspecified: asked by HR",
        "--out",
        path_str(&out),
    ]);
    let entries = lab.entries_of("cert.revoked");
    assert_eq!(
        entries.last().expect("entry")["payload"]["code"],
        "unspecified"
    );
    let listing = crl_text(&out.join(format!("{ca_id}.crl")));
    let entry = crl_entry(&listing, &frank.serial);
    assert!(!entry.contains("Reason Code"), "{entry}");
    // The earlier entries keep theirs in the re-issued CRL.
    assert!(crl_entry(&listing, &clients[0].serial).contains("Key Compromise"));
}

/// The attack: a runbook (or a hurried officer) passes a reason that is not an RFC 5280
/// code: free prose, a CA-only code, a hold, nothing, or a code holding terminal escapes.
/// Each is refused before anything is unlocked or written: the ledger is unchanged, the
/// certificate stays active, no output folder appears, and the error names what was given
/// (escaped) and lists the valid codes.
#[test]
fn an_unknown_reason_code_is_refused_listing_the_valid_ones() {
    let lab = Lab::new();
    let alice = lab.sign("batch1", &[("alice", "/CN=alice")]).remove(0);
    let valid = [
        "unspecified",
        "keyCompromise",
        "affiliationChanged",
        "superseded",
        "cessationOfOperation",
        "privilegeWithdrawn",
    ];
    for (given, named) in [
        (
            "left the team",
            "unknown revocation reason code 'left the team'",
        ),
        ("stolen: laptop", "unknown revocation reason code 'stolen'"),
        (
            "cACompromise: the CA leaked",
            "'cACompromise' does not apply",
        ),
        ("certificate-hold", "'certificateHold' does not apply"),
        ("removeFromCRL", "'removeFromCRL' does not apply"),
        (" ", "no revocation reason code given"),
        (": only text", "no revocation reason code given"),
        (
            "\u{1b}[2Jevil",
            "unknown revocation reason code '\\u{1b}[2Jevil'",
        ),
    ] {
        let out = lab.path("rv");
        let stderr = lab.refused(
            &[
                "revoke",
                "--yes",
                "--serial",
                &alice.serial,
                "--reason",
                given,
                "--out",
                path_str(&out),
            ],
            1,
        );
        assert!(stderr.contains(named), "--reason {given:?}: {stderr}");
        for code in valid {
            assert!(
                stderr.contains(code),
                "--reason {given:?} lists '{code}': {stderr}"
            );
        }
        assert!(!stderr.contains('\u{1b}'), "escaped: {stderr:?}");
        assert!(!out.exists(), "--reason {given:?}: nothing written");
    }
    assert_eq!(lab.json(&["list", "--user", "alice"])[0]["state"], "active");
    assert!(lab.entries_of("cert.revoked").is_empty());
    assert!(lab.entries_of("crl.issued").is_empty());
}

/// An RBAC snapshot as `kubectl get clusterroles,roles,clusterrolebindings,rolebindings
/// -A -o yaml` prints it: `ops-admins` binds cluster-admin to group `ops`; `root-ish`
/// binds a `ClusterRole` whose one rule is `*` everywhere to user `mallory`; `pods-star`
/// binds a Role of namespace `app` with `*` in verbs to user `carol`; `dev-view` binds
/// `view` to group `dev`; `auth-discovery` binds to every authenticated user.
const ROLES_SNAPSHOT: &str = r#"apiVersion: v1
kind: List
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: root-ish}
  rules:
  - apiGroups: ["*"]
    resources: ["*"]
    verbs: ["*"]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata: {name: pods-star, namespace: app}
  rules:
  - apiGroups: [""]
    resources: [pods]
    verbs: ["*"]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: view}
  rules:
  - apiGroups: [""]
    resources: [pods]
    verbs: [get, list]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: ops-admins}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
  subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: ops}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: root-ish}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: root-ish}
  subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: mallory}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: pods-star, namespace: app}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pods-star}
  subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: carol}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: dev-view}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
  subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: dev}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: auth-discovery}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:discovery"}
  subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:authenticated"}]
"#;

/// The flag every cluster-wide full-control grant carries.
const FULL_CONTROL: &str = "grants cluster-admin: full control of the cluster";

/// The review item of `input` in a `review --json` answer.
fn item<'a>(report: &'a Value, input: &str) -> &'a Value {
    report["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|item| item["input"] == input)
        .unwrap_or_else(|| panic!("{input} in the review: {report:#}"))
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|entry| entry.as_str().expect("string").to_owned())
        .collect()
}

/// The attack: a requester asks for a harmless-looking identity (`bob` in group `ops`)
/// whose group the cluster binds to cluster-admin, or a user name bound to a role whose
/// rules are all `*`. The review with the snapshot flags each in plain words, in the JSON
/// and in the text; a plain `view` binding and the everyone binding are listed, not
/// flagged; nothing is signed by a review.
#[test]
fn review_flags_a_binding_that_grants_cluster_admin() {
    let lab = Lab::new();
    let intake = lab.path("intake");
    let keys = lab.path("keys");
    fs::create_dir_all(&intake).expect("intake");
    fs::create_dir_all(&keys).expect("keys");
    for (name, subject) in [
        ("bob", "/O=ops/CN=bob"),
        ("mallory", "/CN=mallory"),
        ("carol", "/CN=carol"),
        ("dave", "/O=dev/CN=dave"),
    ] {
        let csr = openssl_csr(&keys, name, P256, subject);
        fs::copy(&csr, intake.join(format!("{name}.csr"))).expect("copy CSR");
    }
    let snapshot = lab.path("rbac.yaml");
    fs::write(&snapshot, ROLES_SNAPSHOT).expect("snapshot");
    let args = [
        "review",
        path_str(&intake),
        "--rbac-snapshot",
        path_str(&snapshot),
    ];
    let report = lab.json(&args);

    let bob = item(&report, "bob.csr");
    assert_eq!(
        bob["verdict"], "accepted",
        "the flag informs, it does not reject"
    );
    assert!(
        strings(&bob["flags"]).contains(&format!("ClusterRoleBinding 'ops-admins' {FULL_CONTROL}")),
        "{bob:#}"
    );
    assert!(
        strings(&bob["bindings"]).contains(
            &"ClusterRoleBinding ops-admins grants ClusterRole/cluster-admin (full control)"
                .to_owned()
        ),
        "{bob:#}"
    );
    let mallory = item(&report, "mallory.csr");
    assert!(
        strings(&mallory["flags"])
            .contains(&format!("ClusterRoleBinding 'root-ish' {FULL_CONTROL}")),
        "a role whose rules are all '*' is cluster-admin by another name: {mallory:#}"
    );
    let carol = item(&report, "carol.csr");
    assert!(
        strings(&carol["flags"]).iter().any(|flag| flag.starts_with(
            "RoleBinding 'pods-star' in namespace 'app' grants Role/pods-star whose rules allow '*' in verbs"
        )),
        "{carol:#}"
    );
    let dave = item(&report, "dave.csr");
    let dave_bindings = strings(&dave["bindings"]);
    assert!(
        dave_bindings.contains(&"ClusterRoleBinding dev-view grants ClusterRole/view".to_owned()),
        "{dave:#}"
    );
    assert!(
        dave_bindings
            .iter()
            .any(|binding| binding.contains("auth-discovery")
                && binding.ends_with("(to every authenticated user)")),
        "every x509 login is in system:authenticated: {dave:#}"
    );
    assert!(
        !strings(&dave["flags"])
            .iter()
            .any(|flag| flag.contains("cluster-admin")),
        "{dave:#}"
    );

    let text = lab.ok(&args);
    assert!(
        text.lines().any(|line| line.contains("note")
            && line.contains(&format!("ClusterRoleBinding 'ops-admins' {FULL_CONTROL}"))),
        "{text}"
    );
    assert!(
        lab.entries_of("cert.issued").is_empty(),
        "a review signs nothing"
    );
}

/// The attack: the snapshot on the media names a binding `x<newline>touch PWNED #`,
/// shared with a group so that the script would list its delete commented out. A newline
/// would end the comment and run the rest as a command when the officer runs the script.
/// The script never holds it as a line of its own; the summary says the binding was left
/// out and must be removed by hand, and `bash` running the script creates nothing.
#[test]
fn a_binding_name_cannot_smuggle_a_command_into_the_revocation_script() {
    let lab = Lab::new();
    let alice = lab
        .sign("batch1", &[("alice", "/O=dev/CN=alice")])
        .remove(0);
    let snapshot = lab.path("rbac.yaml");
    fs::write(
        &snapshot,
        "kind: List\nitems:\n- kind: RoleBinding\n  metadata: {name: \"x\\ntouch PWNED #\", namespace: app}\n  roleRef: {kind: ClusterRole, name: edit}\n  subjects: [{kind: Group, name: dev}, {kind: User, name: alice}]\n",
    )
    .expect("snapshot");
    let out = lab.path("rv");
    let report = lab.json(&[
        "revoke",
        "--yes",
        "--serial",
        &alice.serial,
        "--reason",
        "keyCompromise",
        "--out",
        path_str(&out),
        "--rbac-snapshot",
        path_str(&snapshot),
    ]);
    let steps = report["rbac"]["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0]["fate"], "skipped");
    assert!(
        strings(&report["rbac"]["remaining"])
            .iter()
            .any(|line| line.contains("remove it by hand")),
        "{report:#}"
    );
    let script_path = out.join("revoke-rbac.sh");
    let script = fs::read_to_string(&script_path).expect("script");
    assert!(
        !script
            .lines()
            .any(|line| line.trim_start().starts_with("touch")),
        "{script}"
    );
    // Run it with a kubectl that records its calls: nothing but comments and settings.
    let bin = lab.path("bin");
    fs::create_dir_all(&bin).expect("bin");
    let work = lab.path("work");
    fs::create_dir_all(&work).expect("work");
    let status = std::process::Command::new("bash")
        .arg(&script_path)
        .current_dir(&work)
        .env("PATH", format!("{}:/usr/bin:/bin", path_str(&bin)))
        .status()
        .expect("bash runs");
    assert!(status.success());
    assert!(!work.join("PWNED").exists(), "the smuggled command ran");
}

/// Revoking one of two certificates of the same user: the binding naming the user alone
/// is deleted by the script (the revoked certificate authenticates as that user until it
/// expires), and the summary, in JSON and in text, says that the user's other active
/// certificate relies on it too; the group binding is only listed, commented out, with
/// why; and what remains is stated.
#[test]
fn revoking_one_serial_says_what_the_other_certificate_loses() {
    let lab = Lab::new();
    let first = lab
        .sign("batch1", &[("alice", "/O=dev/CN=alice")])
        .remove(0);
    let second = lab
        .sign("batch2", &[("alice", "/O=dev/CN=alice")])
        .remove(0);
    let snapshot = lab.path("rbac.yaml");
    fs::write(
        &snapshot,
        "kind: List\nitems:\n- {kind: ClusterRoleBinding, metadata: {name: alice-view}, roleRef: {kind: ClusterRole, name: view}, subjects: [{kind: User, name: alice}]}\n- {kind: RoleBinding, metadata: {name: devs, namespace: app}, roleRef: {kind: ClusterRole, name: edit}, subjects: [{kind: Group, name: dev}]}\n",
    )
    .expect("snapshot");
    let args = |out: &str| {
        vec![
            "revoke".to_owned(),
            "--yes".to_owned(),
            "--serial".to_owned(),
            first.serial.clone(),
            "--reason".to_owned(),
            "keyCompromise: laptop stolen".to_owned(),
            "--out".to_owned(),
            path_str(&lab.path(out)).to_owned(),
            "--rbac-snapshot".to_owned(),
            path_str(&snapshot).to_owned(),
        ]
    };
    let text = lab.ok(&args("rv").iter().map(String::as_str).collect::<Vec<_>>());
    assert!(text.contains("The script deletes:"), "{text}");
    assert!(
        text.contains("ClusterRoleBinding 'alice-view' grants ClusterRole/view"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "the user's other active certificate(s) {} rely on it too",
            second.serial
        )),
        "{text}"
    );
    assert!(
        text.contains("The script only lists, commented out (you decide):"),
        "{text}"
    );
    assert!(
        text.contains("because it grants through group 'dev'"),
        "{text}"
    );
    assert!(text.contains("Access that remains:"), "{text}");
    assert!(
        text.contains(&format!(
            "serial {} still authenticates as user 'alice'",
            first.serial
        )),
        "{text}"
    );
    let script = fs::read_to_string(lab.path("rv").join("revoke-rbac.sh")).expect("script");
    assert!(
        script
            .lines()
            .any(|line| line == "kubectl delete clusterrolebinding 'alice-view'"),
        "{script}"
    );
    assert!(
        script.contains(&second.serial),
        "the script says it too:\n{script}"
    );

    // The JSON of the same plan, for the second certificate now revoked alone: nothing
    // else of alice stays active, so nothing is said to rely on the binding.
    let report = lab.json(&[
        "revoke",
        "--yes",
        "--serial",
        &second.serial,
        "--reason",
        "superseded",
        "--out",
        path_str(&lab.path("rv2")),
        "--rbac-snapshot",
        path_str(&snapshot),
    ]);
    let steps = report["rbac"]["steps"].as_array().expect("steps");
    let deleted = steps
        .iter()
        .find(|step| step["fate"] == "deleted")
        .expect("a deleted binding");
    assert_eq!(deleted["also_relied_on_by"], serde_json::json!([]));
    assert_eq!(
        deleted["command"],
        "kubectl delete clusterrolebinding 'alice-view'"
    );
    assert!(steps.iter().any(|step| step["fate"] == "commented-out"));
}
