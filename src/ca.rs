//! Certificate authorities: making a new one, importing a kubeadm one, and the
//! [`Signer`] that holds an unlocked CA key for the length of one operation.
//!
//! Owns the CA certificate's checks (a CA, in date, key matching the certificate) and the
//! conversion of kubeadm's key formats (PKCS#1, SEC1) to the PKCS#8 that airlock keeps.
//! It does not store anything: the ops layer encrypts the key and writes the files.
//!
//! RSA keys cannot be generated: none of airlock's crypto crates (ring, rcgen on ring)
//! generates RSA keys, and airlock does not hand-roll key generation. RSA CAs made
//! elsewhere (kubeadm's default) can be imported.

use std::fmt;
use std::str::FromStr;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SerialNumber, SigningKey,
};
use ring::rand::SecureRandom;
use ring::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
};
use serde::Serialize;
use time::{Duration, OffsetDateTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;
use zeroize::{Zeroize, Zeroizing};

use crate::pubkey::KeyKind;
use crate::secret::CaKey;

mod import;

pub(crate) use import::private_key_pkcs8;
pub use import::{ImportInput, import};

/// Default lifetime of a new CA: ten years.
pub const DEFAULT_CA_DAYS: u32 = 3650;
/// Longest lifetime airlock gives a CA: thirty years.
pub const MAX_CA_DAYS: u32 = 10950;

/// Errors about CA certificates and keys.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// The common name for a new CA is unusable.
    #[error("invalid CA common name '{name}': {reason}")]
    InvalidName {
        /// The name as given, made inert.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The requested lifetime is out of range.
    #[error("invalid CA lifetime '{0}' days: must be 1 to {MAX_CA_DAYS}")]
    Days(u32),
    /// The algorithm name is not one airlock can generate.
    #[error(
        "unknown CA algorithm '{0}': choose ecdsa-p256, ecdsa-p384 or ed25519 (RSA keys cannot be generated here; import an RSA CA instead)"
    )]
    UnknownAlgorithm(String),
    /// Key generation or self-signing failed.
    #[error("cannot create the CA: {0}")]
    Generate(String),
    /// The certificate input is not a readable X.509 certificate.
    #[error("'{input}' is not a usable certificate: {reason}")]
    Certificate {
        /// The input file, as named by the officer.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The certificate is not a CA certificate.
    #[error("'{input}' is not a CA certificate: {reason}")]
    NotACa {
        /// The input file.
        input: String,
        /// Which check failed.
        reason: String,
    },
    /// The CA certificate is expired or not yet valid.
    #[error("'{input}' is not valid now: valid from {not_before} to {not_after}")]
    OutOfDate {
        /// The input file.
        input: String,
        /// Start of validity (RFC 3339).
        not_before: String,
        /// End of validity (RFC 3339).
        not_after: String,
    },
    /// The key input is encrypted; airlock needs the plaintext key once, to encrypt it
    /// its own way.
    #[error(
        "'{input}' is an encrypted private key: decrypt it first (openssl pkey -in KEY -out PLAIN), import, then destroy the plaintext"
    )]
    EncryptedKey {
        /// The input file.
        input: String,
    },
    /// The key input is not a private key airlock can read.
    #[error("'{input}' is not a usable private key: {reason}")]
    Key {
        /// The input file.
        input: String,
        /// What is wrong with it (never the key material).
        reason: String,
    },
    /// The key type is not allowed for a CA.
    #[error(
        "unsupported CA key '{kind}': airlock signs with RSA (2048 bits or more), ECDSA P-256/P-384 or Ed25519"
    )]
    UnsupportedKey {
        /// The key kind.
        kind: String,
    },
    /// The private key does not belong to the certificate.
    #[error("private key '{key}' does not match certificate '{cert}'")]
    KeyMismatch {
        /// The key input.
        key: String,
        /// The certificate input.
        cert: String,
    },
    /// Signing with the CA key failed.
    #[error("signing with CA '{ca}' failed: {reason}")]
    Sign {
        /// The CA's common name.
        ca: String,
        /// What the crypto library said.
        reason: String,
    },
    /// The system random number generator failed.
    #[error("the system random number generator failed")]
    Random,
}

