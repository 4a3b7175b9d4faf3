//! Revocation, honest about Kubernetes: a CRL for other consumers, and a script that
//! removes the RBAC bindings naming the revoked identity.
//!
//! Kubernetes checks no CRL for client certificates. What takes access away is removing
//! RBAC bindings; what makes the certificate itself useless before it expires is only a
//! CA rotation. Both texts say so.

use std::fmt::Write as _;

use serde::Serialize;

use crate::state::{CertIssued, CertRevoked};

mod snapshot;

pub use snapshot::{
    ALL_AUTHENTICATED, MAX_SNAPSHOT_BYTES, RoleBreadth, SnapshotBinding, matching_bindings,
    parse_snapshot,
};

/// Quotes text for a POSIX shell: single quotes, `'` written as `'\''`.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// The statement every revocation output carries.
pub const KUBERNETES_NOTE: &str = "Kubernetes does not check CRLs or OCSP for client certificates: the revoked certificate still authenticates until it expires. Removing the RBAC bindings below takes its access away; only a CA rotation (airlock rotate) makes the certificate itself useless before it expires.";

/// What the revocation script does with one binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BindingFate {
    /// The script deletes it (it names the revoked user alone).
    Deleted,
    /// The script lists it commented out: deleting it would affect others, so the officer
    /// decides.
    CommentedOut,
    /// Not in the script at all: its name cannot be written into a shell script safely.
    Skipped,
}

/// One binding the revocation script touches, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BindingStep {
    /// What the script does with it.
    pub fate: BindingFate,
    /// The binding in words, escaped, e.g.
    /// `ClusterRoleBinding 'alice-view' grants ClusterRole/view`.
    pub binding: String,
    /// Why it is deleted or only commented out, in plain words (escaped).
    pub why: String,
    /// The user's other active certificates (serials) that rely on this binding too:
    /// deleting it takes their access away as well.
    pub also_relied_on_by: Vec<String>,
    /// The kubectl command (live for a deleted binding, commented out otherwise; empty
    /// when skipped).
    pub command: String,
    /// A plain warning when the binding grants cluster-admin or wildcard rules
    /// ([`SnapshotBinding::warning`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// What the RBAC script will do and what access remains afterwards: the plan the script
/// is written from, so the summary and the script cannot disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct RbacPlan {
    /// Whether an RBAC snapshot was given (without one the script deletes nothing).
    pub from_snapshot: bool,
    /// The bindings matched, in the snapshot's order.
    pub steps: Vec<BindingStep>,
    /// What access remains once the script has run, in plain sentences (escaped).
    pub remaining: Vec<String>,
}

impl RbacPlan {
    /// The steps with this fate.
    pub fn with_fate(&self, fate: BindingFate) -> impl Iterator<Item = &BindingStep> {
        self.steps.iter().filter(move |step| step.fate == fate)
    }
}

/// Whether text can go into the script (a comment or a quoted word) without changing
/// what the script does: no control or invisible characters, so no newline ends a
/// comment and no terminal is fooled when the officer reads it.
fn scriptable(text: &str) -> bool {
    !text.chars().any(crate::text::is_unsafe)
}

/// The binding in words: kind, name, namespace, role; escaped.
fn described(binding: &SnapshotBinding) -> String {
    let place = binding
        .namespace
        .as_deref()
        .map_or_else(String::new, |namespace| {
            format!(" in namespace '{}'", crate::text::name(namespace))
        });
    format!(
        "{} '{}'{place} grants {}",
        binding.kind,
        crate::text::name(&binding.name),
        crate::text::name(&binding.role)
    )
}

