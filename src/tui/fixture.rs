//! A fixed home for tests: one CA, three issued certificates (one far from expiry, one
//! expiring within 30 days, one expired), a short ledger and a review of three items
//! (two accepted, one rejected). Fixed clock, fixed serials, no disk.

use std::path::PathBuf;

use airlock::ca::CaInfo;
use airlock::export::{Report, ReportIssued};
use airlock::ledger::{Entry, Verification};
use airlock::ops::{CaStatus, LedgerStatus, ReviewReport, SignReport, StatusReport};
use airlock::policy::{ItemReview, Verdict};
use airlock::pubkey::KeyKind;
use airlock::secret::Hardening;
use airlock::state::{CaRole, CertIssued, Phase};
use serde_json::json;
use time::OffsetDateTime;
use time::macros::datetime;

use super::action::{Action, SignOutcome, WorkEvent};
use super::app::App;
use super::model::AppModel;
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
        "ca": "3f9a1c0d5e7b2a64",
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

/// The fixed model; `user` names the first certificate (to test hostile names).
pub fn model_with_user(user: &str) -> AppModel {
    let issued = vec![
        cert(1, user, &["dev", "ops"], "2025-08-30T11:55:00Z"),
        cert(2, "bob", &["ops"], "2025-06-11T11:55:00Z"),
        cert(3, "carol", &[], "2025-05-01T11:55:00Z"),
    ];
    let mut entries = vec![entry(
        1,
        "ca.created",
        json!({"ca": "3f9a1c0d5e7b2a64", "cert": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
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
        5,
        "batch.signed",
        json!({"batch": "0f0e-0d0c-0b0a-0908", "intake": "/media/usb/old", "out": "/media/usb/old-signed", "signed": 3, "rejected": 0}),
    ));
    entries.push(entry(
        6,
        "ledger.sealed",
        json!({"ca": "3f9a1c0d5e7b2a64", "signature": hex(4, 140)}),
    ));
    AppModel {
        home: PathBuf::from("/srv/airlock/home"),
        status: StatusReport {
            home: PathBuf::from("/srv/airlock/home"),
            cas: vec![CaStatus {
                info: CaInfo {
                    id: "3f9a1c0d5e7b2a64".to_owned(),
                    subject: "CN=kubernetes".to_owned(),
                    common_name: "kubernetes".to_owned(),
                    key: KeyKind::EcdsaP256,
                    fingerprint: hex(9, 64),
                    serial: hex(8, 32),
                    not_before: datetime!(2025-01-01 00:00:00 UTC),
                    not_after: datetime!(2034-12-30 00:00:00 UTC),
                    subject_key_id: hex(7, 40),
                },
                role: CaRole::Active,
                origin: "generated".to_owned(),
                days_left: 3498,
            }],
            ledger: LedgerStatus {
                entries: 6,
                head: hex(7, 64),
                seals: 1,
                last_seal_line: Some(6),
                unsealed_entries: 0,
                repaired_bytes: None,
            },
            issued: 3,
            unexpired: 2,
            expiring_soon: 1,
            revoked: 0,
            phase: Phase::Stable,
        },
        hardening: Hardening {
            core_dumps_disabled: true,
            not_dumpable: true,
        },
        issued,
        entries,
        phase: Phase::Stable,
    }
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
        entries: 6,
        seals: 1,
        last_seal_line: Some(6),
        unsealed_entries: 0,
        head: hex(7, 64),
        torn_tail_bytes: 0,
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
        staged: false,
        reviewed_digest: DIGEST.to_owned(),
        model: Ok(model()),
    }
}