/// Key algorithms airlock can generate for a new CA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaAlgorithm {
    /// ECDSA on P-256 with SHA-256 (the default).
    #[default]
    EcdsaP256,
    /// ECDSA on P-384 with SHA-384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
}

impl FromStr for CaAlgorithm {
    type Err = CaError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "ecdsa-p256" => Ok(Self::EcdsaP256),
            "ecdsa-p384" => Ok(Self::EcdsaP384),
            "ed25519" => Ok(Self::Ed25519),
            other => Err(CaError::UnknownAlgorithm(crate::text::name(other))),
        }
    }
}

impl fmt::Display for CaAlgorithm {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::EcdsaP256 => "ecdsa-p256",
            Self::EcdsaP384 => "ecdsa-p384",
            Self::Ed25519 => "ed25519",
        })
    }
}

/// What an officer asks for when creating a CA.
#[derive(Debug, Clone)]
pub struct NewCa {
    /// Subject common name, e.g. `kubernetes`.
    pub common_name: String,
    /// Key algorithm.
    pub algorithm: CaAlgorithm,
    /// Lifetime in days.
    pub days: u32,
}

/// The public facts of a CA certificate, as shown in `status` and kept in state.
#[derive(Debug, Clone, Serialize)]
pub struct CaInfo {
    /// Short id: the first 16 hex digits of the certificate's SHA-256 fingerprint.
    pub id: String,
    /// The subject as an RFC 4514-like string, made inert.
    pub subject: String,
    /// The subject common name, made inert.
    pub common_name: String,
    /// Key kind.
    pub key: KeyKind,
    /// SHA-256 of the certificate DER, hex.
    pub fingerprint: String,
    /// Serial, hex.
    pub serial: String,
    /// Start of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// Subject key identifier, hex (empty when the certificate has none).
    pub subject_key_id: String,
}

/// A CA certificate, parsed once and kept as DER.
#[derive(Debug, Clone)]
pub struct CaCertificate {
    der: Vec<u8>,
    info: CaInfo,
}

impl CaCertificate {
    /// Parses a DER certificate and extracts its public facts.
    ///
    /// Checks only that it parses; the CA checks are in [`check_ca`].
    pub fn from_der(der: Vec<u8>, input: &str) -> Result<Self, CaError> {
        let info = {
            let (rest, cert) =
                X509Certificate::from_der(&der).map_err(|error| CaError::Certificate {
                    input: input.to_owned(),
                    reason: error.to_string(),
                })?;
            if !rest.is_empty() {
                return Err(CaError::Certificate {
                    input: input.to_owned(),
                    reason: "trailing bytes after the certificate".to_owned(),
                });
            }
            let fingerprint = crate::hex::sha256(&der);
            let common_name = cert
                .subject()
                .iter_common_name()
                .next()
                .and_then(|cn| cn.as_str().ok())
                .unwrap_or("");
            let subject_key_id = cert
                .extensions()
                .iter()
                .find_map(|extension| match extension.parsed_extension() {
                    x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(id) => {
                        Some(crate::hex::encode(id.0))
                    }
                    _ => None,
                })
                .unwrap_or_default();
            CaInfo {
                id: fingerprint[..16].to_owned(),
                subject: crate::text::inert(&cert.subject().to_string(), 200),
                common_name: crate::text::name(common_name),
                key: KeyKind::of(cert.public_key()),
                serial: serial_hex(cert.raw_serial()),
                fingerprint,
                not_before: cert.validity().not_before.to_datetime(),
                not_after: cert.validity().not_after.to_datetime(),
                subject_key_id,
            }
        };
        Ok(Self { der, info })
    }

    /// The certificate DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate as a PEM `CERTIFICATE` block.
    pub fn pem(&self) -> String {
        crate::hex::pem("CERTIFICATE", self.der.clone())
    }

    /// Public facts.
    pub fn info(&self) -> &CaInfo {
        &self.info
    }

    /// The parsed certificate (parsing DER again is cheap and keeps no borrow alive).
    pub fn parsed(&self) -> X509Certificate<'_> {
        // from_der succeeded on these exact bytes when self was built.
        match X509Certificate::from_der(&self.der) {
            Ok((_, cert)) => cert,
            Err(_) => unreachable_parse(),
        }
    }
}

