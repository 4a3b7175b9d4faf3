//! airlock: an offline certificate authority for Kubernetes client certificates.
//!
//! Security officers run airlock on an air-gapped host to keep the cluster CA key
//! encrypted at rest, sign batches of certificate signing requests carried in on
//! removable media, rotate the CA through the dual-CA procedure and keep a
//! tamper-evident ledger of every act.
//!
//! This crate is the core: it knows nothing of terminals. The binary's CLI and TUI are
//! thin front ends over [`ops`].
//!
//! # Glossary
//!
//! - **CA home**: the folder holding `airlock.toml`, `ledger.jsonl` and `cas/<id>/`
//!   (see [`home`]).
//! - **Issuer**: the CA whose key signs a certificate; its subject becomes the
//!   certificate's issuer name and its key identifier the authority key identifier.
//! - **Subject**: who a certificate names. For Kubernetes the common name (CN) is the
//!   user name and every organization (O) value is a group, in order.
//! - **Serial**: the certificate's serial number, 16 random bytes, unique per CA.
//! - **Credential id**: `X509SHA256=<hex>`, how Kubernetes audit logs name an x509 login.
//! - **Batch**: the CSRs read from one intake folder; its digest is a short SHA-256 over
//!   the sorted CSR hashes, read aloud to compare with the requester out of band.
//! - **Ledger entry**: one line of `ledger.jsonl`, hash-chained to the one before it; the
//!   ledger is the single source of truth and state is its replay (see [`ledger`]).
//! - **Seal**: a ledger entry holding the CA's signature over the head hash.
//! - **Anchor**: the first CA's certificate fingerprint. With the head hash, written down
//!   outside the home, it tells the real history from one rewritten by someone who can
//!   write to the home but holds no key.
//! - **Introduction**: the active CA key's signature over a new CA's certificate, which a
//!   rotation records; a CA enters the ledger only as the anchor, introduced, or renewed
//!   over the same key.
//! - **Unsealed entries**: entries after the last seal that the current process did not
//!   write; nothing is signed over them until an officer accepts them.
//! - **Policy in force**: the policy the ledger records; `airlock.toml` is a proposal until
//!   an officer accepts it with the key.
//! - **Rotation phase**: where the dual-CA rotation stands: stable, overlap, reissued.

pub mod ca;
pub mod csr;
pub mod demo;
pub mod error;
pub mod export;
pub mod hex;
pub mod home;
pub mod intake;
pub mod issue;
pub mod keystore;
pub mod ledger;
pub mod ops;
pub mod policy;
pub mod pubkey;
pub mod revocation_reason;
pub mod rotation;
pub mod secret;
pub mod state;
pub mod text;

pub use error::Error;
