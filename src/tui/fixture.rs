//! A fixed home for tests: one CA (two during a rotation), four issued certificates (one
//! far from expiry, one expiring within 30 days, one expired, one revoked), a short
//! ledger and a review of three items (two accepted, one rejected). Fixed clock, fixed
//! serials, no disk.

use std::path::PathBuf;

use airlock::ca::CaInfo;
use airlock::export::{Report, ReportIssued};
use airlock::ledger::{Entry, Verification};
use airlock::ops::{
    CaCertFile, CaStatus, LedgerStatus, PhaseReport, ReissueReport, RenewReport, ReviewReport,
    RevokeReport, RotationStatus, SignReport, StatusReport,
};
use airlock::policy::{ItemReview, Verdict};
use airlock::pubkey::KeyKind;
use airlock::secret::Hardening;
use airlock::state::{CaRole, CertIssued, CertRevoked, Phase};
use serde_json::json;
use time::OffsetDateTime;
use time::macros::datetime;

use super::action::{Action, Refreshed, RotationDone, SignOutcome, WorkEvent};
use super::app::App;
use super::model::{AppModel, BundleFile, Cert};
use super::theme::Theme;

/// Index of the rejected item in [`review_report`].
pub const REJECTED_INDEX: usize = 2;
/// The fixed batch digest.
pub const DIGEST: &str = "1a2b-3c4d-5e6f-7a8b";

/// The fixed clock.
pub fn now() -> OffsetDateTime {
    datetime!(2025-06-01 12:00:00 UTC)
}

fn hex(seed: u8, length: usize) -> String {
    (0..length)
        .map(|index| char::from(b"0123456789abcdef"[(usize::from(seed) * 7 + index * 5) % 16]))
        .collect()
}

fn cert(serial_seed: u8, user: &str, groups: &[&str], not_after: &str) -> CertIssued {
    // Through JSON, as the ledger holds it: optional fields the core adds stay unset.
    serde_json::from_value(json!({
        "ca": OLD_CA,
        "serial": hex(serial_seed, 32),
        "user": user,
        "groups": groups,
        "not_before": "2025-03-01T11:55:00Z",
        "not_after": not_after,
        "profile": "human",
        "csr_sha256": hex(serial_seed + 1, 64),
        "key_sha256": hex(serial_seed + 2, 64),
        "input": format!("{user}.csr"),
        "output": user,
        "batch": "0f0e-0d0c-0b0a-0908",
        "cert": "-----BEGIN CERTIFICATE-----\nMIIBfixture\n-----END CERTIFICATE-----\n",
    }))
    .expect("a cert.issued payload")
}

fn entry(seq: u64, kind: &str, payload: serde_json::Value) -> Entry {
    Entry {
        seq,
        time: format!("2025-03-01T12:00:{seq:02}Z"),
        kind: kind.to_owned(),
        payload,
        prev: hex(u8::try_from(seq).unwrap_or(0), 64),
        hash: hex(u8::try_from(seq + 1).unwrap_or(0), 64),
    }
}

fn ca_info(id: &str, common_name: &str, seed: u8, not_after: OffsetDateTime) -> CaInfo {
    CaInfo {
        id: id.to_owned(),
        subject: format!("CN={common_name}"),
        common_name: common_name.to_owned(),
        key: KeyKind::EcdsaP256,
        fingerprint: hex(seed, 64),
        serial: hex(seed + 1, 32),
        not_before: datetime!(2025-01-01 00:00:00 UTC),
        not_after,
        subject_key_id: hex(seed + 2, 40),
    }
}

/// The active CA's id.
pub const OLD_CA: &str = "3f9a1c0d5e7b2a64";
/// The incoming CA's id (in [`model_in`] a rotation phase).
pub const NEW_CA: &str = "9b8c7d6e5f4a3b2c";

