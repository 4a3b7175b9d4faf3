//! Making untrusted text inert before anyone sees it.
//!
//! Strings that come from CSRs, certificates, file names or the ledger can hold ANSI
//! escapes, bidi overrides or megabytes of text. [`inert`] turns them into something a
//! terminal, a log or a report can show safely: control and formatting characters become
//! visible `\u{..}` escapes and the length is bounded. It does not validate anything.

/// Characters that reorder or hide text: bidi embeddings, overrides and isolates,
/// zero-width characters and the byte order mark.
pub fn is_invisible_format(character: char) -> bool {
    matches!(
        character,
        '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{061C}'
    )
}

/// True when `character` must not reach a terminal as it is.
pub fn is_unsafe(character: char) -> bool {
    character.is_control() || is_invisible_format(character)
}

/// Escapes control and invisible formatting characters and cuts the text to at most
/// `max_chars` characters (an ellipsis marks the cut).
pub fn inert(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (shown, character) in text.chars().enumerate() {
        if shown >= max_chars {
            out.push('…');
            break;
        }
        if is_unsafe(character) {
            out.push_str(&character.escape_unicode().to_string());
        } else {
            out.push(character);
        }
    }
    out
}

/// [`inert`] with the bound used for names shown in tables and messages (80 characters).
pub fn name(text: &str) -> String {
    inert(text, 80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_ansi_and_bidi() {
        let shown = inert("a\u{1b}[31mb\u{202e}c", 100);
        assert_eq!(shown, "a\\u{1b}[31mb\\u{202e}c");
        assert!(!shown.contains('\u{1b}'));
    }

    #[test]
    fn bounds_length() {
        assert_eq!(inert("abcdef", 3), "abc…");
        assert_eq!(inert("abc", 3), "abc");
    }
}
