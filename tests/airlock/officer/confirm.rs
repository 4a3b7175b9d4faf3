//! Officer-facing behaviour: confirm.

#[allow(unused_imports)]
use crate::support::*;