/// The fixed model; `user` names the first certificate (to test hostile names). Four
/// certificates: the first far from expiry, bob's expiring within 30 days, carol's
/// expired, dave's revoked.
pub fn model_with_user(user: &str) -> AppModel {
    let issued = vec![
        cert(1, user, &["dev", "ops"], "2025-08-30T11:55:00Z"),
        cert(2, "bob", &["ops"], "2025-06-11T11:55:00Z"),
        cert(3, "carol", &[], "2025-05-01T11:55:00Z"),
        cert(4, "dave", &["dev"], "2025-08-01T11:55:00Z"),
    ];
    let revoked = CertRevoked {
        serial: issued[3].serial.clone(),
        ca: OLD_CA.to_owned(),
        user: "dave".to_owned(),
        reason: "laptop stolen".to_owned(),
        time: "2025-05-20T09:00:00Z".to_owned(),
        code: None,
    };
    let mut entries = vec![entry(
        1,
        "ca.created",
        json!({"ca": OLD_CA, "cert": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
               "fingerprint": hex(9, 64), "key_file": "cas/3f9a1c0d5e7b2a64/ca.key.age",
               "protection": "age-scrypt (work factor 18)"}),
    )];
    for (seq, cert) in (2..).zip(&issued) {
        entries.push(entry(
            seq,
            "cert.issued",
            serde_json::to_value(cert).unwrap_or_default(),
        ));
    }
    entries.push(entry(
        6,
        "batch.signed",
        json!({"batch": "0f0e-0d0c-0b0a-0908", "intake": "/media/usb/old", "out": "/media/usb/old-signed", "signed": 4, "rejected": 0}),
    ));
    entries.push(entry(
        7,
        "cert.revoked",
        serde_json::to_value(&revoked).unwrap_or_default(),
    ));
    entries.push(entry(
        8,
        "ledger.sealed",
        json!({"ca": OLD_CA, "signature": hex(4, 140)}),
    ));
    let old = ca_info(OLD_CA, "kubernetes", 9, datetime!(2034-12-30 00:00:00 UTC));
    let states = ["active", "active", "expired", "revoked"];
    let certs = issued
        .into_iter()
        .zip(states)
        .map(|(issued, state)| Cert {
            revoked: (state == "revoked").then(|| revoked.clone()),
            issued,
            state,
        })
        .collect();
    AppModel {
        home: PathBuf::from("/srv/airlock/home"),
        status: StatusReport {
            home: PathBuf::from("/srv/airlock/home"),
            cas: vec![CaStatus {
                info: old.clone(),
                role: CaRole::Active,
                origin: "generated".to_owned(),
                days_left: 3498,
                cert_file: CaCertFile::Matches,
                key_destroyed: false,
            }],
            ledger: LedgerStatus {
                entries: 8,
                head: hex(7, 64),
                seals: 1,
                last_seal_line: Some(8),
                unsealed_entries: 0,
                repaired_bytes: None,
                unvouched_entries: 0,
                anchor: Some(old.fingerprint.clone()),
            },
            issued: 4,
            unexpired: 3,
            expiring_soon: 1,
            revoked: 1,
            phase: Phase::Stable,
            policy_drift: None,
            policy_digest: Some(hex(11, 64)),
        },
        hardening: Hardening {
            core_dumps_disabled: true,
            not_dumpable: true,
        },
        certs,
        entries,
        rotation: RotationStatus {
            phase: Phase::Stable,
            old: Some(old),
            new: None,
            old_active: 2,
            reissued: 0,
            unreissued: Vec::new(),
            next_steps: "'airlock rotate begin'".to_owned(),
        },
        bundle: None,
    }
}

/// The fixed model in a rotation phase: in `overlap` a new CA is incoming and neither of
/// the two active certificates has a twin; in `reissued` both have one.
pub fn model_in(phase: Phase) -> AppModel {
    let mut model = model();
    if phase == Phase::Stable {
        return model;
    }
    let new = ca_info(
        NEW_CA,
        "kubernetes-2025",
        30,
        datetime!(2035-05-30 00:00:00 UTC),
    );
    model.status.cas.push(CaStatus {
        info: new.clone(),
        role: CaRole::Incoming,
        origin: "generated".to_owned(),
        days_left: 3650,
        cert_file: CaCertFile::Matches,
        key_destroyed: false,
    });
    model.status.phase = phase;
    let unreissued: Vec<String> = model.certs[..2]
        .iter()
        .map(|cert| cert.issued.serial.clone())
        .collect();
    let (reissued, unreissued, next_steps, bundle) = if phase == Phase::Overlap {
        (
            0,
            unreissued,
            "'airlock rotate reissue --out DIR', or 'airlock rotate abort'",
            "000009-overlap-client-ca-bundle.crt",
        )
    } else {
        (
            2,
            Vec::new(),
            "'airlock rotate finish'",
            "000014-reissued-client-ca-bundle.crt",
        )
    };
    model.rotation = RotationStatus {
        phase,
        old: model.rotation.old.clone(),
        new: Some(new),
        old_active: 2,
        reissued,
        unreissued,
        next_steps: next_steps.to_owned(),
    };
    model.bundle = Some(BundleFile {
        path: PathBuf::from(format!("/srv/airlock/home/bundles/{bundle}")),
        current: true,
    });
    model
}

/// The fixed model.
pub fn model() -> AppModel {
    model_with_user("alice")
}

