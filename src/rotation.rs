//! The dual-CA rotation: phases, the `--client-ca-file` bundle, and what to deploy where.
//!
//! ```text
//! stable(old) --begin--> overlap --reissue--> reissued --finish--> stable(new)
//!                  \--abort (from overlap)--> stable(old)
//! ```
//!
//! The phase itself is state (see [`crate::state::Phase`]), changed only by ledger
//! entries that `ops` writes. This module turns a phase into the bundle's bytes and the
//! deployment checklist; it writes nothing.

use std::fmt::Write as _;

use serde::Serialize;

use crate::ca::rfc3339;
use crate::state::{CaRecord, Phase, State};

/// The PEM bundle for kube-apiserver's `--client-ca-file`: one `CERTIFICATE` block per
/// trusted CA (old first during a rotation). With `annotate`, a comment line before each
/// block names its subject, fingerprint and validity (PEM parsers skip text between
/// blocks; openssl and Go both do).
pub fn bundle_pem(cas: &[&CaRecord], annotate: bool) -> String {
    let mut text = String::new();
    for ca in cas {
        let info = ca.certificate.info();
        if annotate {
            let _ = writeln!(
                text,
                "# {} ({}): {} SHA256 {} valid {} to {}",
                info.subject,
                role_name(ca),
                info.key,
                info.fingerprint,
                rfc3339(info.not_before),
                rfc3339(info.not_after)
            );
        }
        text.push_str(&ca.certificate.pem());
    }
    text
}

fn role_name(ca: &CaRecord) -> &'static str {
    match ca.role {
        crate::state::CaRole::Active => "active",
        crate::state::CaRole::Incoming => "incoming",
        crate::state::CaRole::Superseded => "superseded",
        crate::state::CaRole::Retired => "retired",
    }
}

/// A step of the deployment checklist.
#[derive(Debug, Clone, Serialize)]
pub struct ChecklistItem {
    /// Where it goes.
    pub target: &'static str,
    /// What to do there now.
    pub action: String,
}

/// What to deploy where in `phase`, with the bundle at `bundle` (a path as the officer
/// will carry it). Follows Kubernetes' manual CA rotation.
pub fn checklist(phase: Phase, finished: bool, bundle: &str) -> Vec<ChecklistItem> {
    let trust = match (phase, finished) {
        (Phase::Stable, true) => "the new CA alone: the old CA is no longer trusted",
        (Phase::Stable, false) => "the active CA",
        (Phase::Overlap | Phase::Reissued, _) => "old and new CA together",
    };
    let mut items = vec![
        ChecklistItem {
            target: "kube-apiserver --client-ca-file",
            action: format!(
                "copy '{bundle}' ({trust}) to its own file, e.g. /etc/kubernetes/pki/client-ca-bundle.crt, and point --client-ca-file at it; never replace ca.crt with it. kube-apiserver reloads the file without a restart"
            ),
        },
        ChecklistItem {
            target: "kube-scheduler and kube-controller-manager --client-ca-file",
            action: format!("point both at the same bundle ('{bundle}')"),
        },
        ChecklistItem {
            target: "kubelet clientCAFile",
            action: "on every node, set clientCAFile (KubeletConfiguration) to the bundle and restart the kubelet".to_string(),
        },
        ChecklistItem {
            target: "kubeconfigs certificate-authority-data",
            action: "where the API server's serving certificate comes from this CA, put the bundle (base64) in certificate-authority-data of every kubeconfig".to_owned(),
        },
        ChecklistItem {
            target: "kube-controller-manager --root-ca-file",
            action: "point at the bundle, so service-account token secrets carry both CAs during the overlap".to_owned(),
        },
        ChecklistItem {
            target: "kube-public/cluster-info",
            action: "update the ConfigMap's kubeconfig certificate-authority-data to the bundle".to_owned(),
        },
        ChecklistItem {
            target: "kube-controller-manager --cluster-signing-cert-file",
            action: "takes ONE certificate, never a bundle: point it at the CA that signs now (the new CA's ca.crt from phase overlap on)".to_owned(),
        },
    ];
    match (phase, finished) {
        (Phase::Overlap, _) => items.push(ChecklistItem {
            target: "next step",
            action: "once every component trusts the bundle, run 'airlock rotate reissue --out DIR' and hand out the reissued certificates".to_owned(),
        }),
        (Phase::Reissued, _) => items.push(ChecklistItem {
            target: "next step",
            action: "once every client uses its reissued certificate, run 'airlock rotate finish'".to_owned(),
        }),
        (Phase::Stable, true) => items.push(ChecklistItem {
            target: "next step",
            action: "deploy the new-only bundle everywhere above; old-CA certificates stop working as soon as it is loaded".to_owned(),
        }),
        (Phase::Stable, false) => {}
    }
    items
}

/// The legal next steps from the state's phase, for error messages and `rotate status`.
pub fn next_steps(state: &State) -> &'static str {
    match state.phase() {
        Phase::Stable => "'airlock rotate begin'",
        Phase::Overlap => "'airlock rotate reissue --out DIR', or 'airlock rotate abort'",
        Phase::Reissued => "'airlock rotate finish'",
    }
}

/// The name of a phase as shown to officers.
pub fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Stable => "stable",
        Phase::Overlap => "overlap",
        Phase::Reissued => "reissued",
    }
}
