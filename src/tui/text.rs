//! Every string that came from a CSR, a certificate, a file name or the ledger passes
//! through here before it is drawn: [`shown`] makes it inert (control characters, ANSI
//! escapes and bidi controls become visible `\u{..}` escapes) and bounds its length.
//! Also small formatting helpers that work on already-inert text.

use std::path::Path;

use ratatui::text::Span;
use time::OffsetDateTime;

/// The longest untrusted string drawn in one piece.
const MAX_SHOWN: usize = 200;

/// Columns `text` takes on a terminal.
pub fn width(text: &str) -> usize {
    Span::raw(text).width()
}

/// Untrusted text, made inert and bounded.
pub fn shown(text: &str) -> String {
    airlock::text::inert(text, MAX_SHOWN)
}

/// Text made inert but not cut short: airlock's own long messages (a checklist step)
/// that carry a path or a name.
pub fn shown_whole(text: &str) -> String {
    airlock::text::inert(text, usize::MAX)
}

/// A path, made inert.
pub fn path(path: &Path) -> String {
    shown(&path.display().to_string())
}

/// Untrusted text made inert and cut to `width` columns (an ellipsis marks the cut).
pub fn fit(text: &str, width: usize) -> String {
    cut(&shown(text), width)
}

/// Inert text cut to `width` columns from the right.
pub fn cut(text: &str, width: usize) -> String {
    if self::width(text) <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for character in text.chars() {
        let next = used + self::width(character.encode_utf8(&mut [0; 4]));
        if next + 1 > width {
            break;
        }
        used = next;
        out.push(character);
    }
    out.push('…');
    out
}

/// A path made inert and cut from the left, keeping its end (the folder's own name).
pub fn fit_path(path: &Path, width: usize) -> String {
    let text = self::path(path);
    if self::width(&text) <= width || width == 0 {
        return text;
    }
    let characters: Vec<char> = text.chars().collect();
    let mut kept = String::new();
    for character in characters.iter().rev() {
        let mut candidate = character.to_string();
        candidate.push_str(&kept);
        if self::width(&candidate) + 1 > width {
            break;
        }
        kept = candidate;
    }
    format!("…{kept}")
}

/// A date without the time.
pub fn day(moment: OffsetDateTime) -> String {
    let date = moment.date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Hex in groups of `size`, for reading aloud or comparing by eye.
pub fn grouped(hex: &str, size: usize) -> String {
    hex.as_bytes()
        .chunks(size.max(1))
        .map(String::from_utf8_lossy)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `1 thing`, `2 things` (`entry`, `entries`).
pub fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("{n} {thing}")
    } else if let Some(stem) = thing.strip_suffix('y') {
        format!("{n} {stem}ies")
    } else {
        format!("{n} {thing}s")
    }
}

/// [`count`] for the core's `u64` counters.
pub fn count64(n: u64, thing: &str) -> String {
    count(usize::try_from(n).unwrap_or(usize::MAX), thing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_inert() {
        let text = shown("mallory\u{1b}[2J\u{202e}gpj.exe");
        assert!(!text.contains('\u{1b}'));
        assert!(!text.contains('\u{202e}'));
        assert!(text.contains("\\u{1b}[2J"));
        assert!(text.contains("\\u{202e}"));
    }

    #[test]
    fn fitting_cuts_with_an_ellipsis() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
        assert_eq!(
            fit_path(Path::new("/media/usb/requests"), 12),
            "…sb/requests"
        );
        assert_eq!(grouped("abcdef", 2), "ab cd ef");
        assert_eq!(count(1, "item"), "1 item");
        assert_eq!(count(2, "item"), "2 items");
        assert_eq!(count64(3, "entry"), "3 entries");
    }
}
