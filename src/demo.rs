//! The built-in demo batch: CSRs that show what airlock accepts and what it refuses.
//!
//! The CSRs' private keys are generated in memory and dropped: they never touch disk.

use std::path::Path;

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
use ring::rand::SecureRandom;
use ring::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
};

use crate::Error;
use crate::home::write_new;

/// The passphrase of the demo CA. Only for the demo home: never use it for a real CA.
pub const DEMO_PASSPHRASE: &str = "airlock demo passphrase";

#[derive(Clone, Copy)]
enum Key {
    P256,
    P384,
    Ed25519,
}

fn csr_pem(
    rng: &dyn SecureRandom,
    key: Key,
    cn: Option<&str>,
    org: Option<&str>,
) -> Result<String, Error> {
    let failed = |what: &str| Error::Refused(format!("demo: cannot make a CSR ({what})"));
    let document = match key {
        Key::P256 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, rng),
        Key::P384 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, rng),
        Key::Ed25519 => Ed25519KeyPair::generate_pkcs8(rng),
    }
    .map_err(|_| failed("key generation"))?;
    let key_pair =
        KeyPair::try_from(document.as_ref()).map_err(|error| failed(&error.to_string()))?;
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    if let Some(org) = org {
        name.push(DnType::OrganizationName, org);
    }
    if let Some(cn) = cn {
        name.push(DnType::CommonName, cn);
    }
    params.distinguished_name = name;
    let request = params
        .serialize_request(&key_pair)
        .map_err(|error| failed(&error.to_string()))?;
    request.pem().map_err(|error| failed(&error.to_string()))
}

fn csr_object(name: &str, csr_pem: &str, signer: &str, seconds: u32) -> String {
    use base64::Engine as _;
    let request = base64::engine::general_purpose::STANDARD.encode(csr_pem);
    format!(
        "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: {name}\nspec:\n  request: {request}\n  signerName: {signer}\n  expirationSeconds: {seconds}\n  usages:\n  - client auth\n"
    )
}

/// Writes the demo batch into `folder` (which must exist and be empty). Returns the file
/// names written.
pub fn write_intake(folder: &Path, rng: &dyn SecureRandom) -> Result<Vec<String>, Error> {
    let mut files: Vec<(&str, String)> = vec![
        (
            "alice.csr",
            csr_pem(rng, Key::P256, Some("alice"), Some("dev"))?,
        ),
        (
            "bob.pem",
            csr_pem(rng, Key::P384, Some("bob"), Some("ops"))?,
        ),
        (
            "ci-deployer.csr",
            csr_pem(
                rng,
                Key::Ed25519,
                Some("ci-deployer"),
                Some("system:automation"),
            )?,
        ),
    ];
    let carol = csr_pem(rng, Key::P256, Some("carol"), Some("dev"))?;
    files.push((
        "carol.yaml",
        csr_object(
            "carol",
            &carol,
            crate::intake::KUBE_APISERVER_CLIENT,
            7 * 24 * 3600,
        ),
    ));
    // Refused: asks for system:masters, which bypasses RBAC.
    files.push((
        "mallory.csr",
        csr_pem(rng, Key::P256, Some("mallory"), Some("system:masters"))?,
    ));
    // Refused: a control-plane identity.
    files.push((
        "fake-node.csr",
        csr_pem(
            rng,
            Key::P256,
            Some("system:node:worker-1"),
            Some("system:nodes"),
        )?,
    ));
    // Refused: a CN that hides terminal escapes; shown inert.
    files.push((
        "escape.csr",
        csr_pem(rng, Key::P256, Some("eve\u{1b}[2J\u{202e}"), Some("dev"))?,
    ));
    // Refused: no CN, so Kubernetes could not name the user.
    files.push(("no-cn.csr", csr_pem(rng, Key::P256, None, Some("dev"))?));
    // Refused: a serving-certificate signer.
    let dave = csr_pem(rng, Key::P256, Some("dave"), Some("dev"))?;
    files.push((
        "dave.yaml",
        csr_object("dave", &dave, "kubernetes.io/kubelet-serving", 3600),
    ));
    // Refused: a truncated file.
    let truncated: String = alice_prefix(&files[0].1);
    files.push(("truncated.csr", truncated));
    files.push((
        "config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n".to_owned(),
    ));

    let mut written = Vec::new();
    for (name, text) in files {
        write_new(&folder.join(name), text.as_bytes())?;
        written.push(name.to_owned());
    }
    Ok(written)
}

fn alice_prefix(pem: &str) -> String {
    pem.lines().take(3).fold(String::new(), |mut text, line| {
        text.push_str(line);
        text.push('\n');
        text
    })
}
