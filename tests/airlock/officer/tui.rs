//! Officer-facing behaviour: tui.
//!
//! The TUI items of issue 10 (8 and 17) are tested inside the binary, where `App::update`
//! and the views can be driven without a terminal: `src/tui/app*.rs` (state tests),
//! `src/tui/screens/*.rs` and `src/tui/widgets/*.rs` (buffer tests), the snapshots in
//! `src/tui/view*`, and in a real terminal by `tests/tui_tmux.sh` (the checklist scrolled
//! to its end at 80x24, the prompts naming each CA by role and id, the ledger verified
//! again after an act), which `tui.rs` runs.

#[allow(unused_imports)]
use crate::support::*;
