//! What officers hit: the rough edges of the CLI and the TUI, each test written as the
//! officer's mistake or surprise, asserting what airlock now says and does.

mod cli;
mod confirm;
mod fixes;
mod tui;
