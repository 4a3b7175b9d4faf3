//! Officer-facing behaviour: tui.

#[allow(unused_imports)]
use crate::support::*;