#[cold]
#[allow(clippy::panic)]
fn unreachable_parse() -> ! {
    panic!("invariant: a CaCertificate holds DER that parsed when it was built")
}

/// Checks that `cert` can act as airlock's CA at `now`: X.509 v3, basicConstraints CA,
/// keyCertSign if keyUsage is present, in date, and a key kind airlock signs with.
pub fn check_ca(cert: &CaCertificate, input: &str, now: OffsetDateTime) -> Result<(), CaError> {
    check_ca_structure(cert, input)?;
    let info = cert.info();
    if now < info.not_before || now > info.not_after {
        return Err(CaError::OutOfDate {
            input: input.to_owned(),
            not_before: rfc3339(info.not_before),
            not_after: rfc3339(info.not_after),
        });
    }
    match info.key {
        KeyKind::Rsa { bits } if bits >= 2048 => Ok(()),
        KeyKind::EcdsaP256 | KeyKind::EcdsaP384 | KeyKind::Ed25519 => Ok(()),
        ref other => Err(CaError::UnsupportedKey {
            kind: other.to_string(),
        }),
    }
}

/// The time-independent part of [`check_ca`]: X.509 v3, basicConstraints CA:TRUE, and
/// keyCertSign if keyUsage is present. Replaying the ledger checks every CA with it.
pub fn check_ca_structure(cert: &CaCertificate, input: &str) -> Result<(), CaError> {
    let parsed = cert.parsed();
    let not_a_ca = |reason: &str| CaError::NotACa {
        input: input.to_owned(),
        reason: reason.to_owned(),
    };
    if parsed.version() != x509_parser::x509::X509Version::V3 {
        return Err(not_a_ca("not an X.509 v3 certificate"));
    }
    match parsed.basic_constraints() {
        Ok(Some(constraints)) if constraints.value.ca => {}
        Ok(Some(_)) => return Err(not_a_ca("basicConstraints says CA:FALSE")),
        Ok(None) => return Err(not_a_ca("no basicConstraints extension")),
        Err(_) => return Err(not_a_ca("basicConstraints is malformed or repeated")),
    }
    match parsed.key_usage() {
        Ok(Some(usage)) if !usage.value.key_cert_sign() => {
            return Err(not_a_ca("keyUsage lacks keyCertSign"));
        }
        Ok(_) => {}
        Err(_) => return Err(not_a_ca("keyUsage is malformed or repeated")),
    }
    Ok(())
}

/// A serial's hex form without the sign octet DER adds when the top bit is set, so that
/// it reads as the serial airlock generated (and as openssl prints it).
pub fn serial_hex(der_content: &[u8]) -> String {
    match der_content {
        [0, rest @ ..] if rest.first().is_some_and(|byte| byte & 0x80 != 0) => {
            crate::hex::encode(rest)
        }
        other => crate::hex::encode(other),
    }
}

/// Formats a time as RFC 3339 (UTC, whole seconds).
pub fn rfc3339(moment: OffsetDateTime) -> String {
    let moment = moment.replace_nanosecond(0).unwrap_or(moment);
    moment
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| moment.to_string())
}

/// Sixteen random bytes for a serial number, the first one non-zero so that the DER
/// INTEGER keeps all sixteen (a leading 0x00 is added when the top bit is set).
pub fn new_serial(rng: &dyn SecureRandom) -> Result<[u8; 16], CaError> {
    let mut serial = [0_u8; 16];
    rng.fill(&mut serial).map_err(|_| CaError::Random)?;
    if serial[0] == 0 {
        serial[0] = 1;
    }
    Ok(serial)
}

