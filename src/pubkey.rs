//! Public keys as airlock sees them: what kind a key is, its fingerprint, and how ring
//! verifies a signature made by it.
//!
//! Works on DER `SubjectPublicKeyInfo` from CSRs and certificates alike. Classifying a key
//! does not judge it: the policy decides which kinds are acceptable.

use std::fmt;

use ring::signature;
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_PKCS1_RSAENCRYPTION,
    OID_SIG_ED25519,
};
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

/// The kind of a public key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum KeyKind {
    /// RSA (rsaEncryption) with a modulus of `bits` bits.
    Rsa {
        /// Modulus size.
        bits: usize,
    },
    /// ECDSA on NIST P-256.
    EcdsaP256,
    /// ECDSA on NIST P-384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
    /// Anything else, described for a person (e.g. `RSA-PSS`, `EC curve 1.3.132.0.35`).
    Other {
        /// What the key is.
        description: String,
    },
}

impl fmt::Display for KeyKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rsa { bits } => write!(formatter, "RSA-{bits}"),
            Self::EcdsaP256 => formatter.write_str("ECDSA P-256"),
            Self::EcdsaP384 => formatter.write_str("ECDSA P-384"),
            Self::Ed25519 => formatter.write_str("Ed25519"),
            Self::Other { description } => formatter.write_str(description),
        }
    }
}

/// An EC curve airlock does not accept, named for a person (issue 10, item 15): the OID
/// only when no name is known.
fn curve_name(oid: &str) -> String {
    let name = match oid {
        "1.3.132.0.10" => "secp256k1",
        "1.3.132.0.33" => "P-224",
        "1.2.840.10045.3.1.1" => "P-192",
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1",
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1",
        "1.2.156.10197.1.301" => "SM2",
        _ => return format!("EC key on an unknown curve (OID {oid})"),
    };
    format!("EC key on curve {name}")
}

const OID_RSASSA_PSS: &str = "1.2.840.113549.1.1.10";
const OID_DSA: &str = "1.2.840.10040.4.1";
const OID_P521: &str = "1.3.132.0.35";
const OID_ED448: &str = "1.3.101.113";

impl KeyKind {
    /// Classifies a parsed `SubjectPublicKeyInfo`.
    pub fn of(spki: &SubjectPublicKeyInfo<'_>) -> Self {
        let algorithm = &spki.algorithm.algorithm;
        if *algorithm == OID_PKCS1_RSAENCRYPTION {
            return match spki.parsed() {
                Ok(PublicKey::RSA(rsa)) => Self::Rsa {
                    bits: rsa.key_size(),
                },
                _ => Self::Other {
                    description: "RSA key that does not parse".to_owned(),
                },
            };
        }
        if *algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|parameters| parameters.as_oid().ok());
            return match curve {
                Some(curve) if curve == OID_EC_P256 => Self::EcdsaP256,
                Some(curve) if curve == OID_NIST_EC_P384 => Self::EcdsaP384,
                Some(curve) if curve.to_id_string() == OID_P521 => Self::Other {
                    description: "ECDSA P-521".to_owned(),
                },
                Some(curve) => Self::Other {
                    description: curve_name(&curve.to_id_string()),
                },
                None => Self::Other {
                    description: "EC key without a named curve".to_owned(),
                },
            };
        }
        if *algorithm == OID_SIG_ED25519 {
            return Self::Ed25519;
        }
        let description = match algorithm.to_id_string().as_str() {
            OID_RSASSA_PSS => "RSA-PSS".to_owned(),
            OID_DSA => "DSA".to_owned(),
            OID_ED448 => "Ed448".to_owned(),
            other => format!("key algorithm {other}"),
        };
        Self::Other { description }
    }

    /// ring's algorithm to verify signatures that airlock makes with a key of this kind
    /// (ECDSA with the curve's own hash, RSA PKCS#1 v1.5 with SHA-256, Ed25519).
    pub fn verification(&self) -> Option<&'static dyn signature::VerificationAlgorithm> {
        match self {
            Self::Rsa { .. } => Some(&signature::RSA_PKCS1_2048_8192_SHA256),
            Self::EcdsaP256 => Some(&signature::ECDSA_P256_SHA256_ASN1),
            Self::EcdsaP384 => Some(&signature::ECDSA_P384_SHA384_ASN1),
            Self::Ed25519 => Some(&signature::ED25519),
            Self::Other { .. } => None,
        }
    }

    /// Whether keyUsage keyEncipherment belongs in a client certificate for this key.
    pub fn is_rsa(&self) -> bool {
        matches!(self, Self::Rsa { .. })
    }
}

/// Verifies `signature_bytes` over `message` with the key in `spki`, as airlock signs
/// (see [`KeyKind::verification`]).
pub fn verify(spki: &SubjectPublicKeyInfo<'_>, message: &[u8], signature_bytes: &[u8]) -> bool {
    let Some(algorithm) = KeyKind::of(spki).verification() else {
        return false;
    };
    signature::UnparsedPublicKey::new(algorithm, spki.subject_public_key.data.as_ref())
        .verify(message, signature_bytes)
        .is_ok()
}

/// SHA-256 of the DER `SubjectPublicKeyInfo`, lower-case hex (the key's fingerprint).
pub fn fingerprint(spki_der: &[u8]) -> String {
    crate::hex::sha256(spki_der)
}
