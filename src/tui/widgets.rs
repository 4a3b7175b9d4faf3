//! Dialogs and small widgets. Each owns its own state and turns the actions it is given
//! into an [`Outcome`]; the app decides what an outcome means. Each draws itself over
//! the screen, inside a bordered box, and never changes state while drawing.

pub mod choice;
pub mod confirm;
pub mod digest;
pub mod error;
pub mod gauge;
pub mod line_edit;
pub mod pager;
pub mod passphrase;
pub mod path_input;
pub mod prompt;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear};

use super::theme::Theme;

/// What a dialog did with an action.
#[derive(Debug)]
pub enum Outcome<T> {
    /// Still open.
    Pending,
    /// Closed without acting.
    Cancelled,
    /// Closed with a value to act on.
    Done(T),
}

/// A box of at most `width` x `height` in the middle of `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// Clears `area` and draws a dialog border titled `title`; returns the inside.
pub fn dialog(frame: &mut Frame, area: Rect, title: Line<'_>, theme: Theme) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::new()
        .borders(Borders::ALL)
        .title(title.style(theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

#[cfg(test)]
pub(crate) mod testing {
    //! Drawing one widget into a test buffer.

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::buffer::Buffer;

    /// Draws with `draw` into a `width` x `height` buffer and returns it.
    pub fn render(width: u16, height: u16, draw: impl FnOnce(&mut ratatui::Frame)) -> Buffer {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
        terminal.draw(draw).expect("draw");
        terminal.backend().buffer().clone()
    }

    /// The buffer's text, one line per row, trailing spaces kept.
    pub fn lines(buffer: &Buffer) -> Vec<String> {
        let width = usize::from(buffer.area.width);
        buffer
            .content
            .chunks(width)
            .map(|row| row.iter().map(ratatui::buffer::Cell::symbol).collect())
            .collect()
    }

    /// Whether some row contains `needle`.
    pub fn shows(buffer: &Buffer, needle: &str) -> bool {
        lines(buffer).iter().any(|line| line.contains(needle))
    }
}
