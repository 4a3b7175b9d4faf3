//! The crypto floor of `airlock sign`: how many certificates per second ring alone could
//! produce if the public-key operations were the only work.
//!
//! Per certificate airlock does three public-key operations (src/csr.rs, src/issue.rs):
//! 1. verify the CSR's self-signature with the subject key (proof of possession);
//! 2. sign the TBSCertificate with the CA key;
//! 3. verify that signature again with the CA's public key (the parse-back check).
//!
//! This program does exactly those three with ring 0.17 (the same calls: an
//! `UnparsedPublicKey` built per verification, `EcdsaKeyPair`/`RsaKeyPair` signing with
//! `SystemRandom`) on messages of the sizes airlock signs, over a rayon pool of 1 and 2
//! threads. Nothing else: no DER encoding, no parsing, no files.
//!
//! Usage: airlock-floor [--threads 1,2] [--p256-certs N] [--rsa-certs N]
//!                      [--rsa-ca-pkcs8 CA.der --rsa-subject-pkcs8 SUBJECT.der]
//! ring cannot generate RSA keys, so RSA is measured only when two PKCS#8 DER RSA-2048
//! keys are given (sign.sh makes them with openssl). Output: one `floor` line per
//! algorithm and thread count (best of three rounds of N certificates), one `op` line per
//! operation (mean over up to 2,000 calls on one thread).

use std::time::{Duration, Instant};

use rayon::prelude::*;
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair,
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, UnparsedPublicKey,
};

/// Bytes signed by a P-256 CSR's requester (CertificationRequestInfo of a CN+O CSR).
const CSR_INFO_P256: usize = 180;
/// Bytes of a P-256 client certificate's TBSCertificate as airlock encodes it.
const TBS_P256: usize = 420;
/// The same for RSA-2048 (the subject key is ~200 bytes longer).
const CSR_INFO_RSA: usize = 400;
const TBS_RSA: usize = 680;

struct Args {
    threads: Vec<usize>,
    p256_certs: usize,
    rsa_certs: usize,
    rsa_ca: Option<String>,
    rsa_subject: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        threads: vec![1, 2],
        p256_certs: 10_000,
        rsa_certs: 2_000,
        rsa_ca: None,
        rsa_subject: None,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(flag) = iter.next() {
        let mut value = || iter.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--threads" => {
                args.threads = value()?
                    .split(',')
                    .map(|n| n.parse().map_err(|_| format!("bad thread count '{n}'")))
                    .collect::<Result<_, _>>()?;
            }
            "--p256-certs" => {
                args.p256_certs = value()?.parse().map_err(|_| "bad --p256-certs")?;
            }
            "--rsa-certs" => args.rsa_certs = value()?.parse().map_err(|_| "bad --rsa-certs")?,
            "--rsa-ca-pkcs8" => args.rsa_ca = Some(value()?),
            "--rsa-subject-pkcs8" => args.rsa_subject = Some(value()?),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(args)
}

/// A message of `len` bytes that differs per certificate (the serial and names differ).
fn message(template: &[u8], index: usize) -> Vec<u8> {
    let mut bytes = template.to_vec();
    bytes[..8].copy_from_slice(&(index as u64).to_be_bytes());
    bytes
}

fn template(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// One certificate's public-key work, for one algorithm.
trait CertWork: Sync {
    fn csr_verify(&self);
    fn ca_sign(&self, index: usize) -> (Vec<u8>, Vec<u8>);
    fn parse_back_verify(&self, tbs: &[u8], signature: &[u8]);
    fn one_cert(&self, index: usize) {
        self.csr_verify();
        let (tbs, signature) = self.ca_sign(index);
        self.parse_back_verify(&tbs, &signature);
    }
}

struct P256 {
    rng: SystemRandom,
    ca: EcdsaKeyPair,
    ca_public: Vec<u8>,
    subject_public: Vec<u8>,
    csr_info: Vec<u8>,
    csr_signature: Vec<u8>,
    tbs: Vec<u8>,
}

impl P256 {
    fn new() -> Self {
        let rng = SystemRandom::new();
        let generate = || {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
                .expect("P-256 key generation");
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
                .expect("P-256 key")
        };
        let ca = generate();
        let subject = generate();
        let csr_info = template(CSR_INFO_P256, 1);
        let csr_signature = subject
            .sign(&rng, &csr_info)
            .expect("CSR signature")
            .as_ref()
            .to_vec();
        Self {
            ca_public: ca.public_key().as_ref().to_vec(),
            subject_public: subject.public_key().as_ref().to_vec(),
            ca,
            rng,
            csr_info,
            csr_signature,
            tbs: template(TBS_P256, 2),
        }
    }
}

impl CertWork for P256 {
    fn csr_verify(&self) {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &self.subject_public)
            .verify(&self.csr_info, &self.csr_signature)
            .expect("CSR verifies");
    }
    fn ca_sign(&self, index: usize) -> (Vec<u8>, Vec<u8>) {
        let tbs = message(&self.tbs, index);
        let signature = self.ca.sign(&self.rng, &tbs).expect("CA signs");
        (tbs, signature.as_ref().to_vec())
    }
    fn parse_back_verify(&self, tbs: &[u8], signature: &[u8]) {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &self.ca_public)
            .verify(tbs, signature)
            .expect("certificate verifies");
    }
}

