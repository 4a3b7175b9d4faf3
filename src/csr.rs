//! Certificate signing requests from untrusted media: parsing and self-signature check.
//!
//! [`UntrustedCsr`] is what a CSR claims, parsed with x509-parser and nothing more. Its
//! strings are exactly as the requester wrote them: show them only through
//! [`crate::text::inert`]. This module decides nothing; [`crate::policy`] judges.

use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::der_parser::error::BerError;
use x509_parser::error::X509Error;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::{OID_X509_COMMON_NAME, OID_X509_ORGANIZATION_NAME};
use x509_parser::prelude::FromDer;

use crate::pubkey::KeyKind;

/// The subject OID kube-apiserver (1.33+) reads a user UID from.
pub const OID_KUBERNETES_UID: &str = "1.3.6.1.4.1.57683.2";

/// How a CSR was signed by its requester.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureHash {
    /// SHA-256, SHA-384 or SHA-512 (with RSA PKCS#1 v1.5 or ECDSA), or Ed25519.
    Strong(&'static str),
    /// MD5 or SHA-1: broken.
    Weak(&'static str),
    /// Something else, named by its OID.
    Other(String),
}

/// What a CSR asks for beyond its subject and key. airlock never honours these.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestedExtensions {
    /// basicConstraints CA:TRUE.
    pub ca: bool,
    /// extKeyUsage names serverAuth.
    pub server_auth: bool,
    /// subjectAltName entries, made inert.
    pub subject_alt_names: Vec<String>,
    /// Other requested extensions, by OID.
    pub other: Vec<String>,
}

/// A CSR as its requester sent it, with a verified (or not) self-signature.
#[derive(Debug, Clone)]
pub struct UntrustedCsr {
    der: Vec<u8>,
    /// SHA-256 of the CSR DER, hex: the idempotency key of issuance.
    pub sha256: String,
    /// Every CN value (Kubernetes uses the first; more than one is refused).
    pub common_names: Vec<String>,
    /// Every O value in order, including those of multi-valued RDNs.
    pub organizations: Vec<String>,
    /// The Kubernetes UID attribute, if present.
    pub uid: Option<String>,
    /// Other subject attributes, by OID (never copied into a certificate).
    pub other_attributes: Vec<String>,
    /// Subject attributes that are not readable strings.
    pub unreadable_attributes: Vec<String>,
    /// The public key's kind.
    pub key: KeyKind,
    /// DER `SubjectPublicKeyInfo`.
    pub spki_der: Vec<u8>,
    /// SHA-256 of the `SubjectPublicKeyInfo`, hex.
    pub key_sha256: String,
    /// How the CSR was signed.
    pub signature_hash: SignatureHash,
    /// Whether the self-signature verifies (proof of possession of the private key).
    pub signature_verifies: bool,
    /// Requested extensions.
    pub requested: RequestedExtensions,
}

/// Why bytes are not a CSR at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CsrError(pub String);

impl UntrustedCsr {
    /// Parses DER bytes. Fails only when they are not a PKCS#10 CSR; every other problem
    /// is recorded in the fields for the policy to judge.
    pub fn parse(der: &[u8]) -> Result<Self, CsrError> {
        let (rest, csr) = X509CertificationRequest::from_der(der)
            .map_err(|error| CsrError(format!("not a PKCS#10 CSR ({})", der_problem(error))))?;
        if !rest.is_empty() {
            return Err(CsrError("trailing bytes after the CSR".to_owned()));
        }
        let info = &csr.certification_request_info;
        let mut common_names = Vec::new();
        let mut organizations = Vec::new();
        let mut uid = None;
        let mut other_attributes = Vec::new();
        let mut unreadable_attributes = Vec::new();
        for rdn in info.subject.iter() {
            for attribute in rdn.iter() {
                let oid = attribute.attr_type();
                let value = attribute.as_str().map(str::to_owned);
                let name = if *oid == OID_X509_COMMON_NAME {
                    "CN"
                } else if *oid == OID_X509_ORGANIZATION_NAME {
                    "O"
                } else if oid.to_id_string() == OID_KUBERNETES_UID {
                    "UID"
                } else {
                    other_attributes.push(oid.to_id_string());
                    continue;
                };
                let Ok(value) = value else {
                    unreadable_attributes.push(name.to_owned());
                    continue;
                };
                match name {
                    "CN" => common_names.push(value),
                    "O" => organizations.push(value),
                    _ => uid = Some(value),
                }
            }
        }
        let spki = &info.subject_pki;
        let spki_der = spki.raw.to_vec();
        let signature_hash = signature_hash(&csr.signature_algorithm.algorithm.to_id_string());
        let signature_verifies =
            matches!(signature_hash, SignatureHash::Strong(_)) && csr.verify_signature().is_ok();
        Ok(Self {
            sha256: crate::hex::sha256(der),
            der: der.to_vec(),
            common_names,
            organizations,
            uid,
            other_attributes,
            unreadable_attributes,
            key: KeyKind::of(spki),
            key_sha256: crate::pubkey::fingerprint(&spki_der),
            spki_der,
            signature_hash,
            signature_verifies,
            requested: requested_extensions(&csr),
        })
    }

