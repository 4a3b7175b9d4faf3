//! RBAC snapshots as `kubectl get clusterroles,roles,clusterrolebindings,rolebindings
//! -A -o yaml` prints them, carried in on the media: untrusted input, parsed within
//! bounds. Keeps the bindings, and judges how broad each one's role is (`cluster-admin`,
//! or rules with `*`) from the role objects when the snapshot holds them.
//!
//! Does not decide what to delete (the revocation script does) and shows nothing: every
//! string it hands back that came from the snapshot must be escaped before display,
//! except [`SnapshotBinding::warning`], which escapes its own.

use serde::Deserialize;

/// Largest RBAC snapshot read, in bytes.
pub const MAX_SNAPSHOT_BYTES: usize = 32 << 20;

/// The group every authenticated user belongs to, whatever the certificate says:
/// kube-apiserver adds it to every x509 login, so a binding naming it applies to all.
pub const ALL_AUTHENTICATED: &str = "system:authenticated";

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
    /// How much the role grants, as far as the snapshot tells.
    pub breadth: RoleBreadth,
}

/// How much a binding's role grants. Judged from the role's name (`cluster-admin`) and,
/// when the snapshot also holds the `ClusterRole` and `Role` objects, from their rules.
/// Not judged: escalation through verbs such as `bind`, `escalate` or `impersonate`, and
/// roles the snapshot does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoleBreadth {
    /// Nothing in the snapshot says the role is broad (or the role is not in it).
    #[default]
    Limited,
    /// `cluster-admin`, or a rule with `*` in verbs, resources and API groups alike:
    /// every action on every resource.
    Everything,
    /// A rule with `*` in some of verbs, resources or API groups.
    Wildcard {
        /// `*` in verbs.
        verbs: bool,
        /// `*` in resources.
        resources: bool,
        /// `*` in API groups.
        api_groups: bool,
    },
}

impl SnapshotBinding {
    /// Where the binding applies, in words: the cluster, or one namespace.
    fn scope(&self) -> String {
        match &self.namespace {
            Some(namespace) if self.kind == "RoleBinding" => {
                format!("namespace {}", quoted(namespace))
            }
            _ => "the cluster".to_owned(),
        }
    }

    /// A plain warning when the binding grants everything or wildcard rules, naming the
    /// binding (escaped); `None` for a limited role.
    pub fn warning(&self) -> Option<String> {
        let place = self
            .namespace
            .as_deref()
            .map_or_else(String::new, |namespace| {
                format!(" in namespace {}", quoted(namespace))
            });
        let binding = format!("{} {}{place}", self.kind, quoted(&self.name));
        match self.breadth {
            RoleBreadth::Limited => None,
            RoleBreadth::Everything if self.kind == "RoleBinding" => Some(format!(
                "{binding} grants cluster-admin within {}: full control of that namespace",
                self.scope()
            )),
            RoleBreadth::Everything => Some(format!(
                "{binding} grants cluster-admin: full control of the cluster"
            )),
            RoleBreadth::Wildcard {
                verbs,
                resources,
                api_groups,
            } => {
                let fields: Vec<&str> = [
                    (verbs, "verbs"),
                    (resources, "resources"),
                    (api_groups, "apiGroups"),
                ]
                .into_iter()
                .filter_map(|(set, field)| set.then_some(field))
                .collect();
                Some(format!(
                    "{binding} grants {} whose rules allow '*' in {} across {}: check this much access is meant",
                    crate::text::name(&self.role),
                    fields.join(", "),
                    self.scope()
                ))
            }
        }
    }
}

