//! Importing a CA made elsewhere (kubeadm): its certificate and its key as PKCS#1,
//! SEC1 or PKCS#8, converted to the PKCS#8 that airlock keeps.

use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::{CaCertificate, CaError, Signer, check_ca};
use crate::pubkey::KeyKind;
use crate::secret::CaKey;

/// A file given to [`import`]: how to name it in errors, and its bytes.
pub struct ImportInput<'a> {
    /// The path as the officer gave it.
    pub name: &'a str,
    /// The file's bytes.
    pub bytes: &'a [u8],
}

/// Imports a CA made elsewhere (kubeadm): a PEM (or DER) certificate and its private key
/// as PKCS#1 (`RSA PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`).
///
/// Refuses, with nothing kept: encrypted keys, a key that does not match the certificate,
/// a certificate that is not a CA or not in date, unsupported key kinds, garbage.
pub fn import(
    cert_input: &ImportInput<'_>,
    key_input: &ImportInput<'_>,
    now: OffsetDateTime,
) -> Result<(CaCertificate, CaKey), CaError> {
    let cert = CaCertificate::from_der(read_certificate(cert_input)?, cert_input.name)?;
    check_ca(&cert, cert_input.name, now)?;
    let key = read_private_key(key_input, &cert)?;
    let signer = Signer::new(&cert, &key).map_err(|error| match error {
        CaError::KeyMismatch { .. } => CaError::KeyMismatch {
            key: key_input.name.to_owned(),
            cert: cert_input.name.to_owned(),
        },
        CaError::Key { reason, .. } => CaError::Key {
            input: key_input.name.to_owned(),
            reason,
        },
        other => other,
    })?;
    drop(signer);
    Ok((cert, key))
}

fn read_certificate(input: &ImportInput<'_>) -> Result<Vec<u8>, CaError> {
    let refuse = |reason: &str| CaError::Certificate {
        input: input.name.to_owned(),
        reason: reason.to_owned(),
    };
    if input.bytes.first() == Some(&0x30) {
        return Ok(input.bytes.to_vec());
    }
    let blocks = pem::parse_many(input.bytes).map_err(|error| refuse(&error.to_string()))?;
    let certificates: Vec<_> = blocks
        .into_iter()
        .filter(|block| block.tag() == "CERTIFICATE")
        .collect();
    match certificates.len() {
        0 => Err(refuse("no PEM CERTIFICATE block found")),
        1 => Ok(certificates
            .into_iter()
            .next()
            .map(pem::Pem::into_contents)
            .unwrap_or_default()),
        n => Err(refuse(&format!(
            "holds {n} certificates; give the CA certificate alone"
        ))),
    }
}

const OID_RSA_ENCRYPTION: &[u64] = &[1, 2, 840, 113_549, 1, 1, 1];
const OID_EC_PUBLIC_KEY: &[u64] = &[1, 2, 840, 10045, 2, 1];
const OID_P256: &[u64] = &[1, 2, 840, 10045, 3, 1, 7];
const OID_P384: &[u64] = &[1, 3, 132, 0, 34];

fn read_private_key(input: &ImportInput<'_>, cert: &CaCertificate) -> Result<CaKey, CaError> {
    Ok(CaKey::from_pkcs8(private_key_pkcs8(
        input,
        &cert.info().key,
    )?))
}

/// Reads a private key (PKCS#8, PKCS#1 or SEC1 PEM, or PKCS#8 DER) as PKCS#8 DER.
/// `key` is the kind of the certificate it should belong to (for a SEC1 key's curve).
/// Does not check that it belongs: the caller compares public keys.
pub(crate) fn private_key_pkcs8(
    input: &ImportInput<'_>,
    key: &KeyKind,
) -> Result<Zeroizing<Vec<u8>>, CaError> {
    let refuse = |reason: &str| CaError::Key {
        input: input.name.to_owned(),
        reason: reason.to_owned(),
    };
    if input.bytes.first() == Some(&0x30) {
        // DER: PKCS#8 is the only DER form accepted, as its algorithm is self-describing.
        return Ok(Zeroizing::new(input.bytes.to_vec()));
    }
    let text = String::from_utf8_lossy(input.bytes);
    if text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(CaError::EncryptedKey {
            input: input.name.to_owned(),
        });
    }
    let blocks = pem::parse_many(input.bytes).map_err(|_| refuse("the PEM encoding is damaged"))?;
    let mut keys = blocks
        .into_iter()
        .filter(|block| block.tag().ends_with("PRIVATE KEY"));
    let Some(block) = keys.next() else {
        return Err(refuse("no PEM private key block found"));
    };
    if keys.next().is_some() {
        return Err(refuse("holds more than one private key"));
    }
    let tag = block.tag().to_owned();
    let inner = Zeroizing::new(block.into_contents());
    let pkcs8 = match tag.as_str() {
        "PRIVATE KEY" => Zeroizing::new(inner.to_vec()),
        "RSA PRIVATE KEY" => wrap_pkcs8(OID_RSA_ENCRYPTION, None, &inner),
        "EC PRIVATE KEY" => {
            let curve = match key {
                KeyKind::EcdsaP256 => OID_P256,
                KeyKind::EcdsaP384 => OID_P384,
                _ => {
                    return Err(refuse(
                        "an EC key, but the certificate's key is not ECDSA P-256/P-384",
                    ));
                }
            };
            wrap_pkcs8(OID_EC_PUBLIC_KEY, Some(curve), &inner)
        }
        _ => return Err(refuse("unknown private key type in the PEM label")),
    };
    Ok(pkcs8)
}

/// Wraps a PKCS#1 or SEC1 key in a PKCS#8 `PrivateKeyInfo` (RFC 5958): version 0, the
/// algorithm identifier, the inner key as an OCTET STRING.
fn wrap_pkcs8(algorithm: &[u64], curve: Option<&[u64]>, inner: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(yasna::construct_der(|writer| {
        writer.write_sequence(|writer| {
            writer.next().write_u8(0);
            writer.next().write_sequence(|writer| {
                writer
                    .next()
                    .write_oid(&yasna::models::ObjectIdentifier::from_slice(algorithm));
                match curve {
                    Some(curve) => {
                        writer
                            .next()
                            .write_oid(&yasna::models::ObjectIdentifier::from_slice(curve));
                    }
                    None => writer.next().write_null(),
                }
            });
            writer.next().write_bytes(inner);
        });
    }))
}