    /// The CSR DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The CSR as PEM.
    pub fn pem(&self) -> String {
        crate::hex::pem("CERTIFICATE REQUEST", self.der.clone())
    }
}

/// What is wrong with bytes that do not parse as a CSR, in words (the parser's own error
/// names its internals: `Parsing Error: NomError(Eof)`).
fn der_problem(error: x509_parser::nom::Err<X509Error>) -> &'static str {
    let error = X509Error::from(error);
    match error {
        X509Error::Der(BerError::Incomplete(_))
        | X509Error::NomError(x509_parser::nom::error::ErrorKind::Eof) => "the DER ends early",
        X509Error::Der(_) | X509Error::NomError(_) => "the DER encoding is damaged",
        X509Error::InvalidX509Name => "its subject name does not parse",
        X509Error::InvalidSPKI => "its public key does not parse",
        X509Error::InvalidAlgorithmIdentifier => "its signature algorithm does not parse",
        X509Error::InvalidAttributes | X509Error::DuplicateAttributes => {
            "its attributes do not parse"
        }
        X509Error::InvalidExtensions | X509Error::DuplicateExtensions => {
            "its requested extensions do not parse"
        }
        _ => "its structure is not that of a certificate signing request",
    }
}

/// A signature algorithm airlock does not accept, named for a person; an OID no table
/// here knows is shown as such, said to be unknown.
fn algorithm_name(oid: &str) -> String {
    let name = match oid {
        "1.2.840.113549.1.1.14" => "RSA with SHA-224",
        "1.2.840.10045.4.3.1" => "ECDSA with SHA-224",
        "2.16.840.1.101.3.4.3.1" => "DSA with SHA-224",
        "2.16.840.1.101.3.4.3.2" => "DSA with SHA-256",
        "2.16.840.1.101.3.4.3.3" => "DSA with SHA-384",
        "2.16.840.1.101.3.4.3.4" => "DSA with SHA-512",
        "2.16.840.1.101.3.4.3.9" => "ECDSA with SHA3-224",
        "2.16.840.1.101.3.4.3.10" => "ECDSA with SHA3-256",
        "2.16.840.1.101.3.4.3.11" => "ECDSA with SHA3-384",
        "2.16.840.1.101.3.4.3.12" => "ECDSA with SHA3-512",
        "2.16.840.1.101.3.4.3.13" => "RSA with SHA3-224",
        "2.16.840.1.101.3.4.3.14" => "RSA with SHA3-256",
        "2.16.840.1.101.3.4.3.15" => "RSA with SHA3-384",
        "2.16.840.1.101.3.4.3.16" => "RSA with SHA3-512",
        "1.3.101.113" => "Ed448",
        "1.2.156.10197.1.501" => "SM2 with SM3",
        "1.2.643.7.1.1.3.2" | "1.2.643.7.1.1.3.3" => "GOST R 34.10-2012",
        "1.2.840.113549.1.1.1" => "RSA without a hash (rsaEncryption)",
        "1.2.840.10045.2.1" => "an EC key identifier, not a signature algorithm",
        _ => return format!("an unknown signature algorithm (OID {oid})"),
    };
    name.to_owned()
}

fn signature_hash(oid: &str) -> SignatureHash {
    match oid {
        "1.2.840.113549.1.1.11" | "1.2.840.10045.4.3.2" => SignatureHash::Strong("SHA-256"),
        "1.2.840.113549.1.1.12" | "1.2.840.10045.4.3.3" => SignatureHash::Strong("SHA-384"),
        "1.2.840.113549.1.1.13" => SignatureHash::Strong("SHA-512"),
        // ring verifies no ECDSA with SHA-512: say so, rather than call the CSR altered.
        "1.2.840.10045.4.3.4" => SignatureHash::Other("ECDSA with SHA-512".to_owned()),
        "1.3.101.112" => SignatureHash::Strong("Ed25519"),
        "1.2.840.113549.1.1.4" | "1.2.840.113549.1.1.3" | "1.2.840.113549.1.1.2" => {
            SignatureHash::Weak("MD5")
        }
        "1.2.840.113549.1.1.5" | "1.2.840.10045.4.1" | "1.2.840.10040.4.3" | "1.3.14.3.2.29" => {
            SignatureHash::Weak("SHA-1")
        }
        "1.2.840.113549.1.1.10" => SignatureHash::Other("RSASSA-PSS".to_owned()),
        other => SignatureHash::Other(algorithm_name(other)),
    }
}