/// Creates a self-signed CA: basicConstraints CA:TRUE (critical), keyUsage keyCertSign,
/// cRLSign, digitalSignature (critical), subject key identifier, random serial,
/// notBefore five minutes before `now`.
pub fn generate(
    request: &NewCa,
    now: OffsetDateTime,
    rng: &dyn SecureRandom,
) -> Result<(CaCertificate, CaKey), CaError> {
    check_common_name(&request.common_name)?;
    if request.days == 0 || request.days > MAX_CA_DAYS {
        return Err(CaError::Days(request.days));
    }
    let document = match request.algorithm {
        CaAlgorithm::EcdsaP256 => {
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, rng)
        }
        CaAlgorithm::EcdsaP384 => {
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, rng)
        }
        CaAlgorithm::Ed25519 => Ed25519KeyPair::generate_pkcs8(rng),
    }
    .map_err(|_| CaError::Random)?;
    // ring's Document does not zeroize itself; the copy in CaKey does.
    let key = CaKey::from_pkcs8(Zeroizing::new(document.as_ref().to_vec()));
    let key_pair = SignerKey::new(&key)?;

    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, request.common_name.clone());
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
    ];
    params.serial_number = Some(SerialNumber::from_slice(&new_serial(rng)?));
    params.not_before = whole_seconds(now - Duration::minutes(5));
    params.not_after = whole_seconds(now + Duration::days(i64::from(request.days)));
    // RFC 7093 method 1, as issue.rs derives key identifiers for client certificates.
    params.key_identifier_method =
        rcgen::KeyIdMethod::PreSpecified(crate::issue::key_identifier(key_pair.0.public_key_raw()));
    let cert = params
        .self_signed(&key_pair.0)
        .map_err(|error| CaError::Generate(error.to_string()))?;
    let cert = CaCertificate::from_der(cert.der().to_vec(), "new CA")?;
    Ok((cert, key))
}

/// Drops sub-second precision, which X.509 times cannot carry.
pub fn whole_seconds(moment: OffsetDateTime) -> OffsetDateTime {
    moment.replace_nanosecond(0).unwrap_or(moment)
}

fn check_common_name(name: &str) -> Result<(), CaError> {
    let refuse = |reason| {
        Err(CaError::InvalidName {
            name: crate::text::name(name),
            reason,
        })
    };
    if name.trim().is_empty() {
        return refuse("it is empty");
    }
    if name.chars().count() > 64 {
        return refuse("it is longer than 64 characters");
    }
    if name.chars().any(crate::text::is_unsafe) {
        return refuse("it holds control or invisible formatting characters");
    }
    Ok(())
}

/// rcgen's key pair, wiped on drop.
struct SignerKey(KeyPair);

impl SignerKey {
    fn new(key: &CaKey) -> Result<Self, CaError> {
        KeyPair::try_from(key.expose_der())
            .map(Self)
            .map_err(|error| CaError::Key {
                input: "CA key".to_owned(),
                reason: match error {
                    rcgen::Error::CouldNotParseKeyPair => "not a supported private key".to_owned(),
                    other => other.to_string(),
                },
            })
    }
}

impl Drop for SignerKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// An unlocked CA: its certificate and a signing key that matches it.
///
/// Build one for a single operation and drop it as soon as the signing is done.
pub struct Signer {
    cert: CaCertificate,
    key: SignerKey,
}

impl fmt::Debug for Signer {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Signer")
            .field("ca", &self.cert.info().id)
            .field("key", &"[redacted]")
            .finish()
    }
}

const MATCH_PROBE: &[u8] = b"airlock: does this key match its certificate?";

impl Signer {
    /// Pairs a CA certificate with its key, proving that they match by signing a probe
    /// message and verifying it with the certificate's public key.
    pub fn new(cert: &CaCertificate, key: &CaKey) -> Result<Self, CaError> {
        let key = SignerKey::new(key)?;
        let signer = Self {
            cert: cert.clone(),
            key,
        };
        let parsed = cert.parsed();
        let same_public_key =
            signer.key.0.public_key_raw() == parsed.public_key().subject_public_key.data.as_ref();
        let probe = signer.sign(MATCH_PROBE)?;
        if !same_public_key || !crate::pubkey::verify(parsed.public_key(), MATCH_PROBE, &probe) {
            return Err(CaError::KeyMismatch {
                key: "CA key".to_owned(),
                cert: cert.info().id.clone(),
            });
        }
        Ok(signer)
    }

