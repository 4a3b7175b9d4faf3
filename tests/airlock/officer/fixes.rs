//! Officer-facing behaviour: core fixes.

#[allow(unused_imports)]
use crate::support::*;