fn requested_extensions(csr: &X509CertificationRequest<'_>) -> RequestedExtensions {
    let mut requested = RequestedExtensions::default();
    let Some(extensions) = csr.requested_extensions() else {
        return requested;
    };
    for extension in extensions {
        match extension {
            ParsedExtension::BasicConstraints(constraints) => requested.ca |= constraints.ca,
            ParsedExtension::ExtendedKeyUsage(usage) => requested.server_auth |= usage.server_auth,
            ParsedExtension::SubjectAlternativeName(names) => {
                for name in &names.general_names {
                    let shown = match name {
                        GeneralName::DNSName(dns) => format!("DNS:{dns}"),
                        GeneralName::RFC822Name(mail) => format!("email:{mail}"),
                        GeneralName::URI(uri) => format!("URI:{uri}"),
                        GeneralName::IPAddress(bytes) => format!("IP:{}", ip_address(bytes)),
                        GeneralName::DirectoryName(name) => format!("DirName:{name}"),
                        GeneralName::RegisteredID(oid) => format!("RID:{oid}"),
                        GeneralName::OtherName(oid, _) => format!("otherName:{oid}"),
                        GeneralName::X400Address(_) => "X400Address".to_owned(),
                        GeneralName::EDIPartyName(_) => "EDIPartyName".to_owned(),
                        GeneralName::Invalid(..) => "an unreadable name".to_owned(),
                    };
                    requested
                        .subject_alt_names
                        .push(crate::text::inert(&shown, 80));
                }
            }
            ParsedExtension::KeyUsage(_) => {}
            ParsedExtension::UnsupportedExtension { oid } => {
                requested.other.push(oid.to_id_string());
            }
            ParsedExtension::ParseError { .. } => {
                requested
                    .other
                    .push("an extension that does not parse".to_owned());
            }
            other => requested.other.push(extension_name(other)),
        }
    }
    requested
}

/// An IP address SAN as people write it: 4 bytes as `10.0.0.1`, 16 as `::1`; any other
/// length (an address with a mask belongs in name constraints, not here) in hex.
fn ip_address(bytes: &[u8]) -> String {
    if let Ok(octets) = <[u8; 4]>::try_from(bytes) {
        return std::net::Ipv4Addr::from(octets).to_string();
    }
    if let Ok(octets) = <[u8; 16]>::try_from(bytes) {
        return std::net::Ipv6Addr::from(octets).to_string();
    }
    format!("{} bytes {}", bytes.len(), crate::hex::encode(bytes))
}

/// A requested extension, by its name in RFC 5280 terms, never the parser's dump of it.
fn extension_name(extension: &ParsedExtension<'_>) -> String {
    let name = match extension {
        ParsedExtension::SubjectKeyIdentifier(_) => "subjectKeyIdentifier",
        ParsedExtension::AuthorityKeyIdentifier(_) => "authorityKeyIdentifier",
        ParsedExtension::CertificatePolicies(_) => "certificatePolicies",
        ParsedExtension::PolicyMappings(_) => "policyMappings",
        ParsedExtension::IssuerAlternativeName(_) => "issuerAltName",
        ParsedExtension::NameConstraints(_) => "nameConstraints",
        ParsedExtension::PolicyConstraints(_) => "policyConstraints",
        ParsedExtension::InhibitAnyPolicy(_) => "inhibitAnyPolicy",
        ParsedExtension::AuthorityInfoAccess(_) => "authorityInfoAccess",
        ParsedExtension::SubjectInfoAccess(_) => "subjectInfoAccess",
        ParsedExtension::CRLDistributionPoints(_) => "cRLDistributionPoints",
        ParsedExtension::NSCertType(_) => "Netscape certificate type",
        ParsedExtension::NsCertComment(_) => "Netscape comment",
        ParsedExtension::SCT(_) => "signed certificate timestamps",
        _ => "an extension airlock does not name",
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Issue 10, item 15: algorithms are named, bytes that end early are said to.
    #[test]
    fn algorithms_and_damaged_der_are_named_in_words() {
        assert_eq!(
            signature_hash("2.16.840.1.101.3.4.3.2"),
            SignatureHash::Other("DSA with SHA-256".to_owned())
        );
        assert_eq!(
            signature_hash("1.2.840.10045.4.3.1"),
            SignatureHash::Other("ECDSA with SHA-224".to_owned())
        );
        assert_eq!(
            signature_hash("1.2.3.4"),
            SignatureHash::Other("an unknown signature algorithm (OID 1.2.3.4)".to_owned())
        );
        // A SEQUENCE that announces 100 bytes and holds 2.
        let error = UntrustedCsr::parse(&[0x30, 0x64, 0x02, 0x01]).expect_err("truncated");
        assert_eq!(error.to_string(), "not a PKCS#10 CSR (the DER ends early)");
        assert_eq!(ip_address(&[10, 0, 0, 1]), "10.0.0.1");
        let mut loopback = [0_u8; 16];
        loopback[15] = 1;
        assert_eq!(ip_address(&loopback), "::1");
    }
}
