//! Rotation: a placeholder until the dual-CA rotation operations exist. The next round
//! replaces this file with the phase timeline, the checklist and the begin / reissue /
//! finish / abort actions.

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
            format!("{} CA rotation is not in this build yet.", theme::WARN),
            theme.warn(),
        ),
        Line::from(""),
        Line::from("It arrives with the rotation operations: the phase timeline, the"),
        Line::from("deployment checklist and begin / reissue / finish / abort, each with a"),
        Line::from("typed confirmation. Until then this home stays on its current CA."),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(section(" Rotation ".to_owned(), theme)),
        area,
    );
}
