//! Revocation, honest about Kubernetes: a CRL for other consumers, and a script that
//! removes the RBAC bindings naming the revoked identity.
//!
//! Kubernetes checks no CRL for client certificates. What takes access away is removing
//! RBAC bindings; what makes the certificate itself useless before it expires is only a
//! CA rotation. Both texts say so.

use std::fmt::Write as _;

use serde::Deserialize;

use crate::state::CertRevoked;

/// Largest RBAC snapshot read, in bytes.
pub const MAX_SNAPSHOT_BYTES: usize = 32 << 20;

/// One binding from `kubectl get clusterrolebindings,rolebindings -A -o yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotBinding {
    /// `ClusterRoleBinding` or `RoleBinding`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace (`RoleBinding` only).
    pub namespace: Option<String>,
    /// The role it grants, e.g. `ClusterRole/view`.
    pub role: String,
    /// Subjects as (kind, name).
    pub subjects: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct SnapshotList {
    kind: Option<String>,
    items: Option<Vec<SnapshotItem>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotItem {
    kind: Option<String>,
    metadata: Option<SnapshotMetadata>,
    role_ref: Option<SnapshotRoleRef>,
    subjects: Option<Vec<SnapshotSubject>>,
}

#[derive(Deserialize)]
struct SnapshotMetadata {
    name: Option<String>,
    namespace: Option<String>,
}

#[derive(Deserialize)]
struct SnapshotRoleRef {
    kind: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct SnapshotSubject {
    kind: Option<String>,
    name: Option<String>,
}

/// Parses an RBAC snapshot (YAML or JSON `kind: List`), bounded like intake YAML.
pub fn parse_snapshot(bytes: &[u8]) -> Result<Vec<SnapshotBinding>, String> {
    if bytes.len() > MAX_SNAPSHOT_BYTES {
        return Err(format!("larger than {MAX_SNAPSHOT_BYTES} bytes"));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_owned())?;
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = 32;
    budget.max_aliases = 16;
    budget.max_anchors = 16;
    budget.max_documents = 16;
    budget.max_nodes = 2_000_000;
    budget.max_events = 4_000_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    let list: SnapshotList = serde_saphyr::from_str_with_options(text, options)
        .map_err(|error| crate::text::inert(&error.to_string(), 160))?;
    if list.kind.as_deref() != Some("List") {
        return Err(
            "not a 'kind: List' (use kubectl get clusterrolebindings,rolebindings -A -o yaml)"
                .to_owned(),
        );
    }
    let mut bindings = Vec::new();
    for item in list.items.unwrap_or_default() {
        let kind = item.kind.unwrap_or_default();
        if kind != "ClusterRoleBinding" && kind != "RoleBinding" {
            continue;
        }
        let metadata = item.metadata.unwrap_or(SnapshotMetadata {
            name: None,
            namespace: None,
        });
        let role = item.role_ref.map_or_else(String::new, |role| {
            format!(
                "{}/{}",
                role.kind.unwrap_or_default(),
                role.name.unwrap_or_default()
            )
        });
        bindings.push(SnapshotBinding {
            kind,
            name: metadata.name.unwrap_or_default(),
            namespace: metadata.namespace,
            role,
            subjects: item
                .subjects
                .unwrap_or_default()
                .into_iter()
                .map(|subject| {
                    (
                        subject.kind.unwrap_or_default(),
                        subject.name.unwrap_or_default(),
                    )
                })
                .collect(),
        });
    }
    Ok(bindings)
}

/// The bindings that would grant anything to `user` or any of `groups`.
pub fn matching_bindings<'a>(
    bindings: &'a [SnapshotBinding],
    user: &str,
    groups: &[String],
) -> Vec<&'a SnapshotBinding> {
    bindings
        .iter()
        .filter(|binding| {
            binding.subjects.iter().any(|(kind, name)| {
                (kind == "User" && name == user)
                    || (kind == "Group" && groups.iter().any(|group| group == name))
            })
        })
        .collect()
}

/// Quotes text for a POSIX shell: single quotes, `'` written as `'\''`.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// The statement every revocation output carries.
pub const KUBERNETES_NOTE: &str = "Kubernetes does not check CRLs or OCSP for client certificates: the revoked certificate still authenticates until it expires. Removing the RBAC bindings below takes its access away; only a CA rotation (airlock rotate) makes the certificate itself useless before it expires.";