/// Plans the RBAC part of a revocation: which bindings of the snapshot the script
/// deletes (those naming a revoked user alone), which it only lists commented out (group
/// bindings and bindings shared with other subjects), which of them the user's other
/// active certificates (`still_active`) rely on, and what access remains.
///
/// `revoked` are the certificates revoked now. Without a snapshot, nothing is deleted
/// and the plan says so. Bindings to `system:authenticated` are never touched: they
/// grant every authenticated user, and the revoked certificate keeps them.
pub fn rbac_plan(
    revoked: &[&CertIssued],
    still_active: &[&CertIssued],
    snapshot: Option<&[SnapshotBinding]>,
) -> RbacPlan {
    let mut users: Vec<&str> = revoked.iter().map(|cert| cert.user.as_str()).collect();
    users.sort_unstable();
    users.dedup();
    let mut plan = RbacPlan {
        from_snapshot: snapshot.is_some(),
        ..RbacPlan::default()
    };
    let Some(bindings) = snapshot else {
        plan.remaining.push(
            "unknown: no RBAC snapshot was given, so airlock cannot tell which bindings grant access; the script lists candidates with kubectl and deletes nothing"
                .to_owned(),
        );
        plan.remaining.extend(lasting_identity(revoked));
        return plan;
    };
    let mut seen = Vec::new();
    for user in &users {
        let groups: Vec<String> = revoked
            .iter()
            .filter(|cert| cert.user == *user)
            .flat_map(|cert| cert.groups.iter().cloned())
            .collect();
        let others: Vec<&&CertIssued> = still_active
            .iter()
            .filter(|cert| cert.user == *user)
            .collect();
        for binding in matching_bindings(bindings, user, &groups) {
            if seen.contains(&binding) {
                continue;
            }
            seen.push(binding);
            plan.steps.push(binding_step(binding, user, &others));
        }
    }
    let everyone: Vec<&SnapshotBinding> = bindings
        .iter()
        .filter(|binding| {
            binding
                .subjects
                .iter()
                .any(|(kind, name)| kind == "Group" && name == ALL_AUTHENTICATED)
        })
        .collect();
    let left: Vec<String> = plan
        .steps
        .iter()
        .filter_map(|step| match step.fate {
            BindingFate::Deleted => None,
            BindingFate::CommentedOut => Some(format!(
                "{}: left in place until you edit or delete it{}",
                step.binding,
                broad(step)
            )),
            BindingFate::Skipped => Some(format!(
                "{}: not in the script (control characters in its name); remove it by hand{}",
                step.binding,
                broad(step)
            )),
        })
        .collect();
    plan.remaining.extend(left);
    for binding in everyone {
        plan.remaining.push(format!(
            "{}: it names group '{ALL_AUTHENTICATED}', so every authenticated user keeps it, the revoked certificate included",
            described(binding)
        ));
    }
    if plan.steps.is_empty() {
        plan.remaining
            .push("the snapshot holds no binding naming the revoked user or its groups".to_owned());
    }
    plan.remaining.extend(lasting_identity(revoked));
    plan
}

/// `; warning: ...` for a step whose binding grants cluster-admin or wildcard rules.
fn broad(step: &BindingStep) -> String {
    step.warning
        .as_deref()
        .map_or_else(String::new, |warning| format!("; warning: {warning}"))
}

