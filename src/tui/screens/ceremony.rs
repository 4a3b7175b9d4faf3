//! Ceremony: a placeholder until ceremony scripts can be run; they arrive with their own
//! issue, as a step-by-step wizard over the same runner the CLI uses.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::section;
use crate::tui::theme::{self, Theme};

/// Draws the placeholder.
pub fn draw(frame: &mut Frame, area: Rect, theme: Theme) {
    let lines = vec![
        Line::styled(
            format!(
                "{} Not available yet: ceremonies arrive with their own issue.",
                theme::WARN
            ),
            theme.warn(),
        ),
        Line::from(""),
        Line::from("A ceremony script (ceremony-scripts/*.toml) will run here as a wizard:"),
        Line::from("one step at a time, witnesses confirming by typed text, every step and"),
        Line::from("every confirmation written to the ledger."),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(section(" Ceremony ".to_owned(), theme)),
        area,
    );
}
