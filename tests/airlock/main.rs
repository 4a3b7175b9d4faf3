//! airlock's integration tests: one test binary, one module per capability.
//!
//! Tests that need only `openssl` always run (openssl is a test prerequisite). Tests that
//! need Go, Python cryptography, pkilint or nginx are `#[ignore]`d with the reason and run
//! by `.ci/run` with `AIRLOCK_INTEROP=1 cargo test -- --include-ignored`, where a missing
//! tool fails the test: a check that did not run is never counted as passed.

// Tests write fixtures into their own temporary folders with plain std::fs::write.
// Helpers outside #[test] functions fail tests the way tests fail: by panicking.
#![allow(clippy::disallowed_methods, clippy::panic)]

mod support;

mod batch;
mod hostile;
mod import;
mod insider;
mod interop;
mod keys;
mod ledger;
mod lifecycle;
mod mtls;
mod officer;
mod rotation;

mod tui;
