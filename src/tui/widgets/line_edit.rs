//! The editing keys of a one-line field (the path input, the text prompt): a cursor,
//! Left/Right, Home/End and Ctrl-A/E, Backspace and Delete, Ctrl-W (the word, or the
//! path component, before the cursor) and Ctrl-U (everything before the cursor), as a
//! shell's line editor has them.
//!
//! The cursor is kept as the number of characters after it, so that a field whose text
//! is replaced (a completion, a test) keeps its cursor at the end. Drawing makes the text
//! inert; editing never draws.

use crate::tui::action::Action;
use crate::tui::text;

/// Where the cursor of a field stands: how many characters follow it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    back: usize,
}

/// Whether `character` ends a word for Ctrl-W: a space or a path separator.
fn separates(character: char) -> bool {
    character == '/' || character.is_whitespace()
}

impl Cursor {
    /// The byte index of the cursor in `text`.
    fn index(self, text: &str) -> usize {
        let chars = text.chars().count();
        let before = chars - self.back.min(chars);
        text.char_indices()
            .nth(before)
            .map_or(text.len(), |(index, _)| index)
    }

    /// The text before and after the cursor.
    pub fn split(self, text: &str) -> (&str, &str) {
        text.split_at(self.index(text))
    }

    /// Puts the cursor at the end.
    pub fn move_to_end(&mut self) {
        self.back = 0;
    }

    /// Applies an editing action to `text`, taking at most `max` characters; returns
    /// whether the action was one of the editing keys (the field then clears its hints).
    pub fn edit(&mut self, text: &mut String, action: &Action, max: usize) -> bool {
        self.back = self.back.min(text.chars().count());
        let index = self.index(text);
        match action {
            Action::Type(character) => {
                if text.chars().count() < max {
                    text.insert(index, *character);
                }
            }
            Action::Erase => {
                if let Some((start, _)) = text[..index].char_indices().last() {
                    text.replace_range(start..index, "");
                }
            }
            Action::EraseForward => {
                if let Some(character) = text[index..].chars().next() {
                    text.replace_range(index..index + character.len_utf8(), "");
                    self.back -= 1;
                }
            }
            Action::EraseWord => {
                let before = &text[..index];
                let kept = before.trim_end_matches(separates);
                let start = kept
                    .char_indices()
                    .rev()
                    .find(|(_, character)| separates(*character))
                    .map_or(0, |(at, character)| at + character.len_utf8());
                text.replace_range(start..index, "");
            }
            Action::EraseToStart => text.replace_range(..index, ""),
            Action::CursorLeft => {
                if index > 0 {
                    self.back += 1;
                }
            }
            Action::CursorRight => self.back = self.back.saturating_sub(1),
            Action::CursorStart => self.back = text.chars().count(),
            Action::CursorEnd => self.back = 0,
            _ => return false,
        }
        true
    }

    /// The field as drawn in `room` columns: inert, with `▏` at the cursor, cut so that
    /// the cursor stays in view (the start cut first: a path's end matters most).
    pub fn show(self, typed: &str, room: usize) -> String {
        let (before, after) = self.split(typed);
        let (before, after) = (text::shown_whole(before), text::shown_whole(after));
        let room = room.max(2);
        let after_room = room
            .saturating_sub(text::width(&before) + 1)
            .max((room / 3).min(text::width(&after)));
        let after = text::cut(&after, after_room);
        let before_room = room.saturating_sub(text::width(&after) + 1);
        format!("{}▏{after}", keep_end(&before, before_room))
    }
}

/// The end of inert `text` that fits in `width` columns, an ellipsis marking a cut.
fn keep_end(text: &str, width: usize) -> String {
    if text::width(text) <= width {
        return text.to_owned();
    }
    let mut kept = String::new();
    let mut used = 1;
    for character in text.chars().rev() {
        let next = used + text::width(character.encode_utf8(&mut [0; 4]));
        if next > width {
            break;
        }
        used = next;
        kept.insert(0, character);
    }
    format!("…{kept}")
}

#[cfg(test)]
mod tests {
    //! Issue 10, item 17: path fields take the usual editing keys, with a cursor.

    use super::*;

    fn edited(initial: &str, actions: &[Action]) -> (String, Cursor) {
        let mut text = initial.to_owned();
        let mut cursor = Cursor::default();
        for action in actions {
            cursor.edit(&mut text, action, 100);
        }
        (text, cursor)
    }

    #[test]
    fn the_cursor_moves_and_typing_inserts_there() {
        let (text, cursor) = edited(
            "/media/usb/rquests",
            &[
                Action::CursorStart,
                Action::CursorEnd,
                Action::CursorLeft,
                Action::CursorLeft,
                Action::CursorLeft,
                Action::CursorLeft,
                Action::CursorLeft,
                Action::CursorLeft,
                Action::Type('e'),
            ],
        );
        assert_eq!(text, "/media/usb/requests");
        assert_eq!(cursor.split(&text), ("/media/usb/re", "quests"));
        let (text, _) = edited("abc", &[Action::CursorStart, Action::Type('>')]);
        assert_eq!(text, ">abc");
        let (text, _) = edited(
            "abc",
            &[
                Action::CursorStart,
                Action::CursorLeft,
                Action::EraseForward,
            ],
        );
        assert_eq!(text, "bc", "Left at the start stays there");
        let (text, _) = edited("abc", &[Action::CursorRight, Action::Erase]);
        assert_eq!(text, "ab", "Right at the end stays there");
    }

    #[test]
    fn ctrl_w_erases_a_path_component_and_ctrl_u_the_start() {
        let (text, _) = edited("/media/usb/requests/", &[Action::EraseWord]);
        assert_eq!(text, "/media/usb/");
        let (text, _) = edited("/media/usb/requests", &[Action::EraseWord]);
        assert_eq!(text, "/media/usb/");
        let (text, _) = edited("left the team", &[Action::EraseWord]);
        assert_eq!(text, "left the ");
        let (text, cursor) = edited(
            "/media/usb/requests",
            &[Action::CursorLeft, Action::CursorLeft, Action::EraseToStart],
        );
        assert_eq!(text, "ts");
        assert_eq!(cursor.split(&text), ("", "ts"));
        let (text, _) = edited("café", &[Action::CursorLeft, Action::Erase]);
        assert_eq!(text, "caé", "characters, not bytes");
    }

    #[test]
    fn the_field_shows_the_cursor_and_keeps_it_in_view() {
        let mut cursor = Cursor::default();
        assert_eq!(cursor.show("/media/usb", 40), "/media/usb▏");
        let mut text = "/media/usb".to_owned();
        for _ in 0..3 {
            cursor.edit(&mut text, &Action::CursorLeft, 100);
        }
        assert_eq!(cursor.show(&text, 40), "/media/▏usb");
        let long = format!("/{}", "x".repeat(100));
        let mut cursor = Cursor::default();
        let mut text = long.clone();
        cursor.edit(&mut text, &Action::CursorStart, 200);
        let shown = cursor.show(&long, 20);
        assert!(shown.starts_with('▏'), "{shown}");
        assert!(text::width(&shown) <= 20, "{shown}");
        assert_eq!(
            cursor.show("evil\u{1b}[2J", 40),
            "▏evil\\u{1b}[2J",
            "drawn inert"
        );
    }
}