fn item(input: &str, user: &str, groups: &[&str], seed: u8) -> ItemReview {
    ItemReview {
        input: input.to_owned(),
        stem: input.split('.').next().unwrap_or(input).to_owned(),
        verdict: Verdict::Accepted,
        user: Some(user.to_owned()),
        groups: groups.iter().map(|group| (*group).to_owned()).collect(),
        uid: None,
        key: Some("ECDSA P-256".to_owned()),
        key_sha256: Some(hex(seed, 64)),
        csr_sha256: Some(hex(seed + 1, 64)),
        profile: Some("human".to_owned()),
        lifetime_days: Some(90),
        not_after: Some(datetime!(2025-08-30 11:55:00 UTC)),
        reasons: Vec::new(),
        flags: Vec::new(),
        bindings: Vec::new(),
    }
}

/// A review of three items; `user` names the first (to test hostile names).
pub fn review_report_with_user(user: &str) -> ReviewReport {
    let first = item("alice.csr", user, &["dev", "ops"], 11);
    let mut second = item("bob.yaml", "bob", &["ops"], 13);
    second.uid = Some("b0b-uid".to_owned());
    second.flags = vec!["requested subject alternative names are ignored".to_owned()];
    let mut third = item("root.pem", "mallory", &["system:masters"], 15);
    third.verdict = Verdict::Rejected;
    third.lifetime_days = None;
    third.not_after = None;
    third.profile = None;
    third.reasons = vec!["group 'system:masters' is forbidden: it bypasses RBAC".to_owned()];
    ReviewReport {
        intake: PathBuf::from("/media/usb/requests"),
        digest: DIGEST.to_owned(),
        items: vec![first, second, third],
        accepted: 2,
        rejected: 1,
        ca: Some("kubernetes".to_owned()),
    }
}

/// The fixed review.
pub fn review_report() -> ReviewReport {
    review_report_with_user("alice")
}

/// An app on the fixed model, its startup verification done.
pub fn app() -> App {
    app_with(model(), Theme::colored())
}

/// An app on `model`, its startup verification done.
pub fn app_with(model: AppModel, theme: Theme) -> App {
    let mut app = App::new(model, theme, now());
    let jobs = app.take_jobs();
    assert_eq!(jobs.len(), 1, "the ledger is verified at start");
    app.update(work(WorkEvent::Verified(Ok(verification()))));
    app.notice = None;
    app
}

/// A verification of the fixed ledger.
pub fn verification() -> Verification {
    Verification {
        entries: 8,
        seals: 1,
        last_seal_line: Some(8),
        unsealed_entries: 0,
        head: hex(7, 64),
        torn_tail_bytes: 0,
        anchor: Some(hex(9, 64)),
    }
}

/// A worker report as an action.
pub fn work(event: WorkEvent) -> Action {
    Action::Work(Box::new(event))
}

/// An app showing the fixed review.
pub fn reviewing(mut app: App) -> App {
    app.update(Action::OpenIntake(PathBuf::from("/media/usb/requests")));
    let _ = app.take_jobs();
    app.update(work(WorkEvent::Reviewed(Ok(review_report()))));
    app
}

/// What signing the two accepted items of the fixed review reports.
pub fn sign_outcome() -> SignOutcome {
    let issued = |user: &str, seed: u8| ReportIssued {
        input: format!("{user}.csr"),
        serial: hex(seed, 32),
        user: user.to_owned(),
        groups: vec!["ops".to_owned()],
        not_after: "2025-08-30T11:55:00Z".to_owned(),
        cert: format!("{user}.crt"),
        duplicate_of: None,
    };
    SignOutcome {
        report: SignReport {
            review: review_report(),
            out: PathBuf::from("/media/usb/requests-signed"),
            report: Report {
                issued: vec![issued("alice", 21), issued("bob", 22)],
                rejected: Vec::new(),
                withheld: Vec::new(),
            },
            newly_signed: 2,
            reused: 0,
            written: [
                "alice.crt",
                "bob.crt",
                "bob.csr.yaml",
                "report.json",
                "SHA256SUMS",
            ]
            .map(str::to_owned)
            .to_vec(),
        },
        intake: PathBuf::from("/media/usb/requests"),
        reviewed_digest: DIGEST.to_owned(),
        model: Ok(model()),
    }
}

/// Types `text` into the focused field, one action per character.
pub fn type_text(app: &mut App, text: &str) {
    for character in text.chars() {
        app.update(Action::Type(character));
    }
}

/// A failure as the worker reports one.
pub fn failure(what: &str) -> super::action::Failure {
    super::action::Failure {
        what: what.to_owned(),
        message: vec!["wrong passphrase for CA 'kubernetes'".to_owned()],
        hint: "nothing was changed; try again".to_owned(),
        line: None,
    }
}