    /// The same key paired with another certificate for it (a renewed CA certificate),
    /// checked as [`Signer::new`] checks.
    pub fn with_certificate(self, cert: CaCertificate) -> Result<Self, CaError> {
        let signer = Self {
            cert,
            key: self.key,
        };
        let parsed = signer.cert.parsed();
        let probe = signer.sign(MATCH_PROBE)?;
        if !crate::pubkey::verify(parsed.public_key(), MATCH_PROBE, &probe) {
            return Err(CaError::KeyMismatch {
                key: "CA key".to_owned(),
                cert: signer.cert.info().id.clone(),
            });
        }
        Ok(signer)
    }

    /// The CA certificate.
    pub fn certificate(&self) -> &CaCertificate {
        &self.cert
    }

    /// Signs `message` (ECDSA with the curve's hash, RSA PKCS#1 v1.5 SHA-256, Ed25519).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CaError> {
        self.key.0.sign(message).map_err(|error| CaError::Sign {
            ca: self.cert.info().common_name.clone(),
            reason: error.to_string(),
        })
    }

    /// The DER `AlgorithmIdentifier` of the signatures [`Signer::sign`] makes.
    pub fn signature_algorithm_der(&self) -> Vec<u8> {
        yasna::construct_der(|writer| {
            writer.write_sequence(|writer| {
                let (oid, null): (&[u64], bool) = match self.cert.info().key {
                    KeyKind::Rsa { .. } => (&[1, 2, 840, 113_549, 1, 1, 11], true),
                    KeyKind::EcdsaP384 => (&[1, 2, 840, 10045, 4, 3, 3], false),
                    KeyKind::Ed25519 => (&[1, 3, 101, 112], false),
                    _ => (&[1, 2, 840, 10045, 4, 3, 2], false),
                };
                writer
                    .next()
                    .write_oid(&yasna::models::ObjectIdentifier::from_slice(oid));
                if null {
                    writer.next().write_null();
                }
            });
        })
    }

    /// rcgen's view of the key, for rcgen builders (CRLs).
    pub fn rcgen_key(&self) -> &KeyPair {
        &self.key.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use time::macros::datetime;

    #[test]
    fn generated_ca_passes_its_own_checks() {
        let now = datetime!(2026-01-01 00:00 UTC);
        for algorithm in [
            CaAlgorithm::EcdsaP256,
            CaAlgorithm::EcdsaP384,
            CaAlgorithm::Ed25519,
        ] {
            let request = NewCa {
                common_name: "test-ca".to_owned(),
                algorithm,
                days: 10,
            };
            let (cert, key) = generate(&request, now, &SystemRandom::new()).expect("generate");
            check_ca(&cert, "new", now).expect("a CA");
            assert_eq!(cert.info().common_name, "test-ca");
            assert_eq!(cert.info().serial.len(), 32, "16-byte serial");
            assert!(!cert.info().subject_key_id.is_empty());
            Signer::new(&cert, &key).expect("key matches");
        }
    }

    #[test]
    fn mismatched_key_is_refused() {
        let now = datetime!(2026-01-01 00:00 UTC);
        let request = NewCa {
            common_name: "a".to_owned(),
            algorithm: CaAlgorithm::EcdsaP256,
            days: 10,
        };
        let (cert_a, _) = generate(&request, now, &SystemRandom::new()).expect("generate");
        let (_, key_b) = generate(&request, now, &SystemRandom::new()).expect("generate");
        let error = Signer::new(&cert_a, &key_b).expect_err("mismatch");
        assert!(matches!(error, CaError::KeyMismatch { .. }), "{error}");
    }

    #[test]
    fn bad_names_and_days() {
        let now = datetime!(2026-01-01 00:00 UTC);
        for name in ["", "a\u{1b}[2J", &"x".repeat(65)] {
            let request = NewCa {
                common_name: name.to_owned(),
                algorithm: CaAlgorithm::Ed25519,
                days: 1,
            };
            assert!(
                generate(&request, now, &SystemRandom::new()).is_err(),
                "{name:?}"
            );
        }
        let request = NewCa {
            common_name: "ok".to_owned(),
            algorithm: CaAlgorithm::Ed25519,
            days: 0,
        };
        assert!(matches!(
            generate(&request, now, &SystemRandom::new()),
            Err(CaError::Days(0))
        ));
    }
}
