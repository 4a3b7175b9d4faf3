//! Kubernetes objects around a certificate: kubeconfig, RBAC bindings, audit policy.

use base64::Engine as _;
use serde::Serialize;

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

// kubectl's schema (k8s.io/client-go/tools/clientcmd/api/v1): `apiVersion` is camel case
// while every other key of a kubeconfig is kebab case (`current-context`,
// `certificate-authority-data`); a kubeconfig with `api-version` loses its version.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Kubeconfig<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    clusters: Vec<Named<'a, ClusterEntry>>,
    users: Vec<Named<'a, UserEntry>>,
    contexts: Vec<Named<'a, ContextEntry<'a>>>,
    current_context: String,
}

#[derive(Serialize)]
struct Named<'a, T> {
    name: &'a str,
    #[serde(flatten)]
    value: T,
}

#[derive(Serialize)]
struct ClusterEntry {
    cluster: Cluster,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Cluster {
    server: String,
    certificate_authority_data: String,
}

#[derive(Serialize)]
struct UserEntry {
    user: User,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
#[allow(clippy::struct_field_names)] // the kubeconfig schema's own names
struct User {
    client_certificate_data: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_key_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_key: Option<String>,
}

#[derive(Serialize)]
struct ContextEntry<'a> {
    context: ContextValue<'a>,
}

#[derive(Serialize)]
struct ContextValue<'a> {
    cluster: &'a str,
    user: &'a str,
}

/// How the client key appears in a kubeconfig.
pub enum ClientKey<'a> {
    /// Embedded as `client-key-data` (PEM).
    Embedded(&'a str),
    /// Referenced as `client-key: PATH`, for the user to fill in or keep.
    Path(&'a str),
}

/// A kubeconfig with one cluster, one user and one context.
///
/// `cluster_ca_pem` becomes `certificate-authority-data`: the CA(s) that signed the API
/// server's serving certificate (kubeadm: the cluster CA).
pub fn kubeconfig(
    cluster: &str,
    user: &str,
    server: &str,
    cluster_ca_pem: &str,
    cert_pem: &str,
    key: &ClientKey<'_>,
) -> Result<String, String> {
    let context_name = format!("{user}@{cluster}");
    let (client_key_data, client_key) = match key {
        ClientKey::Embedded(pem) => (Some(base64(pem.as_bytes())), None),
        ClientKey::Path(path) => (None, Some((*path).to_owned())),
    };
    let document = Kubeconfig {
        api_version: "v1",
        kind: "Config",
        clusters: vec![Named {
            name: cluster,
            value: ClusterEntry {
                cluster: Cluster {
                    server: server.to_owned(),
                    certificate_authority_data: base64(cluster_ca_pem.as_bytes()),
                },
            },
        }],
        users: vec![Named {
            name: user,
            value: UserEntry {
                user: User {
                    client_certificate_data: base64(cert_pem.as_bytes()),
                    client_key_data,
                    client_key,
                },
            },
        }],
        contexts: vec![Named {
            name: &context_name,
            value: ContextEntry {
                context: ContextValue { cluster, user },
            },
        }],
        current_context: context_name.clone(),
    };
    serde_saphyr::to_string(&document).map_err(|error| error.to_string())
}

/// Who a binding names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A user (the certificate CN).
    User(String),
    /// A group (a certificate O value).
    Group(String),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Binding<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: BindingMetadata<'a>,
    subjects: Vec<BindingSubject<'a>>,
    role_ref: RoleRef<'a>,
}

#[derive(Serialize)]
struct BindingMetadata<'a> {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BindingSubject<'a> {
    kind: &'static str,
    name: &'a str,
    api_group: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RoleRef<'a> {
    kind: &'static str,
    name: &'a str,
    api_group: &'static str,
}

/// Reduces text to a DNS-1123 subdomain fragment for object names: lower-case
/// `[a-z0-9.-]`, other characters become `-`, bounded.
pub fn object_name_part(text: &str) -> String {
    let mapped: String = text
        .chars()
        .map(|character| {
            let lower = character.to_ascii_lowercase();
            if lower.is_ascii_lowercase() || lower.is_ascii_digit() || lower == '.' || lower == '-'
            {
                lower
            } else {
                '-'
            }
        })
        .take(100)
        .collect();
    let trimmed = mapped.trim_matches(|character| character == '-' || character == '.');
    if trimmed.is_empty() {
        "x".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// A `ClusterRoleBinding` (no namespace) or `RoleBinding` (namespace) granting `clusterrole`
/// to the subject, as in the Kubernetes RBAC documentation.
pub fn rbac_binding(
    subject: &Subject,
    clusterrole: &str,
    namespace: Option<&str>,
) -> Result<String, String> {
    let (kind, name) = match subject {
        Subject::User(name) => ("User", name.as_str()),
        Subject::Group(name) => ("Group", name.as_str()),
    };
    let binding = Binding {
        api_version: "rbac.authorization.k8s.io/v1",
        kind: if namespace.is_some() {
            "RoleBinding"
        } else {
            "ClusterRoleBinding"
        },
        metadata: BindingMetadata {
            name: format!(
                "airlock-{}-{}-{}",
                kind.to_ascii_lowercase(),
                object_name_part(name),
                object_name_part(clusterrole)
            ),
            namespace,
        },
        subjects: vec![BindingSubject {
            kind,
            name,
            api_group: "rbac.authorization.k8s.io",
        }],
        role_ref: RoleRef {
            kind: "ClusterRole",
            name: clusterrole,
            api_group: "rbac.authorization.k8s.io",
        },
    };
    serde_saphyr::to_string(&binding).map_err(|error| error.to_string())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuditPolicy<'a> {
    api_version: &'static str,
    kind: &'static str,
    omit_stages: Vec<&'static str>,
    rules: Vec<AuditRule<'a>>,
}

#[derive(Serialize)]
struct AuditRule<'a> {
    level: &'static str,
    users: &'a [String],
}

/// An `audit.k8s.io/v1` Policy logging every request of `users` at Metadata level (the
/// credential id `X509SHA256=...` appears in each event). Merge its rule into the
/// cluster's policy: rules are matched in order, the first match wins.
pub fn audit_policy(users: &[String]) -> Result<String, String> {
    let policy = AuditPolicy {
        api_version: "audit.k8s.io/v1",
        kind: "Policy",
        omit_stages: vec!["RequestReceived"],
        rules: vec![AuditRule {
            level: "Metadata",
            users,
        }],
    };
    serde_saphyr::to_string(&policy).map_err(|error| error.to_string())
}