/// What the script decides for one binding matched by `user`.
fn binding_step(binding: &SnapshotBinding, user: &str, others: &[&&CertIssued]) -> BindingStep {
    let namespace = binding
        .namespace
        .as_deref()
        .map(|ns| format!("-n {} ", shell_quote(ns)))
        .unwrap_or_default();
    let kind = binding.kind.to_ascii_lowercase();
    let command = format!(
        "kubectl {namespace}delete {kind} {}",
        shell_quote(&binding.name)
    );
    let only_this_user = binding
        .subjects
        .iter()
        .all(|(kind, name)| kind == "User" && name == user);
    // Other active certificates of the same user authenticate as the same user name (and
    // carry their own groups): they rely on a user binding, and on a group binding when
    // they carry the group.
    let relied_on_by: Vec<String> = others
        .iter()
        .filter(|cert| {
            binding.subjects.iter().any(|(kind, name)| {
                (kind == "User" && name == user)
                    || (kind == "Group" && cert.groups.iter().any(|group| group == name))
            })
        })
        .map(|cert| cert.serial.clone())
        .collect();
    let safe = scriptable(&binding.name)
        && binding.namespace.as_deref().is_none_or(scriptable)
        && scriptable(&binding.role);
    let (fate, why, command) = if !safe {
        (
            BindingFate::Skipped,
            "its name or namespace holds control characters: not written into the script"
                .to_owned(),
            String::new(),
        )
    } else if only_this_user {
        let why = if relied_on_by.is_empty() {
            format!("it names user '{}' alone", crate::text::name(user))
        } else {
            format!(
                "it names user '{}' alone; the user's other active certificate(s) {} rely on it too, and lose that access when it is deleted",
                crate::text::name(user),
                relied_on_by.join(", ")
            )
        };
        (BindingFate::Deleted, why, command)
    } else {
        let groups: Vec<String> = binding
            .subjects
            .iter()
            .filter(|(kind, _)| kind == "Group")
            .map(|(_, name)| format!("'{}'", crate::text::name(name)))
            .collect();
        let why = if groups.is_empty() {
            "it names other subjects too: deleting it takes their access away".to_owned()
        } else {
            format!(
                "it grants through group {}: deleting it takes the access of every member away",
                groups.join(", ")
            )
        };
        (BindingFate::CommentedOut, why, command)
    };
    BindingStep {
        fate,
        binding: described(binding),
        why,
        also_relied_on_by: relied_on_by,
        command,
        warning: binding.warning(),
    }
}

/// The access the revoked certificates keep whatever the bindings: their identity.
fn lasting_identity(revoked: &[&CertIssued]) -> Vec<String> {
    revoked
        .iter()
        .map(|cert| {
            let groups = if cert.groups.is_empty() {
                String::new()
            } else {
                let quoted: Vec<String> = cert
                    .groups
                    .iter()
                    .map(|group| format!("'{}'", crate::text::name(group)))
                    .collect();
                format!(" in group(s) {}", quoted.join(", "))
            };
            format!(
                "serial {} still authenticates as user '{}'{groups} until {} (Kubernetes checks no CRL): any binding that names them later grants it access again",
                cert.serial,
                crate::text::name(&cert.user),
                crate::text::name(&cert.not_after)
            )
        })
        .collect()
}

