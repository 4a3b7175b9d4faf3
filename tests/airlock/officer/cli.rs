//! Officer-facing behaviour: cli.

#[allow(unused_imports)]
use crate::support::*;
