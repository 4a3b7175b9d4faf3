//! `airlock crl`: a fresh CRL before the last one's next update, without revoking
//! anything new.
//!
//! Each CA whose lineage has revocations signs one CRL of them (the CA with no
//! revocation signs an empty one when nothing was ever revoked), numbered after the
//! last. Order of writes as for `revoke`: the `crl.issued` entries and a seal are
//! committed first, then the files are written, never over an existing file.

use std::path::PathBuf;

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use super::batch::{check_out_folder, create_out_folder};
use super::{Context, Session, Unlock};
use crate::Error;
use crate::home::write_new;
use crate::state::CaRole;

/// How long a CRL airlock signs stays current (its nextUpdate).
pub const CRL_DAYS: i64 = 30;

/// `airlock crl`.
#[derive(Debug, Clone)]
pub struct CrlRequest {
    /// Where to write `<ca id>.crl` (created if missing; outside the home).
    pub out: PathBuf,
}

/// What `crl` did.
#[derive(Debug, Clone, Serialize)]
pub struct CrlReport {
    /// CRL files written, one per CA.
    pub crls: Vec<PathBuf>,
    /// CAs that could not sign a CRL, with the reason.
    pub skipped: Vec<String>,
    /// Revocations the CRLs list, all CAs together.
    pub revoked: usize,
    /// When the CRLs should be issued again.
    #[serde(with = "time::serde::rfc3339")]
    pub next_update: OffsetDateTime,
}

/// The CAs that sign: for each revocation, the current certificate of its issuer's key
/// lineage, while that key is trusted and not destroyed; the signing CA when nothing was
/// revoked.
fn signing_cas(session: &Session) -> Vec<String> {
    let state = session.state();
    let current = |ca: &str| {
        state.lineage(ca).into_iter().find(|id| {
            state.is_trusted_issuer(id)
                && state.ca(id).is_some_and(|record| {
                    record.role != CaRole::Superseded && !record.key_destroyed
                })
        })
    };
    let mut ids: Vec<String> = state
        .revocations()
        .filter_map(|revoked| current(&revoked.ca))
        .collect();
    if ids.is_empty()
        && let Some(ca) = state.signing_ca()
    {
        ids.push(ca.certificate.info().id.clone());
    }
    ids.sort();
    ids.dedup();
    ids
}

/// Issues a CRL per CA involved (the current certificate of each lineage with revocations), records each as `crl.issued`, seals.
pub fn crl(
    session: &mut Session,
    request: &CrlRequest,
    unlock: &dyn Unlock,
    context: &Context<'_>,
) -> Result<CrlReport, Error> {
    let ids = signing_cas(session);
    if ids.is_empty() {
        return Err(Error::Refused(
            "no CA of this home can sign a CRL (none is trusted with its key)".to_owned(),
        ));
    }
    check_out_folder(session.home(), None, &request.out)?;
    // Refused before any key is unlocked: a CRL is never written over another.
    for id in &ids {
        let path = request.out.join(format!("{id}.crl"));
        if std::fs::symlink_metadata(&path).is_ok() {
            return Err(Error::Refused(format!(
                "'{}' exists already: choose another output folder",
                path.display()
            )));
        }
    }
    let mut signers = Vec::new();
    for id in &ids {
        signers.push(session.unlock(id, unlock)?);
    }
    let super::revoke::RecordedCrls {
        files,
        skipped,
        revoked,
    } = super::revoke::record_crls(session, &signers, &request.out, context)?;
    if files.is_empty() {
        return Err(Error::Refused(format!(
            "no CRL could be signed: {}",
            skipped.join("; ")
        )));
    }
    if let Some(signer) = signers.last() {
        session
            .ledger
            .seal(&mut session.state, context.now, signer)?;
    }
    drop(signers);
    session.ledger.commit()?;
    // Made only now that the act is certain: a refusal or a wrong passphrase leaves no
    // empty folder behind.
    create_out_folder(session.home(), &request.out)?;
    for (path, pem) in &files {
        write_new(path, pem.as_bytes())?;
    }
    Ok(CrlReport {
        crls: files.into_iter().map(|(path, _)| path).collect(),
        skipped,
        revoked,
        next_update: crate::ca::whole_seconds(context.now + Duration::days(CRL_DAYS)),
    })
}
