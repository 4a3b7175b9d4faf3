//! Issuance: signing approved CSRs with the issuance profile, then proving each result.
//!
//! Profile (DESIGN.md): X.509 v3; 16 random bytes of serial; subject = the O values then
//! the CN, nothing else from the CSR; issuer = the CA's subject, byte for byte;
//! notBefore = now - 5 min; notAfter as the policy granted; basicConstraints CA:FALSE
//! (critical); keyUsage digitalSignature (+ keyEncipherment for RSA) (critical);
//! extKeyUsage clientAuth only; subject key identifier (RFC 7093 method 1: SHA-256 of the
//! key, truncated to 160 bits); authority key identifier = the CA's.
//!
//! The `TBSCertificate` is encoded here with yasna rather than with rcgen's builder:
//! rcgen's `DistinguishedName` holds one value per attribute type, and Kubernetes needs
//! every group as its own O value. The signature itself is made by the CA's rcgen key.
//!
//! Every certificate is parsed back with x509-parser, its signature verified against
//! the CA and every rule above checked ([`check_issued`]) before the caller writes
//! anything. A failure fails the whole batch closed.

use rayon::prelude::*;
use time::{Duration, OffsetDateTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer;
use yasna::models::{GeneralizedTime, ObjectIdentifier, UTCTime};
use yasna::{DERWriter, Tag};

use crate::ca::{CaCertificate, Signer, whole_seconds};
use crate::policy::Approved;
use crate::pubkey::KeyKind;

/// Errors of signing a batch. Any of them means nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The CA key failed to sign.
    #[error("signing '{input}' failed: {reason}")]
    Sign {
        /// The item.
        input: String,
        /// Why.
        reason: String,
    },
    /// A signed certificate failed airlock's own checks (fail closed).
    #[error(
        "certificate for '{input}' failed its check after signing, so nothing was written: {reason}"
    )]
    Check {
        /// The item.
        input: String,
        /// The rule it broke.
        reason: String,
    },
    /// The random generator failed.
    #[error("the system random number generator failed")]
    Random,
}

/// What a certificate must say: the inputs of [`sign`] and [`check_issued`].
#[derive(Debug, Clone)]
pub struct Profile<'a> {
    /// Serial, 16 bytes, first non-zero.
    pub serial: [u8; 16],
    /// The user (CN).
    pub user: &'a str,
    /// The groups (O values), in order.
    pub groups: &'a [String],
    /// DER `SubjectPublicKeyInfo` of the subject.
    pub spki_der: &'a [u8],
    /// The subject key's kind.
    pub key: &'a KeyKind,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
}

/// One signed and checked certificate.
#[derive(Debug, Clone)]
pub struct Signed {
    /// Index of the approved item it answers.
    pub index: usize,
    /// The certificate DER.
    pub der: Vec<u8>,
    /// Serial, hex.
    pub serial: String,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
}

impl Signed {
    /// PEM form.
    pub fn pem(&self) -> String {
        crate::hex::pem("CERTIFICATE", self.der.clone())
    }
}

const OID_COMMON_NAME: &[u64] = &[2, 5, 4, 3];
const OID_ORGANIZATION: &[u64] = &[2, 5, 4, 10];
const OID_BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
const OID_KEY_USAGE: &[u64] = &[2, 5, 29, 15];
const OID_EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 37];
const OID_SUBJECT_KEY_ID: &[u64] = &[2, 5, 29, 14];
const OID_AUTHORITY_KEY_ID: &[u64] = &[2, 5, 29, 35];
const OID_CLIENT_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 2];

/// Backdating of notBefore, for clocks that run slow.
pub const BACKDATE: Duration = Duration::minutes(5);

