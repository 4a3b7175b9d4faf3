//! Exports around a certificate: kubeconfig, audit policy, and `issue` (a key pair made
//! here for an automation account, leaving only age-encrypted).

use std::path::PathBuf;

use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use serde::Serialize;
use zeroize::Zeroizing;

use super::batch::{check_out_folder, create_out_folder, record_issuance};
use super::{Context, Session, Unlock};
use crate::Error;
use crate::export::ExportError;
use crate::export::kube::{self, ClientKey};
use crate::home::write_new;
use crate::policy::{self, Judge};
use crate::state::KIND_NOTE;

/// `airlock export kubeconfig`.
#[derive(Clone)]
pub struct KubeconfigRequest {
    /// The certificate to put in it.
    pub serial: String,
    /// The API server URL.
    pub server: String,
    /// The CA(s) of the API server's serving certificate, PEM; default: the CAs the
    /// client bundle trusts now (kubeadm signs the serving certificate with the cluster CA).
    pub cluster_ca_pem: Option<String>,
    /// The client's private key PEM, to embed; `None` leaves a `client-key` path.
    pub client_key_pem: Option<Zeroizing<String>>,
    /// Cluster name in the kubeconfig.
    pub cluster_name: String,
}

impl std::fmt::Debug for KubeconfigRequest {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("KubeconfigRequest")
            .field("serial", &self.serial)
            .field("server", &self.server)
            .field(
                "client_key_pem",
                &self.client_key_pem.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

/// Builds a kubeconfig for an issued certificate. Checks that an embedded key matches
/// the certificate. The caller writes it (mode 0600).
pub fn kubeconfig(session: &Session, request: &KubeconfigRequest) -> Result<String, Error> {
    let cert = session
        .state()
        .certificate(&request.serial)
        .ok_or_else(|| {
            Error::Refused(format!(
                "no certificate with serial '{}'",
                crate::text::name(&request.serial)
            ))
        })?;
    if let Some(revoked) = session.state().revocation(&cert.serial) {
        return Err(Error::Refused(format!(
            "serial {} is revoked ({})",
            cert.serial,
            crate::text::name(&revoked.reason)
        )));
    }
    // The key first: a key that is not the certificate's is the more specific mistake.
    let path_hint = format!("{}.key", crate::intake::sanitize(&cert.user));
    let key = match &request.client_key_pem {
        Some(pem) => {
            check_key_matches(pem, &cert.cert)?;
            ClientKey::Embedded(pem)
        }
        None => ClientKey::Path(&path_hint),
    };
    let (cluster_ca, header) = if let Some(pem) = &request.cluster_ca_pem {
        check_certificates(pem)?;
        (pem.clone(), String::new())
    } else {
        let kubeadm = kubeadm_ca(session)?;
        let header = format!(
            "# certificate-authority-data is this airlock home's client-CA bundle (CA '{}', {}, imported).\n\
                 # It is right only because that CA (kubeadm's cluster CA) also signed the API server's\n\
                 # serving certificate; if the API server's certificate comes from another CA, export\n\
                 # again with that CA.\n",
            kubeadm.common_name, kubeadm.id
        );
        (
            crate::rotation::bundle_pem(&session.state().trusted_cas(), false),
            header,
        )
    };
    let body = kube::kubeconfig(
        &request.cluster_name,
        &cert.user,
        &request.server,
        &cluster_ca,
        &cert.cert,
        &key,
    )
    .map_err(|reason| Error::Refused(format!("cannot write the kubeconfig: {reason}")))?;
    Ok(header + &body)
}

/// The trusted CA (or the CA it renews) that came from kubeadm, whose bundle may stand for
/// the API server's CA in a kubeconfig. A CA generated here signed no API server: then
/// [`ExportError::ClusterCaNeeded`], naming the CA that signs now.
fn kubeadm_ca(session: &Session) -> Result<crate::ca::CaInfo, Error> {
    let state = session.state();
    let imported = state.trusted_cas().into_iter().find_map(|trusted| {
        state
            .lineage(&trusted.certificate.info().id)
            .iter()
            .filter_map(|id| state.ca(id))
            .any(|record| record.origin == "imported")
            .then(|| trusted.certificate.info().clone())
    });
    if let Some(info) = imported {
        return Ok(info);
    }
    let signing = state
        .signing_ca()
        .or_else(|| state.trusted_cas().first().copied());
    Err(ExportError::ClusterCaNeeded {
        ca: signing.map_or_else(String::new, |ca| ca.certificate.info().common_name.clone()),
        origin: signing.map_or_else(|| "no CA".to_owned(), |ca| ca.origin.clone()),
    }
    .into())
}

fn check_key_matches(key_pem: &str, cert_pem: &str) -> Result<(), Error> {
    let refuse = |reason: &str| Error::Refused(format!("client key: {reason}"));
    let cert_der = pem::parse(cert_pem).map_err(|_| refuse("certificate does not parse"))?;
    let (_, cert) = <x509_parser::certificate::X509Certificate<'_> as x509_parser::prelude::FromDer<'_, _>>::from_der(cert_der.contents())
        .map_err(|_| refuse("certificate does not parse"))?;
    let kind = crate::pubkey::KeyKind::of(cert.public_key());
    let input = crate::ca::ImportInput {
        name: "client key",
        bytes: key_pem.as_bytes(),
    };
    let pkcs8 =
        crate::ca::private_key_pkcs8(&input, &kind).map_err(|error| refuse(&error.to_string()))?;
    let pair = rcgen::KeyPair::try_from(pkcs8.as_slice())
        .map_err(|_| refuse("not a supported private key"))?;
    if pair.public_key_raw() != cert.public_key().subject_public_key.data.as_ref() {
        return Err(refuse("does not match the certificate"));
    }
    Ok(())
}

/// Refuses a `--cluster-ca` that is not one or more PEM certificates.
fn check_certificates(pem_text: &str) -> Result<(), Error> {
    let refuse = |reason: &str| Error::Refused(format!("cluster CA: {reason}"));
    let blocks = pem::parse_many(pem_text).map_err(|_| refuse("the PEM encoding is damaged"))?;
    if blocks.is_empty() || blocks.iter().any(|block| block.tag() != "CERTIFICATE") {
        return Err(refuse("expected PEM CERTIFICATE blocks only"));
    }
    for block in &blocks {
        <x509_parser::certificate::X509Certificate<'_> as x509_parser::prelude::FromDer<'_, _>>::from_der(block.contents())
            .map_err(|_| refuse("a certificate does not parse"))?;
    }
    Ok(())
}

/// An `audit.k8s.io/v1` Policy logging, at Metadata level, every user airlock issued an
/// unexpired certificate to under a CA the bundle trusts: revoked certificates included.
///
/// Kubernetes checks no CRL: a revoked certificate still authenticates until it expires
/// (or its CA leaves the bundle), so its user is the one to watch most. The policy says so
/// in a comment and names those users there (made inert: a comment line cannot be ended
/// by a user name).
pub fn audit_policy(session: &Session, now: time::OffsetDateTime) -> Result<String, Error> {
    let state = session.state();
    let authenticating: Vec<_> = state
        .issued()
        .iter()
        .filter(|cert| cert.not_after_time() > now && state.is_trusted_issuer(&cert.ca))
        .collect();
    let mut users: Vec<String> = authenticating
        .iter()
        .map(|cert| cert.user.clone())
        .collect();
    users.sort();
    users.dedup();
    let mut revoked: Vec<String> = authenticating
        .iter()
        .filter(|cert| state.revocation(&cert.serial).is_some())
        .map(|cert| crate::text::name(&cert.user))
        .collect();
    revoked.sort();
    revoked.dedup();
    if users.is_empty() {
        return Err(Error::Refused(
            "no unexpired certificate: the policy would name no user".to_owned(),
        ));
    }
    let policy = kube::audit_policy(&users)
        .map_err(|reason| Error::Refused(format!("cannot write the audit policy: {reason}")))?;
    let mut header = String::from(
        "# Every user holding an unexpired airlock certificate under a CA the API server trusts.\n",
    );
    if !revoked.is_empty() {
        header.push_str(
            "# Revoked certificates are included: Kubernetes checks no CRL, so a revoked\n\
             # certificate still authenticates until it expires or its CA is rotated out.\n\
             # Watch these users most (revoked, still able to log in):\n",
        );
        for user in &revoked {
            header.push_str("#   ");
            header.push_str(user);
            header.push('\n');
        }
    }
    Ok(header + &policy)
}

/// `airlock issue`.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    /// The user (CN).
    pub user: String,
    /// The groups (O values).
    pub groups: Vec<String>,
    /// The age recipient (`age1...`) the private key is encrypted to.
    pub recipient: String,
    /// Output folder.
    pub out: PathBuf,
    /// With a server URL, also an encrypted kubeconfig embedding the key.
    pub server: Option<String>,
    /// Requested lifetime, capped by the profile.
    pub days: Option<u32>,
}

/// What `issue` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct IssueReport {
    /// Serial, hex.
    pub serial: String,
    /// The certificate (public).
    pub cert_file: PathBuf,
    /// The private key, age-encrypted to the recipient.
    pub key_file: PathBuf,
    /// The kubeconfig with the key, age-encrypted, when a server was given.
    pub kubeconfig_file: Option<PathBuf>,
    /// End of validity.
    pub not_after: String,
}

