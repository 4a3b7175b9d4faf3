//! A progress gauge drawn with characters (`███░░░ 3/10`), so that it reads the same
//! with and without colour, fed by the worker's progress reports.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::tui::theme::Theme;

/// Progress of `done` out of `total`, after a label.
#[derive(Debug, Clone)]
pub struct Gauge<'a> {
    /// What is in progress, e.g. `signing`.
    pub label: &'a str,
    /// Done so far.
    pub done: usize,
    /// Out of.
    pub total: usize,
    /// Styles.
    pub theme: Theme,
}

impl Widget for Gauge<'_> {
    fn render(self, area: Rect, buffer: &mut Buffer) {
        let done = self.done.min(self.total);
        let count = format!(" {done}/{}", self.total);
        let fixed = self.label.chars().count() + count.len() + 3;
        let width = usize::from(area.width).saturating_sub(fixed).min(40);
        let filled = (done * width).checked_div(self.total).unwrap_or(0);
        Line::from(vec![
            Span::raw(format!("{} [", self.label)),
            Span::styled("█".repeat(filled), self.theme.ok()),
            Span::styled("░".repeat(width - filled), self.theme.dim()),
            Span::raw(format!("]{count}")),
        ])
        .render(area, buffer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draw(done: usize, total: usize, width: u16) -> String {
        let area = Rect::new(0, 0, width, 1);
        let mut buffer = Buffer::empty(area);
        Gauge {
            label: "signing",
            done,
            total,
            theme: Theme::plain(),
        }
        .render(area, &mut buffer);
        buffer
            .content
            .iter()
            .map(ratatui::buffer::Cell::symbol)
            .collect::<String>()
            .trim_end()
            .to_owned()
    }

    #[test]
    fn fills_in_proportion() {
        assert_eq!(draw(0, 4, 30), "signing [░░░░░░░░░░░░░░░░] 0/4");
        assert_eq!(draw(2, 4, 30), "signing [████████░░░░░░░░] 2/4");
        assert_eq!(draw(4, 4, 30), "signing [████████████████] 4/4");
    }

    #[test]
    fn survives_nothing_to_do_and_tiny_areas() {
        assert_eq!(draw(0, 0, 30), "signing [░░░░░░░░░░░░░░░░] 0/0");
        assert_eq!(draw(9, 4, 8), "signing");
    }
}
