//! The policy in force is part of the record: `airlock.toml` is only a proposal.
//!
//! `init` and `import` record the policy's canonical form and digest (`policy.changed`).
//! An edited `airlock.toml` takes effect only once an officer accepts it with an act
//! that unlocks the signing CA's key ([`accept_policy`]: a sealed `policy.changed`
//! entry). Until then the recorded policy is used, and every front end shows the
//! difference as a warning. Someone who can write to the home cannot lift the policy.

use serde::Serialize;

use super::{Context, Session, Unlock};
use crate::Error;
use crate::policy::PolicyConfig;
use crate::state::{KIND_POLICY_CHANGED, PolicyChanged};

/// How `airlock.toml` differs from the policy in force.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PolicyDrift {
    /// Digest of the policy in force.
    pub recorded_digest: String,
    /// Digest of the file's policy, when it parses.
    pub file_digest: Option<String>,
    /// What the file changes, one line each (empty when it does not parse).
    pub differences: Vec<String>,
    /// Why the file does not parse, if it does not.
    pub file_error: Option<String>,
    /// The home recorded no policy yet (made before airlock recorded policies): the
    /// built-in defaults are in force.
    pub unrecorded: bool,
}

/// What [`accept_policy`] did.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyReport {
    /// Digest of the policy now in force.
    pub digest: String,
    /// Digest of the policy it replaced.
    pub previous: String,
    /// What changed.
    pub differences: Vec<String>,
    /// The ledger line that records it.
    pub line: u64,
}

impl Session {
    /// The policy in force: the one the ledger records, or the built-in defaults for a
    /// home that recorded none. Never `airlock.toml` as it stands.
    pub fn policy(&self) -> Result<PolicyConfig, Error> {
        match self.state().recorded_policy() {
            Some(recorded) => PolicyConfig::from_canonical(&recorded.canonical).map_err(|reason| {
                Error::Refused(format!(
                    "the policy recorded on ledger line {} cannot be used: {reason}",
                    recorded.line
                ))
            }),
            None => Ok(PolicyConfig::default()),
        }
    }

    /// How `airlock.toml` differs from the policy in force; `None` when it says the same
    /// (or is absent from a home that recorded none).
    pub fn policy_drift(&self) -> Option<PolicyDrift> {
        let in_force = self.policy().ok()?;
        let unrecorded = self.state().recorded_policy().is_none();
        let recorded_digest = in_force.digest();
        match self.home().policy() {
            Ok(file) if file.digest() == recorded_digest => None,
            Ok(file) => Some(PolicyDrift {
                recorded_digest,
                file_digest: Some(file.digest()),
                differences: in_force.differences(&file),
                file_error: None,
                unrecorded,
            }),
            Err(error) => Some(PolicyDrift {
                recorded_digest,
                file_digest: None,
                differences: Vec::new(),
                file_error: Some(error.to_string()),
                unrecorded,
            }),
        }
    }

    /// Appends the `policy.changed` entry for `policy` (not sealed, not committed).
    pub(crate) fn record_policy(
        &mut self,
        policy: &PolicyConfig,
        context: &Context<'_>,
    ) -> Result<u64, Error> {
        // The chain of policies follows the last record, sealed or not (an accepted
        // unsealed one included); the differences are against the policy in force.
        let previous = self
            .state()
            .latest_recorded_policy()
            .map(|recorded| recorded.digest.clone());
        let differences = match self.state().recorded_policy() {
            Some(_) => self.policy()?.differences(policy),
            None => Vec::new(),
        };
        let payload = serde_json::to_value(PolicyChanged {
            digest: policy.digest(),
            policy: policy.canonical(),
            previous,
            differences,
        })
        .map_err(|error| Error::Refused(error.to_string()))?;
        let entry =
            self.ledger
                .append(&mut self.state, context.now, KIND_POLICY_CHANGED, payload)?;
        Ok(entry.seq)
    }
}

/// Puts `airlock.toml` in force: unlocks the signing CA (the incoming one during a
/// rotation), records the new policy with what changed, seals and commits. Refuses when
/// the file does not parse or says what is already in force.
pub fn accept_policy(
    session: &mut Session,
    unlock: &dyn Unlock,
    context: &Context<'_>,
) -> Result<PolicyReport, Error> {
    let file = session.home().policy()?;
    let in_force = session.policy()?;
    let previous = in_force.digest();
    if session.state().recorded_policy().is_some() && file.digest() == previous {
        return Err(Error::Refused(
            "airlock.toml says what the recorded policy says: there is nothing to accept"
                .to_owned(),
        ));
    }
    let ca_id = session
        .state()
        .signing_ca()
        .map(|ca| ca.certificate.info().id.clone())
        .ok_or_else(|| Error::Refused("this home has no CA yet".to_owned()))?;
    let signer = session.unlock(&ca_id, unlock)?;
    let differences = in_force.differences(&file);
    let line = session.record_policy(&file, context)?;
    session
        .ledger
        .seal(&mut session.state, context.now, &signer)?;
    drop(signer);
    session.ledger.commit()?;
    Ok(PolicyReport {
        digest: file.digest(),
        previous,
        differences,
        line,
    })
}