/// Makes an ECDSA P-256 key pair here, certifies it under the policy, and writes the
/// certificate plus the key (and a kubeconfig embedding it) age-encrypted to the
/// recipient. The plaintext key exists only in zeroizing memory.
pub fn issue(
    session: &mut Session,
    request: &IssueRequest,
    unlock: &dyn Unlock,
    context: &Context<'_>,
) -> Result<IssueReport, Error> {
    let recipient: age::x25519::Recipient = request.recipient.trim().parse().map_err(|reason| {
        Error::Refused(format!(
            "'{}' is not an age X25519 recipient (age1...): {reason}",
            crate::text::name(&request.recipient)
        ))
    })?;
    let ca_id = session
        .state()
        .signing_ca()
        .map(|ca| ca.certificate.info().id.clone())
        .ok_or_else(|| Error::Refused("this home has no CA yet".to_owned()))?;
    check_out_folder(session.home(), None, &request.out)?;
    let document = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, context.rng)
        .map_err(|_| Error::Refused("the system random number generator failed".to_owned()))?;
    let pkcs8 = Zeroizing::new(document.as_ref().to_vec());
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8, context.rng)
        .map_err(|_| Error::Refused("the generated key does not load".to_owned()))?;
    let spki_der = p256_spki(pair.public_key().as_ref());
    let config = session.policy()?;
    let judge = Judge {
        config: &config,
        state: session.state(),
        ca_not_after: session
            .state()
            .ca(&ca_id)
            .map(|ca| ca.certificate.info().not_after),
        ca_id: Some(&ca_id),
        requested_days: request.days,
        now: context.now,
    };
    let approved = policy::approve_new_key(&request.user, &request.groups, &spki_der, &judge)
        .map_err(|reasons| {
            Error::Refused(format!(
                "the policy refuses this identity: {}",
                reasons.join("; ")
            ))
        })?;
    let stem = approved.stem().to_owned();
    let cert_file = request.out.join(format!("{stem}.crt"));
    let key_file = request.out.join(format!("{stem}.key.age"));
    let kubeconfig_file = request
        .server
        .as_ref()
        .map(|_| request.out.join(format!("{stem}.kubeconfig.age")));
    for path in [Some(&cert_file), Some(&key_file), kubeconfig_file.as_ref()]
        .into_iter()
        .flatten()
    {
        if path.exists() {
            return Err(crate::home::HomeError::Exists { path: path.clone() }.into());
        }
    }
    let signer = session.unlock(&ca_id, unlock)?;
    record_issuance(
        session,
        &signer,
        &[(0, &approved)],
        &|_| None,
        "issue",
        context,
        &|_, _| {},
    )?;
    let note = serde_json::json!({ "step": "issue", "user": request.user, "recipient": request.recipient.trim() });
    session
        .ledger
        .append(&mut session.state, context.now, KIND_NOTE, note)?;
    session
        .ledger
        .seal(&mut session.state, context.now, &signer)?;
    drop(signer);
    session.ledger.commit()?;
    let record = session
        .state()
        .issued_for_csr(&ca_id, approved.request_key())
        .cloned()
        .ok_or_else(|| {
            Error::Refused("internal: the issued certificate is not in the ledger".to_owned())
        })?;
    let key_pem = Zeroizing::new(crate::hex::pem("PRIVATE KEY", pkcs8.to_vec()));
    let encrypt = |plaintext: &[u8]| {
        age::encrypt(&recipient, plaintext)
            .map_err(|error| Error::Refused(format!("cannot encrypt to the recipient: {error}")))
    };
    create_out_folder(session.home(), &request.out)?;
    write_new(&cert_file, record.cert.as_bytes())?;
    write_new(&key_file, &encrypt(key_pem.as_bytes())?)?;
    if let (Some(path), Some(server)) = (&kubeconfig_file, &request.server) {
        let cluster_ca = crate::rotation::bundle_pem(&session.state().trusted_cas(), false);
        let text = kube::kubeconfig(
            "kubernetes",
            &record.user,
            server,
            &cluster_ca,
            &record.cert,
            &ClientKey::Embedded(&key_pem),
        )
        .map_err(|reason| Error::Refused(format!("cannot write the kubeconfig: {reason}")))?;
        let text = Zeroizing::new(text);
        write_new(path, &encrypt(text.as_bytes())?)?;
    }
    Ok(IssueReport {
        serial: record.serial,
        cert_file,
        key_file,
        kubeconfig_file,
        not_after: record.not_after,
    })
}

/// DER `SubjectPublicKeyInfo` for an uncompressed P-256 point.
fn p256_spki(point: &[u8]) -> Vec<u8> {
    yasna::construct_der(|writer| {
        writer.write_sequence(|writer| {
            writer.next().write_sequence(|writer| {
                writer
                    .next()
                    .write_oid(&yasna::models::ObjectIdentifier::from_slice(&[
                        1, 2, 840, 10045, 2, 1,
                    ]));
                writer
                    .next()
                    .write_oid(&yasna::models::ObjectIdentifier::from_slice(&[
                        1, 2, 840, 10045, 3, 1, 7,
                    ]));
            });
            writer.next().write_bitvec_bytes(point, point.len() * 8);
        });
    })
}