/// Signs a batch of approved items (duplicates excluded by the caller) on every core.
///
/// `serials` holds one fresh serial per entry of `items`; `progress` is called with the
/// number done so far. Each certificate is checked with [`check_issued`].
pub fn sign_batch(
    signer: &Signer,
    items: &[(usize, &Approved)],
    serials: &[[u8; 16]],
    now: OffsetDateTime,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Signed>, IssueError> {
    let done = std::sync::atomic::AtomicUsize::new(0);
    let not_before = whole_seconds(now - BACKDATE);
    // What every certificate of the batch shares, computed once.
    let facts = IssuerFacts::new(signer.certificate());
    let algorithm = signer.signature_algorithm_der();
    items
        .par_iter()
        .zip(serials.par_iter())
        .map(|((index, approved), serial)| {
            let profile = Profile {
                serial: *serial,
                user: approved.user(),
                groups: approved.groups(),
                spki_der: approved.spki_der(),
                key: approved.key(),
                not_before,
                not_after: approved.not_after(),
            };
            let der = sign_with(signer, &facts, &algorithm, &profile).map_err(|reason| {
                IssueError::Sign {
                    input: approved.input().to_owned(),
                    reason,
                }
            })?;
            check_with(&der, &facts, &profile).map_err(|reason| IssueError::Check {
                input: approved.input().to_owned(),
                reason,
            })?;
            let count = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(count);
            Ok(Signed {
                index: *index,
                der,
                serial: crate::hex::encode(serial),
                not_before: profile.not_before,
                not_after: profile.not_after,
            })
        })
        .collect()
}

/// The facts of the issuing CA that every certificate needs, parsed once.
struct IssuerFacts<'a> {
    ca: &'a CaCertificate,
    parsed: X509Certificate<'a>,
    authority_key_id: Vec<u8>,
}

impl<'a> IssuerFacts<'a> {
    fn new(ca: &'a CaCertificate) -> Self {
        Self {
            ca,
            parsed: ca.parsed(),
            authority_key_id: authority_key_id(ca),
        }
    }
}

/// Encodes and signs one certificate. Does not check it: see [`check_issued`].
pub fn sign(signer: &Signer, profile: &Profile<'_>) -> Result<Vec<u8>, String> {
    let facts = IssuerFacts::new(signer.certificate());
    sign_with(signer, &facts, &signer.signature_algorithm_der(), profile)
}

fn sign_with(
    signer: &Signer,
    facts: &IssuerFacts<'_>,
    algorithm: &[u8],
    profile: &Profile<'_>,
) -> Result<Vec<u8>, String> {
    let issuer = facts.parsed.tbs_certificate.subject.as_raw();
    let authority_key_id = &facts.authority_key_id;
    let tbs = yasna::construct_der(|writer| {
        writer.write_sequence(|writer| {
            writer
                .next()
                .write_tagged(Tag::context(0), |writer| writer.write_u8(2));
            writer.next().write_bigint_bytes(&profile.serial, true);
            writer.next().write_der(algorithm);
            writer.next().write_der(issuer);
            writer.next().write_sequence(|writer| {
                write_time(writer.next(), profile.not_before);
                write_time(writer.next(), profile.not_after);
            });
            write_subject(writer.next(), profile.user, profile.groups);
            writer.next().write_der(profile.spki_der);
            writer.next().write_tagged(Tag::context(3), |writer| {
                writer.write_sequence(|writer| write_extensions(writer, profile, authority_key_id));
            });
        });
    });
    let signature = signer.sign(&tbs).map_err(|error| error.to_string())?;
    Ok(yasna::construct_der(|writer| {
        writer.write_sequence(|writer| {
            writer.next().write_der(&tbs);
            writer.next().write_der(algorithm);
            writer
                .next()
                .write_bitvec_bytes(&signature, signature.len() * 8);
        });
    }))
}

/// The CA's key identifier: its SKI, or (for a CA without one) one derived as ours are.
fn authority_key_id(ca: &CaCertificate) -> Vec<u8> {
    crate::hex::decode(&ca.info().subject_key_id)
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| {
            key_identifier(ca.parsed().public_key().subject_public_key.data.as_ref())
        })
}

/// RFC 7093 method 1: the leftmost 160 bits of the SHA-256 of the subjectPublicKey bits.
pub fn key_identifier(subject_public_key: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, subject_public_key).as_ref()[..20].to_vec()
}

fn write_time(writer: DERWriter<'_>, moment: OffsetDateTime) {
    // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
    if moment.year() < 2050 {
        writer.write_utctime(&UTCTime::from_datetime(moment));
    } else {
        writer.write_generalized_time(&GeneralizedTime::from_datetime(moment));
    }
}

fn write_subject(writer: DERWriter<'_>, user: &str, groups: &[String]) {
    writer.write_sequence(|writer| {
        for group in groups {
            write_attribute(writer.next(), OID_ORGANIZATION, group);
        }
        write_attribute(writer.next(), OID_COMMON_NAME, user);
    });
}

