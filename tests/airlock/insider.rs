//! The insider: someone who can write to the CA home (or hand in the USB stick) but does
//! not know the passphrase. Each test is written as the attack and asserts that nothing
//! is signed, deleted or trusted, and that the officer is told what was found.
//!
//! One module per area of the home's trust model: the ledger and its seals, the policy,
//! the files of the home, the intake folder, revocation.

mod files;
mod intake;
mod ledger;
mod policy;
mod revocation;