/// The fixed review with an RBAC snapshot loaded: alice matches two bindings.
pub fn review_report_with_bindings() -> ReviewReport {
    let mut report = review_report();
    report.items[0].bindings = vec![
        "ClusterRoleBinding dev-view grants ClusterRole/view".to_owned(),
        "RoleBinding alice-edit in namespace app grants ClusterRole/edit".to_owned(),
    ];
    report
}

fn phase_report(model: &AppModel, finished: bool, bundle: &str) -> PhaseReport {
    let phase = model.rotation.phase;
    let bundle_file = PathBuf::from(format!("/srv/airlock/home/bundles/{bundle}"));
    PhaseReport {
        phase,
        finished,
        trusted: model.status.cas.iter().map(|ca| ca.info.clone()).collect(),
        checklist: airlock::rotation::checklist(
            phase,
            finished,
            &bundle_file.display().to_string(),
        ),
        bundle_file,
        ledger_entries: 9,
    }
}

/// What `begin` reports, the home now in overlap.
pub fn begun() -> Refreshed<RotationDone> {
    let model = model_in(Phase::Overlap);
    Refreshed {
        report: RotationDone::Begun(phase_report(
            &model,
            false,
            "000009-overlap-client-ca-bundle.crt",
        )),
        model: Ok(model),
    }
}

/// What `reissue` reports: both active certificates reissued, the home now reissued.
pub fn reissued() -> Refreshed<RotationDone> {
    let model = model_in(Phase::Reissued);
    let issued = |user: &str, seed: u8| ReportIssued {
        input: format!("serial {}", hex(seed, 32)),
        serial: hex(seed + 20, 32),
        user: user.to_owned(),
        groups: vec!["ops".to_owned()],
        not_after: "2025-08-30T11:55:00Z".to_owned(),
        cert: format!("{user}.crt"),
        duplicate_of: None,
    };
    Refreshed {
        report: RotationDone::Reissued(Box::new(ReissueReport {
            phase: phase_report(&model, false, "000014-reissued-client-ca-bundle.crt"),
            out: PathBuf::from("/srv/airlock/reissued"),
            report: Report {
                issued: vec![issued("alice", 1), issued("bob", 2)],
                rejected: Vec::new(),
                withheld: Vec::new(),
            },
            newly_signed: 2,
            reused: 0,
            written: ["alice.crt", "bob.crt", "report.json", "SHA256SUMS"]
                .map(str::to_owned)
                .to_vec(),
        })),
        model: Ok(model),
    }
}

/// What `abort` reports, the home stable again.
pub fn aborted() -> Refreshed<RotationDone> {
    let model = model();
    Refreshed {
        report: RotationDone::Aborted(phase_report(
            &model,
            false,
            "000010-stable-client-ca-bundle.crt",
        )),
        model: Ok(model),
    }
}

/// What renewing alice's certificate reports.
pub fn renewed() -> Refreshed<RenewReport> {
    Refreshed {
        report: RenewReport {
            out: PathBuf::from("/srv/airlock/renewed"),
            report: Report {
                issued: vec![ReportIssued {
                    input: format!("serial {}", hex(1, 32)),
                    serial: hex(40, 32),
                    user: "alice".to_owned(),
                    groups: vec!["dev".to_owned(), "ops".to_owned()],
                    not_after: "2025-08-30T11:55:00Z".to_owned(),
                    cert: "alice.crt".to_owned(),
                    duplicate_of: None,
                }],
                rejected: Vec::new(),
                withheld: Vec::new(),
            },
            newly_signed: 1,
            reused: 0,
            written: ["alice.crt", "report.json", "SHA256SUMS"]
                .map(str::to_owned)
                .to_vec(),
        },
        model: Ok(model()),
    }
}

/// What revoking alice's certificate reports.
pub fn revoked() -> Refreshed<RevokeReport> {
    Refreshed {
        report: RevokeReport {
            revoked: vec![hex(1, 32)],
            crls: vec![PathBuf::from(
                "/srv/airlock/home/revocations/000009/3f9a1c0d5e7b2a64.crl",
            )],
            crl_skipped: Vec::new(),
            script: PathBuf::from("/srv/airlock/home/revocations/000009/revoke-rbac.sh"),
            reason: "keyCompromise: laptop stolen".to_owned(),
            rbac: airlock::export::revocation::RbacPlan::default(),
            note: airlock::export::revocation::KUBERNETES_NOTE,
        },
        model: Ok(model()),
    }
}
