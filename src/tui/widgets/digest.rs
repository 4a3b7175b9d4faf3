//! The batch digest in large characters (three rows of block glyphs), to be read aloud
//! and compared with the requester's without squinting. Characters other than hex digits
//! and `-` are drawn as `?`: the digest is airlock's own output, never untrusted text.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Widget;

/// Columns one glyph takes, the space after it included.
pub const GLYPH_WIDTH: usize = 4;

fn glyph(character: char) -> [&'static str; 3] {
    match character.to_ascii_lowercase() {
        '0' => ["█▀█", "█ █", "▀▀▀"],
        '1' => ["▄█ ", " █ ", "▀▀▀"],
        '2' => ["▀▀█", "█▀▀", "▀▀▀"],
        '3' => ["▀▀█", " ▀█", "▀▀▀"],
        '4' => ["█ █", "▀▀█", "  ▀"],
        '5' => ["█▀▀", "▀▀█", "▀▀▀"],
        '6' => ["█▀▀", "█▀█", "▀▀▀"],
        '7' => ["▀▀█", "  █", "  ▀"],
        '8' => ["█▀█", "█▀█", "▀▀▀"],
        '9' => ["█▀█", "▀▀█", "▀▀▀"],
        'a' => ["█▀█", "█▀█", "▀ ▀"],
        'b' => ["█  ", "█▀█", "▀▀▀"],
        'c' => ["█▀▀", "█  ", "▀▀▀"],
        'd' => ["  █", "█▀█", "▀▀▀"],
        'e' => ["█▀▀", "█▀▀", "▀▀▀"],
        'f' => ["█▀▀", "█▀▀", "▀  "],
        '-' => ["   ", "▀▀▀", "   "],
        _ => ["▀▀█", " ▀ ", " ▀ "],
    }
}

/// Columns `digest` takes in large characters.
pub fn width(digest: &str) -> usize {
    (digest.chars().count() * GLYPH_WIDTH).saturating_sub(1)
}

/// The digest in large characters.
#[derive(Debug, Clone)]
pub struct BigDigest<'a> {
    /// The digest, e.g. `1a2b-3c4d-5e6f-7a8b`.
    pub digest: &'a str,
    /// Style of the glyphs.
    pub style: Style,
}

impl BigDigest<'_> {
    /// The three rows of text.
    pub fn rows(&self) -> [String; 3] {
        let mut rows = [String::new(), String::new(), String::new()];
        for (index, character) in self.digest.chars().enumerate() {
            for (row, part) in rows.iter_mut().zip(glyph(character)) {
                if index > 0 {
                    row.push(' ');
                }
                row.push_str(part);
            }
        }
        rows
    }
}

impl Widget for BigDigest<'_> {
    fn render(self, area: Rect, buffer: &mut Buffer) {
        let style = self.style;
        for (offset, row) in (0..area.height).zip(self.rows()) {
            let line_area = Rect {
                y: area.y + offset,
                height: 1,
                ..area
            };
            Line::styled(row, style).render(line_area, buffer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hex_digit_has_its_own_glyph() {
        let digits: Vec<[&str; 3]> = "0123456789abcdef".chars().map(glyph).collect();
        for (index, left) in digits.iter().enumerate() {
            for right in &digits[index + 1..] {
                assert_ne!(left, right, "two hex digits look alike");
            }
        }
    }

    #[test]
    fn a_digest_fits_eighty_columns() {
        let digest = "1a2b-3c4d-5e6f-7a8b";
        let rows = BigDigest {
            digest,
            style: Style::new(),
        }
        .rows();
        assert_eq!(width(digest), 75);
        for row in &rows {
            assert_eq!(row.chars().count(), 75);
        }
        assert_eq!(rows[0].chars().take(7).collect::<String>(), "▄█  █▀█");
    }
}