fn write_attribute(writer: DERWriter<'_>, oid: &[u64], value: &str) {
    writer.write_set(|writer| {
        writer.next().write_sequence(|writer| {
            writer.next().write_oid(&ObjectIdentifier::from_slice(oid));
            writer.next().write_utf8_string(value);
        });
    });
}

fn write_extension(writer: DERWriter<'_>, oid: &[u64], critical: bool, value: &[u8]) {
    writer.write_sequence(|writer| {
        writer.next().write_oid(&ObjectIdentifier::from_slice(oid));
        if critical {
            writer.next().write_bool(true);
        }
        writer.next().write_bytes(value);
    });
}

fn write_extensions(
    writer: &mut yasna::DERWriterSeq<'_>,
    profile: &Profile<'_>,
    authority_key_id: &[u8],
) {
    // basicConstraints: an empty SEQUENCE is CA:FALSE (DEFAULT FALSE is not encoded).
    let basic_constraints = yasna::construct_der(|writer| writer.write_sequence(|_| {}));
    write_extension(
        writer.next(),
        OID_BASIC_CONSTRAINTS,
        true,
        &basic_constraints,
    );
    // keyUsage: digitalSignature (bit 0), plus keyEncipherment (bit 2) for RSA keys.
    let key_usage = if profile.key.is_rsa() {
        yasna::construct_der(|writer| writer.write_bitvec_bytes(&[0b1010_0000], 3))
    } else {
        yasna::construct_der(|writer| writer.write_bitvec_bytes(&[0b1000_0000], 1))
    };
    write_extension(writer.next(), OID_KEY_USAGE, true, &key_usage);
    let ext_key_usage = yasna::construct_der(|writer| {
        writer.write_sequence(|writer| {
            writer
                .next()
                .write_oid(&ObjectIdentifier::from_slice(OID_CLIENT_AUTH));
        });
    });
    write_extension(writer.next(), OID_EXT_KEY_USAGE, false, &ext_key_usage);
    let subject_key_id = subject_public_key_bits(profile.spki_der)
        .map(|bits| key_identifier(&bits))
        .unwrap_or_default();
    let ski = yasna::construct_der(|writer| writer.write_bytes(&subject_key_id));
    write_extension(writer.next(), OID_SUBJECT_KEY_ID, false, &ski);
    let aki = yasna::construct_der(|writer| {
        writer.write_sequence(|writer| {
            writer
                .next()
                .write_tagged_implicit(Tag::context(0), |writer| {
                    writer.write_bytes(authority_key_id);
                });
        });
    });
    write_extension(writer.next(), OID_AUTHORITY_KEY_ID, false, &aki);
}

fn subject_public_key_bits(spki_der: &[u8]) -> Option<Vec<u8>> {
    let (_, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki_der).ok()?;
    Some(spki.subject_public_key.data.to_vec())
}

/// Parses `der` back and checks every rule of the issuance profile against `profile`
/// and the CA, including the signature. Returns the first broken rule.
pub fn check_issued(der: &[u8], ca: &CaCertificate, profile: &Profile<'_>) -> Result<(), String> {
    check_with(der, &IssuerFacts::new(ca), profile)
}