struct Rsa {
    rng: SystemRandom,
    ca: RsaKeyPair,
    ca_public: Vec<u8>,
    subject_public: Vec<u8>,
    csr_info: Vec<u8>,
    csr_signature: Vec<u8>,
    tbs: Vec<u8>,
}

impl Rsa {
    fn new(ca_path: &str, subject_path: &str) -> Result<Self, String> {
        let load = |path: &str| {
            let der = std::fs::read(path).map_err(|error| format!("{path}: {error}"))?;
            RsaKeyPair::from_pkcs8(&der).map_err(|error| format!("{path}: {error}"))
        };
        let ca = load(ca_path)?;
        let subject = load(subject_path)?;
        let rng = SystemRandom::new();
        let csr_info = template(CSR_INFO_RSA, 3);
        let mut csr_signature = vec![0; subject.public().modulus_len()];
        subject
            .sign(&RSA_PKCS1_SHA256, &rng, &csr_info, &mut csr_signature)
            .map_err(|_| "RSA CSR signature failed".to_owned())?;
        Ok(Self {
            ca_public: ca.public_key().as_ref().to_vec(),
            subject_public: subject.public_key().as_ref().to_vec(),
            ca,
            rng,
            csr_info,
            csr_signature,
            tbs: template(TBS_RSA, 4),
        })
    }
}

impl CertWork for Rsa {
    fn csr_verify(&self) {
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.subject_public)
            .verify(&self.csr_info, &self.csr_signature)
            .expect("CSR verifies");
    }
    fn ca_sign(&self, index: usize) -> (Vec<u8>, Vec<u8>) {
        let tbs = message(&self.tbs, index);
        let mut signature = vec![0; self.ca.public().modulus_len()];
        self.ca
            .sign(&RSA_PKCS1_SHA256, &self.rng, &tbs, &mut signature)
            .expect("CA signs");
        (tbs, signature)
    }
    fn parse_back_verify(&self, tbs: &[u8], signature: &[u8]) {
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.ca_public)
            .verify(tbs, signature)
            .expect("certificate verifies");
    }
}

/// Mean time of `op` over `count` calls on this thread.
fn per_op(count: usize, mut op: impl FnMut(usize)) -> Duration {
    let start = Instant::now();
    for index in 0..count {
        op(index);
    }
    start.elapsed() / u32::try_from(count).unwrap_or(u32::MAX)
}

fn measure(alg: &str, work: &dyn CertWork, certs: usize, threads: &[usize]) {
    // Warm up (page in code, fill caches), then the single-thread breakdown per op.
    for index in 0..certs.min(200) {
        work.one_cert(index);
    }
    let ops = certs.clamp(1, 2_000);
    let verify = per_op(ops, |_| work.csr_verify());
    let signed: Vec<_> = (0..ops).map(|index| work.ca_sign(index)).collect();
    let sign = per_op(ops, |index| {
        let _ = work.ca_sign(index);
    });
    let check = per_op(ops, |index| {
        work.parse_back_verify(&signed[index].0, &signed[index].1);
    });
    for (name, each) in [
        ("csr_verify", verify),
        ("ca_sign", sign),
        ("parse_back_verify", check),
    ] {
        println!(
            "op alg={alg} name={name} us={:.1}",
            each.as_secs_f64() * 1e6
        );
    }
    for &count in threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(count)
            .build()
            .expect("thread pool");
        // Best of three rounds: the machine may be shared.
        let seconds = (0..3)
            .map(|_| {
                let start = Instant::now();
                pool.install(|| {
                    (0..certs)
                        .into_par_iter()
                        .for_each(|index| work.one_cert(index));
                });
                start.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min);
        println!(
            "floor alg={alg} threads={count} certs={certs} seconds={seconds:.3} certs_per_s={:.0}",
            certs as f64 / seconds
        );
    }
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(2);
        }
    };
    if args.p256_certs > 0 {
        measure("p256", &P256::new(), args.p256_certs, &args.threads);
    }
    if args.rsa_certs > 0 {
        match (&args.rsa_ca, &args.rsa_subject) {
            (Some(ca), Some(subject)) => match Rsa::new(ca, subject) {
                Ok(rsa) => measure("rsa2048", &rsa, args.rsa_certs, &args.threads),
                Err(error) => {
                    eprintln!("error: {error}");
                    std::process::exit(1);
                }
            },
            _ => eprintln!("note: RSA skipped (give --rsa-ca-pkcs8 and --rsa-subject-pkcs8)"),
        }
    }
}
