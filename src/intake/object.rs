//! Kubernetes `CertificateSigningRequest` objects (and `List`s of them) into pending
//! items.
//!
//! This file owns what an object must be before its `spec.request` is taken: what
//! kube-apiserver's own validation would demand of it. The kind and version, a valid
//! `metadata.name`, `spec.expirationSeconds` an int32 of at least 600 (refused outside
//! that range, as the API refuses it, never shortened), `spec.usages` present, each one
//! of the API's key usages and none twice, and a decodable request holding exactly one
//! PEM CSR. It decides no policy (which signer, which usages and what lifetime airlock
//! grants are judged in [`crate::policy`]) and never shows an object's strings except
//! through [`crate::text::name`].

use base64::Engine as _;
use serde::Deserialize;

use super::format::{Origin, Pending};
use super::{MAX_ITEMS_PER_FILE, MAX_REQUEST_BYTES, ObjectFields, sanitize};

/// A Kubernetes object as far as intake reads it; unknown fields are ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct KubeObject {
    api_version: Option<String>,
    kind: Option<String>,
    metadata: Option<KubeMetadata>,
    spec: Option<KubeCsrSpec>,
    items: Option<Vec<KubeObject>>,
}

#[derive(Debug, Deserialize)]
struct KubeMetadata {
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KubeCsrSpec {
    request: Option<String>,
    signer_name: Option<String>,
    usages: Option<Vec<String>>,
    expiration_seconds: Option<i64>,
    username: Option<String>,
}

/// Whether `name` is a valid Kubernetes object name (DNS-1123 subdomain).
pub fn is_kubernetes_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 253
        && bytes.iter().all(|byte| {
            byte.is_ascii_lowercase() || byte.is_ascii_digit() || *byte == b'-' || *byte == b'.'
        })
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

/// The items of a file's objects: a `List` is flattened one level.
pub(super) fn split_objects(
    input: &str,
    stem: &str,
    objects: Vec<Option<KubeObject>>,
) -> Vec<Pending> {
    let mut flat = Vec::new();
    for object in objects.into_iter().flatten() {
        if object.kind.as_deref() == Some("List") {
            flat.extend(
                object
                    .items
                    .unwrap_or_default()
                    .into_iter()
                    .map(|item| (item, true)),
            );
        } else {
            flat.push((object, false));
        }
    }
    if flat.is_empty() {
        return vec![Pending::refused(
            input,
            stem,
            "holds no Kubernetes object".to_owned(),
        )];
    }
    if flat.len() > MAX_ITEMS_PER_FILE {
        return vec![Pending::refused(
            input,
            stem,
            format!("holds more than {MAX_ITEMS_PER_FILE} objects"),
        )];
    }
    let several = flat.len() > 1;
    flat.into_iter()
        .enumerate()
        .map(|(index, (object, in_list))| {
            split_object(input, stem, object, in_list, several.then_some(index + 1))
        })
        .collect()
}

fn split_object(
    input: &str,
    stem: &str,
    object: KubeObject,
    in_list: bool,
    position: Option<usize>,
) -> Pending {
    let name = object
        .metadata
        .as_ref()
        .and_then(|metadata| metadata.name.clone())
        .unwrap_or_default();
    let shown_name = crate::text::name(&name);
    let item_input = match position {
        Some(_) if !name.is_empty() => format!("{input}[{shown_name}]"),
        Some(position) => format!("{input}#{position}"),
        None => input.to_owned(),
    };
    let item_stem = if name.is_empty() {
        stem.to_owned()
    } else {
        sanitize(&name)
    };
    let mut item = Pending::refused(&item_input, &item_stem, String::new());
    let kind = object.kind.clone().unwrap_or_default();
    if kind == "List" && in_list {
        item.request = Err("a List inside a List: refused".to_owned());
        return item;
    }
    if kind != "CertificateSigningRequest" {
        let looks_like_a_kind =
            kind.len() <= 63 && kind.bytes().all(|byte| byte.is_ascii_alphanumeric());
        item.request = Err(if kind.is_empty() {
            "not a Kubernetes object: no 'kind'".to_owned()
        } else if looks_like_a_kind {
            format!("a '{kind}', not a CertificateSigningRequest")
        } else {
            "an object whose 'kind' is not a Kubernetes kind, not a CertificateSigningRequest"
                .to_owned()
        });
        return item;
    }
    let api_version = object.api_version.unwrap_or_default();
    if api_version != "certificates.k8s.io/v1" {
        item.request = Err(format!(
            "apiVersion '{}' is not certificates.k8s.io/v1",
            crate::text::name(&api_version)
        ));
        return item;
    }
    if name.is_empty() {
        item.request = Err("CertificateSigningRequest has no metadata.name".to_owned());
        return item;
    }
    if !is_kubernetes_name(&name) {
        item.request = Err(format!(
            "metadata.name '{shown_name}' is not a valid Kubernetes object name (lower-case letters, digits, '-' and '.')"
        ));
        return item;
    }
    let Some(spec) = object.spec else {
        item.request = Err("CertificateSigningRequest has no spec".to_owned());
        return item;
    };
    item.request = validate_spec(&spec).and_then(|()| decode_request(spec.request.as_deref()));
    item.object = Some(ObjectFields {
        name,
        signer_name: spec.signer_name,
        usages: spec.usages.unwrap_or_default(),
        expiration_seconds: spec.expiration_seconds,
        username: spec.username,
    });
    item
}

/// kube-apiserver's smallest `spec.expirationSeconds`.
const MIN_EXPIRATION_SECONDS: i64 = 600;

/// Every value of the API's `KeyUsage` (`k8s.io/api/certificates/v1`).
const KUBERNETES_KEY_USAGES: [&str; 23] = [
    "signing",
    "digital signature",
    "content commitment",
    "key encipherment",
    "key agreement",
    "data encipherment",
    "cert sign",
    "crl sign",
    "encipher only",
    "decipher only",
    "any",
    "server auth",
    "client auth",
    "code signing",
    "email protection",
    "s/mime",
    "ipsec end system",
    "ipsec tunnel",
    "ipsec user",
    "timestamping",
    "ocsp signing",
    "microsoft sgc",
    "netscape sgc",
];

/// Refuses a spec that kube-apiserver would refuse to store: such an object would never
/// have been approved in a cluster, so airlock does not sign it either.
fn validate_spec(spec: &KubeCsrSpec) -> Result<(), String> {
    const REFUSED: &str = "the cluster would refuse this object";
    if let Some(seconds) = spec.expiration_seconds {
        if i32::try_from(seconds).is_err() {
            return Err(format!(
                "spec.expirationSeconds '{seconds}' is not an int32 (at most {}): {REFUSED}, and airlock does not shorten it",
                i32::MAX
            ));
        }
        if seconds < MIN_EXPIRATION_SECONDS {
            return Err(format!(
                "spec.expirationSeconds '{seconds}' is under kube-apiserver's minimum of {MIN_EXPIRATION_SECONDS}: {REFUSED}"
            ));
        }
    }
    let usages = spec.usages.as_deref().unwrap_or_default();
    if usages.is_empty() {
        return Err(format!("spec.usages is missing or empty: {REFUSED}"));
    }
    for (index, usage) in usages.iter().enumerate() {
        if !KUBERNETES_KEY_USAGES.contains(&usage.as_str()) {
            return Err(format!(
                "spec.usages value '{}' is not a Kubernetes key usage: {REFUSED}",
                crate::text::name(usage)
            ));
        }
        if usages[..index].contains(usage) {
            return Err(format!(
                "spec.usages lists '{}' twice: {REFUSED}",
                crate::text::name(usage)
            ));
        }
    }
    Ok(())
}

/// The DER of the one PEM CSR that `spec.request` (base64) holds.
fn decode_request(request: Option<&str>) -> Result<(Vec<u8>, Origin), String> {
    let Some(request) = request else {
        return Err("spec.request is missing".to_owned());
    };
    let compact: String = request
        .chars()
        .filter(|character| !character.is_ascii_whitespace())
        .collect();
    if compact.len() > MAX_REQUEST_BYTES * 4 / 3 + 4 {
        return Err(format!(
            "spec.request is larger than {MAX_REQUEST_BYTES} bytes"
        ));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|error| format!("spec.request is not valid base64 ({error})"))?;
    let blocks =
        pem::parse_many(&decoded).map_err(|_| "spec.request is not a PEM CSR".to_owned())?;
    let mut requests = blocks
        .into_iter()
        .filter(|block| block.tag() == "CERTIFICATE REQUEST");
    match (requests.next(), requests.next()) {
        (Some(block), None) => Ok((block.into_contents(), Origin::Object)),
        (Some(_), Some(_)) => Err("spec.request holds more than one CSR".to_owned()),
        (None, _) => Err("spec.request does not hold a PEM CERTIFICATE REQUEST block".to_owned()),
    }
}