fn check_with(der: &[u8], facts: &IssuerFacts<'_>, profile: &Profile<'_>) -> Result<(), String> {
    let ca = facts.ca;
    let (rest, cert) =
        X509Certificate::from_der(der).map_err(|error| format!("does not parse: {error}"))?;
    if !rest.is_empty() {
        return Err("trailing bytes".to_owned());
    }
    let ca_parsed = &facts.parsed;
    let ensure = |ok: bool, rule: &str| if ok { Ok(()) } else { Err(rule.to_owned()) };
    ensure(
        cert.version() == x509_parser::x509::X509Version::V3,
        "not X.509 v3",
    )?;
    ensure(
        cert.raw_serial() == serial_der_content(&profile.serial).as_slice(),
        "serial differs",
    )?;
    let serial_octets = cert.raw_serial().len();
    ensure(
        (16..=20).contains(&serial_octets) && cert.raw_serial()[0] & 0x80 == 0,
        "serial not positive, 16-20 octets",
    )?;
    ensure(
        cert.issuer().as_raw() == ca_parsed.subject().as_raw(),
        "issuer is not the CA's subject",
    )?;
    cert.verify_signature(Some(ca_parsed.public_key()))
        .map_err(|error| format!("signature does not verify against the CA: {error}"))?;
    ensure(
        cert.public_key().raw == profile.spki_der,
        "public key differs from the CSR's",
    )?;

    let mut common_names = Vec::new();
    let mut organizations = Vec::new();
    for rdn in cert.subject().iter() {
        for attribute in rdn.iter() {
            let value = attribute
                .as_str()
                .map_err(|_| "subject value is not a string".to_owned())?
                .to_owned();
            match attribute.attr_type().to_id_string().as_str() {
                "2.5.4.3" => common_names.push(value),
                "2.5.4.10" => organizations.push(value),
                other => return Err(format!("subject holds attribute {other}")),
            }
        }
    }
    ensure(
        common_names == [profile.user],
        "subject CN differs from the approved user",
    )?;
    ensure(
        organizations == profile.groups,
        "subject O values differ from the approved groups",
    )?;

    let validity = cert.validity();
    ensure(
        validity.not_before.to_datetime() == profile.not_before,
        "notBefore differs",
    )?;
    ensure(
        validity.not_after.to_datetime() == profile.not_after,
        "notAfter differs",
    )?;
    ensure(
        profile.not_after <= ca.info().not_after,
        "notAfter is past the CA's",
    )?;
    ensure(profile.not_before < profile.not_after, "empty validity")?;

    check_extensions(&cert, facts, profile)
}

/// The profile's five extensions, each exactly as the profile says, nothing else.
fn check_extensions(
    cert: &X509Certificate<'_>,
    facts: &IssuerFacts<'_>,
    profile: &Profile<'_>,
) -> Result<(), String> {
    let ensure = |ok: bool, rule: &str| if ok { Ok(()) } else { Err(rule.to_owned()) };
    let extensions = cert.extensions();
    ensure(
        extensions.len() == 5,
        "extensions other than the profile's five",
    )?;
    let mut seen = Vec::new();
    for extension in extensions {
        let oid = extension.oid.to_id_string();
        ensure(!seen.contains(&oid), "an extension is repeated")?;
        seen.push(oid);
        match extension.parsed_extension() {
            ParsedExtension::BasicConstraints(constraints) => {
                ensure(
                    extension.critical
                        && !constraints.ca
                        && constraints.path_len_constraint.is_none(),
                    "basicConstraints is not critical CA:FALSE",
                )?;
            }
            ParsedExtension::KeyUsage(usage) => {
                let expected: u16 = if profile.key.is_rsa() { 0b101 } else { 0b1 };
                ensure(
                    extension.critical && usage.flags == expected,
                    "keyUsage is not critical digitalSignature (+keyEncipherment for RSA)",
                )?;
            }
            ParsedExtension::ExtendedKeyUsage(usage) => {
                let only_client = usage.client_auth
                    && !usage.server_auth
                    && !usage.any
                    && !usage.code_signing
                    && !usage.email_protection
                    && !usage.time_stamping
                    && !usage.ocsp_signing
                    && usage.other.is_empty();
                ensure(
                    !extension.critical && only_client,
                    "extKeyUsage is not clientAuth alone",
                )?;
            }
            ParsedExtension::SubjectKeyIdentifier(id) => {
                let expected = key_identifier(cert.public_key().subject_public_key.data.as_ref());
                ensure(
                    id.0 == expected.as_slice(),
                    "subject key identifier is wrong",
                )?;
            }
            ParsedExtension::AuthorityKeyIdentifier(id) => {
                let expected = &facts.authority_key_id;
                ensure(
                    id.key_identifier.as_ref().map(|key| key.0) == Some(expected.as_slice())
                        && id.authority_cert_issuer.is_none()
                        && id.authority_cert_serial.is_none(),
                    "authority key identifier is not the CA's",
                )?;
            }
            _ => return Err(format!("unexpected extension {}", extension.oid)),
        }
    }
    Ok(())
}

/// The content octets of the DER INTEGER for a positive serial.
fn serial_der_content(serial: &[u8; 16]) -> Vec<u8> {
    let mut content = Vec::with_capacity(17);
    if serial[0] & 0x80 != 0 {
        content.push(0);
    }
    content.extend_from_slice(serial);
    content
}