/// A bash script removing the bindings that name the revoked identities. Bindings that
/// name only the revoked user are deleted; bindings shared with other subjects, and
/// group bindings (which affect every member of the group), are listed commented out for
/// the officer to decide. Without a snapshot, the script finds candidates with kubectl
/// and deletes nothing.
pub fn script(
    revoked: &[CertRevoked],
    groups: &[String],
    snapshot: Option<&[SnapshotBinding]>,
) -> String {
    let mut users: Vec<&str> = revoked.iter().map(|cert| cert.user.as_str()).collect();
    users.sort_unstable();
    users.dedup();
    let mut text =
        String::from("#!/usr/bin/env bash\n# Written by airlock revoke. Review before running.\n");
    for line in wrap(KUBERNETES_NOTE, 86) {
        let _ = writeln!(text, "# {line}");
    }
    text.push_str("#\n# Revoked:\n");
    for cert in revoked {
        let _ = writeln!(
            text,
            "#   serial {} user {} reason: {}",
            cert.serial,
            crate::text::name(&cert.user),
            crate::text::inert(&cert.reason, 120)
        );
    }
    text.push_str("set -euo pipefail\n\n");
    if let Some(bindings) = snapshot {
        for user in &users {
            for binding in matching_bindings(bindings, user, groups) {
                let namespace = binding
                    .namespace
                    .as_deref()
                    .map(|ns| format!("-n {} ", shell_quote(ns)))
                    .unwrap_or_default();
                let command = format!(
                    "kubectl {namespace}delete {} {}",
                    binding.kind.to_ascii_lowercase(),
                    shell_quote(&binding.name)
                );
                let only_this_user = binding
                    .subjects
                    .iter()
                    .all(|(kind, name)| kind == "User" && name == user);
                if only_this_user {
                    let _ = write!(
                        text,
                        "# {} grants {} to user {}\n{command}\n\n",
                        binding.kind,
                        crate::text::name(&binding.role),
                        crate::text::name(user)
                    );
                } else {
                    let _ = write!(
                        text,
                        "# {} grants {} to the user's groups or to other subjects too: deleting it affects them.\n# Edit it instead (kubectl {namespace}edit {} {}), or uncomment to delete:\n# {command}\n\n",
                        binding.kind,
                        crate::text::name(&binding.role),
                        binding.kind.to_ascii_lowercase(),
                        shell_quote(&binding.name)
                    );
                }
            }
        }
    } else {
        text.push_str("# No RBAC snapshot was given: this lists the bindings naming the user; it deletes nothing.\n");
        for user in &users {
            let _ = writeln!(
                text,
                "kubectl get clusterrolebindings,rolebindings -A -o jsonpath='{{range .items[*]}}{{.kind}} {{.metadata.namespace}}/{{.metadata.name}}: {{range .subjects[*]}}{{.kind}}={{.name}} {{end}}{{\"\\n\"}}{{end}}' | grep -F -- {}",
                shell_quote(&format!("User={user} "))
            );
        }
        text.push_str("# Then delete each binding found: kubectl [-n NAMESPACE] delete rolebinding|clusterrolebinding NAME\n");
    }
    text
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + word.len() + 1 > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_survive_the_shell() {
        assert_eq!(shell_quote("a'b"), "'a'\\''b'");
    }

    #[test]
    fn snapshot_matches_user_and_groups() {
        let yaml = "apiVersion: v1\nkind: List\nitems:\n- kind: ClusterRoleBinding\n  metadata: {name: alice-view}\n  roleRef: {kind: ClusterRole, name: view}\n  subjects: [{kind: User, name: alice}]\n- kind: RoleBinding\n  metadata: {name: devs, namespace: app}\n  roleRef: {kind: ClusterRole, name: edit}\n  subjects: [{kind: Group, name: dev}]\n- kind: ClusterRoleBinding\n  metadata: {name: bob}\n  roleRef: {kind: ClusterRole, name: view}\n  subjects: [{kind: User, name: bob}]\n";
        let bindings = parse_snapshot(yaml.as_bytes()).expect("parses");
        let matched = matching_bindings(&bindings, "alice", &["dev".to_owned()]);
        assert_eq!(matched.len(), 2);
        let revoked = [CertRevoked {
            serial: "01".to_owned(),
            ca: "c".to_owned(),
            user: "alice".to_owned(),
            reason: "left".to_owned(),
            time: "2026-01-01T00:00:00Z".to_owned(),
        }];
        let text = script(&revoked, &["dev".to_owned()], Some(&bindings));
        assert!(
            text.contains("\nkubectl delete clusterrolebinding 'alice-view'\n"),
            "{text}"
        );
        assert!(
            text.contains("# kubectl -n 'app' delete rolebinding 'devs'"),
            "{text}"
        );
        assert!(!text.contains("'bob'"));
        assert!(text.contains("does not check CRLs"));
    }
}