/// A bash script carrying out `plan`: it deletes the bindings that name a revoked user
/// alone, lists the others commented out with why, and ends with the access that
/// remains. Without a snapshot, it finds candidates with kubectl and deletes nothing.
/// Only text with no control characters reaches the script (see [`BindingFate::Skipped`]).
pub fn script(revoked: &[CertRevoked], plan: &RbacPlan) -> String {
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
        let code = cert
            .code
            .as_deref()
            .filter(|code| *code != cert.reason)
            .map(|code| format!("{}: ", crate::text::name(code)))
            .unwrap_or_default();
        let _ = writeln!(
            text,
            "#   serial {} user {} reason: {code}{}",
            crate::text::name(&cert.serial),
            crate::text::name(&cert.user),
            crate::text::inert(&cert.reason, 120)
        );
    }
    text.push_str("set -euo pipefail\n\n");
    if plan.from_snapshot {
        for step in &plan.steps {
            if let Some(warning) = &step.warning {
                let _ = writeln!(text, "# WARNING: {warning}");
            }
            match step.fate {
                BindingFate::Deleted => {
                    let _ = write!(
                        text,
                        "# {}: {}\n{}\n\n",
                        step.binding, step.why, step.command
                    );
                }
                BindingFate::CommentedOut => {
                    let _ = write!(
                        text,
                        "# {}: {}.\n# Edit it instead ({}), or uncomment to delete:\n# {}\n\n",
                        step.binding,
                        step.why,
                        step.command.replacen(" delete ", " edit ", 1),
                        step.command
                    );
                }
                BindingFate::Skipped => {
                    let _ = write!(text, "# {}: {}.\n\n", step.binding, step.why);
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
    text.push_str("\n# Access that remains after this script:\n");
    for line in &plan.remaining {
        let _ = writeln!(text, "#   - {line}");
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

    fn issued(serial: &str, user: &str, groups: &[&str]) -> CertIssued {
        CertIssued {
            ca: "c".to_owned(),
            serial: serial.to_owned(),
            user: user.to_owned(),
            groups: groups.iter().map(|group| (*group).to_owned()).collect(),
            not_before: "2026-01-01T00:00:00Z".to_owned(),
            not_after: "2026-04-01T00:00:00Z".to_owned(),
            profile: "human".to_owned(),
            csr_sha256: String::new(),
            key_sha256: String::new(),
            input: String::new(),
            output: String::new(),
            batch: String::new(),
            cert: String::new(),
            reissue_of: None,
        }
    }

    fn revoked(serial: &str, user: &str) -> CertRevoked {
        CertRevoked {
            serial: serial.to_owned(),
            ca: "c".to_owned(),
            user: user.to_owned(),
            reason: "left".to_owned(),
            time: "2026-01-01T00:00:00Z".to_owned(),
            code: Some("cessationOfOperation".to_owned()),
        }
    }

    const SNAPSHOT: &str = "apiVersion: v1\nkind: List\nitems:\n- kind: ClusterRoleBinding\n  metadata: {name: alice-view}\n  roleRef: {kind: ClusterRole, name: view}\n  subjects: [{kind: User, name: alice}]\n- kind: RoleBinding\n  metadata: {name: devs, namespace: app}\n  roleRef: {kind: ClusterRole, name: edit}\n  subjects: [{kind: Group, name: dev}]\n- kind: ClusterRoleBinding\n  metadata: {name: bob}\n  roleRef: {kind: ClusterRole, name: view}\n  subjects: [{kind: User, name: bob}]\n- kind: ClusterRoleBinding\n  metadata: {name: discovery}\n  roleRef: {kind: ClusterRole, name: 'system:discovery'}\n  subjects: [{kind: Group, name: 'system:authenticated'}]\n";

    #[test]
    fn the_plan_and_the_script_agree_on_what_is_deleted() {
        let bindings = parse_snapshot(SNAPSHOT.as_bytes()).expect("parses");
        let matched = matching_bindings(&bindings, "alice", &["dev".to_owned()]);
        assert_eq!(matched.len(), 2);
        let alice = issued("01", "alice", &["dev"]);
        let plan = rbac_plan(&[&alice], &[], Some(&bindings));
        let deleted: Vec<&str> = plan
            .with_fate(BindingFate::Deleted)
            .map(|step| step.binding.as_str())
            .collect();
        assert_eq!(
            deleted,
            ["ClusterRoleBinding 'alice-view' grants ClusterRole/view"]
        );
        let commented: Vec<&BindingStep> = plan.with_fate(BindingFate::CommentedOut).collect();
        assert_eq!(commented.len(), 1);
        assert_eq!(
            commented[0].why,
            "it grants through group 'dev': deleting it takes the access of every member away"
        );
        assert!(
            plan.remaining
                .iter()
                .any(|line| line.contains("'devs'") && line.contains("left in place"))
        );
        assert!(
            plan.remaining
                .iter()
                .any(|line| line.contains("'discovery'")
                    && line.contains("every authenticated user keeps it"))
        );
        assert!(plan.remaining.iter().any(|line| line.starts_with(
            "serial 01 still authenticates as user 'alice' in group(s) 'dev' until 2026-04-01"
        )));

        let text = script(&[revoked("01", "alice")], &plan);
        assert!(
            text.contains("\nkubectl delete clusterrolebinding 'alice-view'\n"),
            "{text}"
        );
        assert!(
            text.contains("\n# kubectl -n 'app' delete rolebinding 'devs'\n"),
            "{text}"
        );
        assert!(text.contains("# Edit it instead (kubectl -n 'app' edit rolebinding 'devs')"));
        assert!(
            text.contains("reason: cessationOfOperation: left"),
            "{text}"
        );
        assert!(text.contains("# Access that remains after this script:\n#   - "));
        assert!(!text.contains("'bob'"));
        assert!(text.contains("does not check CRLs"));
        let live: Vec<&str> = text
            .lines()
            .filter(|line| !line.starts_with('#') && line.contains("kubectl"))
            .collect();
        assert_eq!(live, ["kubectl delete clusterrolebinding 'alice-view'"]);
    }

    #[test]
    fn revoking_one_serial_says_the_other_certificate_relies_on_the_binding() {
        let bindings = parse_snapshot(SNAPSHOT.as_bytes()).expect("parses");
        let revoked_now = issued("01", "alice", &[]);
        let other = issued("02", "alice", &["dev"]);
        let stranger = issued("03", "bob", &["dev"]);
        let plan = rbac_plan(&[&revoked_now], &[&other, &stranger], Some(&bindings));
        let steps: Vec<&BindingStep> = plan.steps.iter().collect();
        assert_eq!(
            steps.len(),
            1,
            "alice's revoked certificate is not in 'dev'"
        );
        assert_eq!(steps[0].fate, BindingFate::Deleted);
        assert_eq!(steps[0].also_relied_on_by, ["02"]);
        assert!(
            steps[0]
                .why
                .contains("other active certificate(s) 02 rely on it too")
        );
    }

    #[test]
    fn a_group_cluster_admin_left_in_place_is_named_in_what_remains() {
        let yaml = "kind: List\nitems:\n- {kind: ClusterRoleBinding, metadata: {name: dev-admins}, roleRef: {kind: ClusterRole, name: cluster-admin}, subjects: [{kind: Group, name: dev}]}\n";
        let bindings = parse_snapshot(yaml.as_bytes()).expect("parses");
        let alice = issued("01", "alice", &["dev"]);
        let plan = rbac_plan(&[&alice], &[], Some(&bindings));
        assert_eq!(plan.steps[0].fate, BindingFate::CommentedOut);
        assert_eq!(
            plan.remaining[0],
            "ClusterRoleBinding 'dev-admins' grants ClusterRole/cluster-admin: left in place until you edit or delete it; warning: ClusterRoleBinding 'dev-admins' grants cluster-admin: full control of the cluster"
        );
    }

    #[test]
    fn a_binding_name_that_would_break_out_of_a_comment_is_never_scripted() {
        // The snapshot is untrusted: a newline in a name would end the comment of a
        // commented-out delete and run the rest as a command.
        let yaml = "kind: List\nitems:\n- kind: RoleBinding\n  metadata: {name: \"x\\nrm -rf ~ #\", namespace: app}\n  roleRef: {kind: ClusterRole, name: edit}\n  subjects: [{kind: Group, name: dev}, {kind: User, name: alice}]\n";
        let bindings = parse_snapshot(yaml.as_bytes()).expect("parses");
        let alice = issued("01", "alice", &["dev"]);
        let plan = rbac_plan(&[&alice], &[], Some(&bindings));
        assert_eq!(plan.steps[0].fate, BindingFate::Skipped);
        let text = script(&[revoked("01", "alice")], &plan);
        assert!(!text.lines().any(|line| line.starts_with("rm")), "{text}");
        assert!(text.contains("\\u{a}rm -rf"), "{text}");
    }

    #[test]
    fn without_a_snapshot_nothing_is_deleted_and_the_plan_says_so() {
        let alice = issued("01", "alice", &[]);
        let plan = rbac_plan(&[&alice], &[], None);
        assert!(plan.steps.is_empty());
        assert!(plan.remaining[0].starts_with("unknown: no RBAC snapshot was given"));
        let text = script(&[revoked("01", "alice")], &plan);
        assert!(text.contains("it deletes nothing"));
        assert!(
            !text
                .lines()
                .any(|line| !line.starts_with('#') && line.contains(" delete "))
        );
    }
}
