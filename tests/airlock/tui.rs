//! (TUI tests to come)