/// `'text'`, escaped.
fn quoted(text: &str) -> String {
    format!("'{}'", crate::text::name(text))
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
    rules: Option<Vec<SnapshotRule>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotRule {
    verbs: Option<Vec<String>>,
    resources: Option<Vec<String>>,
    api_groups: Option<Vec<String>>,
}

/// A `ClusterRole` or `Role` of the snapshot: where it lives and how broad it is.
struct SnapshotRole {
    kind: String,
    name: String,
    namespace: Option<String>,
    breadth: RoleBreadth,
}

/// The breadth of a role's rules: `*` in every field of one rule is everything.
fn rules_breadth(rules: &[SnapshotRule]) -> RoleBreadth {
    let star = |values: &Option<Vec<String>>| {
        values
            .as_deref()
            .is_some_and(|values| values.iter().any(|value| value.trim() == "*"))
    };
    let mut breadth = RoleBreadth::Limited;
    for rule in rules {
        let (verbs, resources, api_groups) = (
            star(&rule.verbs),
            star(&rule.resources),
            star(&rule.api_groups),
        );
        if verbs && resources && api_groups {
            return RoleBreadth::Everything;
        }
        if verbs || resources || api_groups {
            breadth = match breadth {
                RoleBreadth::Wildcard {
                    verbs: v,
                    resources: r,
                    api_groups: a,
                } => RoleBreadth::Wildcard {
                    verbs: v || verbs,
                    resources: r || resources,
                    api_groups: a || api_groups,
                },
                _ => RoleBreadth::Wildcard {
                    verbs,
                    resources,
                    api_groups,
                },
            };
        }
    }
    breadth
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

/// Parses an RBAC snapshot (YAML or JSON `kind: List`), bounded like intake YAML. The
/// bindings are kept; `ClusterRole` and `Role` objects, when the snapshot holds them, only
/// judge each binding's [`RoleBreadth`].
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
            "not a 'kind: List' (use kubectl get clusterroles,roles,clusterrolebindings,rolebindings -A -o yaml)"
                .to_owned(),
        );
    }
    let mut bindings = Vec::new();
    let mut roles = Vec::new();
    for item in list.items.unwrap_or_default() {
        let kind = item.kind.unwrap_or_default();
        let metadata = item.metadata.unwrap_or(SnapshotMetadata {
            name: None,
            namespace: None,
        });
        if kind == "ClusterRole" || kind == "Role" {
            roles.push(SnapshotRole {
                breadth: rules_breadth(item.rules.as_deref().unwrap_or_default()),
                kind,
                name: metadata.name.unwrap_or_default(),
                namespace: metadata.namespace,
            });
            continue;
        }
        if kind != "ClusterRoleBinding" && kind != "RoleBinding" {
            continue;
        }
        let (role_kind, role_name) = item.role_ref.map_or_else(Default::default, |role| {
            (role.kind.unwrap_or_default(), role.name.unwrap_or_default())
        });
        bindings.push((
            role_kind,
            role_name,
            SnapshotBinding {
                kind,
                name: metadata.name.unwrap_or_default(),
                namespace: metadata.namespace,
                role: String::new(),
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
                breadth: RoleBreadth::Limited,
            },
        ));
    }
    Ok(bindings
        .into_iter()
        .map(|(role_kind, role_name, mut binding)| {
            // A RoleBinding may name a Role of its own namespace or any ClusterRole; a
            // ClusterRoleBinding only a ClusterRole.
            let found = roles.iter().find(|role| {
                role.kind == role_kind
                    && role.name == role_name
                    && (role.kind == "ClusterRole" || role.namespace == binding.namespace)
            });
            binding.breadth = if role_kind == "ClusterRole" && role_name == "cluster-admin" {
                RoleBreadth::Everything
            } else {
                found.map_or(RoleBreadth::Limited, |role| role.breadth)
            };
            binding.role = format!("{role_kind}/{role_name}");
            binding
        })
        .collect())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot with roles: `ops-admin` binds `cluster-admin` by name; `star` binds a
    /// `ClusterRole` with `*` everywhere; `pods-any` a Role of namespace `app` with `*` in
    /// verbs only; `view-all` a plain role; `other-ns` binds a Role of the same name as a
    /// wildcard one, but in another namespace (so it is not that role).
    const ROLES: &str = "kind: List\nitems:\n\
- {kind: ClusterRole, metadata: {name: star}, rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]}\n\
- {kind: Role, metadata: {name: pods-any, namespace: app}, rules: [{apiGroups: [''], resources: [pods], verbs: ['*']}]}\n\
- {kind: ClusterRole, metadata: {name: view}, rules: [{apiGroups: [''], resources: [pods], verbs: [get]}]}\n\
- {kind: ClusterRoleBinding, metadata: {name: ops-admin}, roleRef: {kind: ClusterRole, name: cluster-admin}, subjects: [{kind: Group, name: ops}]}\n\
- {kind: ClusterRoleBinding, metadata: {name: star}, roleRef: {kind: ClusterRole, name: star}, subjects: [{kind: User, name: alice}]}\n\
- {kind: RoleBinding, metadata: {name: pods-any, namespace: app}, roleRef: {kind: Role, name: pods-any}, subjects: [{kind: User, name: alice}]}\n\
- {kind: RoleBinding, metadata: {name: other-ns, namespace: web}, roleRef: {kind: Role, name: pods-any}, subjects: [{kind: User, name: alice}]}\n\
- {kind: RoleBinding, metadata: {name: app-admin, namespace: app}, roleRef: {kind: ClusterRole, name: star}, subjects: [{kind: User, name: alice}]}\n\
- {kind: ClusterRoleBinding, metadata: {name: view-all}, roleRef: {kind: ClusterRole, name: view}, subjects: [{kind: User, name: alice}]}\n";

    #[test]
    fn wildcard_and_cluster_admin_roles_are_judged_broad() {
        let bindings = parse_snapshot(ROLES.as_bytes()).expect("parses");
        let breadth = |name: &str| {
            bindings
                .iter()
                .find(|binding| binding.name == name)
                .map(|binding| (binding.breadth, binding.warning()))
                .expect("binding")
        };
        assert_eq!(bindings.len(), 6, "roles are not bindings");
        assert_eq!(
            breadth("ops-admin"),
            (
                RoleBreadth::Everything,
                Some(
                    "ClusterRoleBinding 'ops-admin' grants cluster-admin: full control of the cluster"
                        .to_owned()
                )
            )
        );
        assert_eq!(breadth("star").0, RoleBreadth::Everything);
        let (pods, warning) = breadth("pods-any");
        assert_eq!(
            pods,
            RoleBreadth::Wildcard {
                verbs: true,
                resources: false,
                api_groups: false
            }
        );
        assert_eq!(
            warning.as_deref(),
            Some(
                "RoleBinding 'pods-any' in namespace 'app' grants Role/pods-any whose rules allow '*' in verbs across namespace 'app': check this much access is meant"
            )
        );
        assert_eq!(breadth("other-ns"), (RoleBreadth::Limited, None));
        assert_eq!(
            breadth("app-admin").1.as_deref(),
            Some(
                "RoleBinding 'app-admin' in namespace 'app' grants cluster-admin within namespace 'app': full control of that namespace"
            )
        );
        assert_eq!(breadth("view-all"), (RoleBreadth::Limited, None));
    }

    #[test]
    fn a_hostile_binding_name_is_escaped_in_the_warning() {
        let yaml = "kind: List\nitems:\n- {kind: ClusterRoleBinding, metadata: {name: \"x\\e[2J\"}, roleRef: {kind: ClusterRole, name: cluster-admin}, subjects: [{kind: User, name: a}]}\n";
        let bindings = parse_snapshot(yaml.as_bytes()).expect("parses");
        let warning = bindings[0].warning().expect("flagged");
        assert!(!warning.contains('\u{1b}'), "{warning}");
        assert!(warning.contains("\\u{1b}"), "{warning}");
    }
}
