//! A typed path with Tab completion of folder names (and file names, for an input that
//! asks for a file), as a shell completes them: one match completes it, several complete
//! their common start and are listed. `~/` stands for the home folder. Completion lists
//! the folder being typed; it never reads files or follows anything outside what is
//! typed. Names are drawn inert. An optional input takes an empty answer. The field takes
//! a shell's editing keys (`line_edit`): a cursor, Ctrl-W, Ctrl-U, Home/End.

use std::path::{Path, PathBuf};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::line_edit::Cursor;
use super::{Outcome, centered, dialog};
use crate::tui::action::Action;
use crate::tui::text;
use crate::tui::theme::{self, Theme};

/// Most candidates listed after an ambiguous Tab.
const MAX_CANDIDATES: usize = 200;
/// Longest path the field takes, in characters.
const MAX_CHARS: usize = 4096;

/// A path input.
#[derive(Debug, Clone)]
pub struct PathInput {
    /// Title, e.g. `Review an intake folder`.
    pub title: String,
    /// One line saying what the folder is for.
    pub help: String,
    /// The path as typed.
    pub text: String,
    /// Folder names that matched the last ambiguous Tab.
    pub candidates: Vec<String>,
    /// Why the last Tab or Enter did nothing.
    pub warning: Option<String>,
    /// Whether Tab completes file names too (the input asks for a file).
    pub files: bool,
    /// Whether an empty answer is taken (as an empty path: "none").
    pub optional: bool,
    /// Where the cursor stands in `text`.
    pub cursor: Cursor,
}

impl PathInput {
    /// An input holding `initial`, for a folder.
    pub fn new(title: &str, help: &str, initial: String) -> Self {
        Self {
            title: title.to_owned(),
            help: help.to_owned(),
            text: initial,
            candidates: Vec::new(),
            warning: None,
            files: false,
            optional: false,
            cursor: Cursor::default(),
        }
    }

    /// The same input, asking for a file: Tab completes file names too.
    #[must_use]
    pub fn for_file(mut self) -> Self {
        self.files = true;
        self
    }

    /// The same input, taking an empty answer.
    #[must_use]
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Handles one action; [`Outcome::Done`] gives the path (with `~` expanded).
    pub fn handle(&mut self, action: &Action) -> Outcome<PathBuf> {
        match action {
            Action::Complete => {
                self.complete();
                self.cursor.move_to_end();
            }
            Action::Submit if self.text.is_empty() && self.optional => {
                return Outcome::Done(PathBuf::new());
            }
            Action::Submit if self.text.is_empty() => {
                self.warning = Some("type a path first".to_owned());
            }
            Action::Submit => return Outcome::Done(expand(&self.text)),
            Action::Cancel => return Outcome::Cancelled,
            editing => {
                if self.cursor.edit(&mut self.text, editing, MAX_CHARS) {
                    self.candidates.clear();
                    self.warning = None;
                }
            }
        }
        Outcome::Pending
    }

    /// Completes the last component of the typed path against the folders (and files)
    /// there. Candidates that are folders end with `/`.
    pub fn complete(&mut self) {
        self.warning = None;
        self.candidates.clear();
        let (typed_dir, prefix) = match self.text.rfind('/') {
            Some(index) => self.text.split_at(index + 1),
            None => ("", self.text.as_str()),
        };
        let listed = if typed_dir.is_empty() {
            PathBuf::from(".")
        } else {
            expand(typed_dir)
        };
        let mut names = match entries_in(&listed, prefix, self.files) {
            Ok(names) => names,
            Err(error) => {
                self.warning = Some(format!("cannot list '{}': {error}", text::path(&listed)));
                return;
            }
        };
        match names.len() {
            0 => {
                self.warning = Some(format!(
                    "no {} in '{}' starts with '{}'",
                    if self.files { "name" } else { "folder" },
                    text::path(&listed),
                    text::shown(prefix)
                ));
            }
            1 => {
                self.text = format!("{typed_dir}{}", names[0]);
            }
            _ => {
                let bare: Vec<String> = names
                    .iter()
                    .map(|name| name.trim_end_matches('/').to_owned())
                    .collect();
                let common = common_prefix(&bare);
                self.text = format!("{typed_dir}{common}");
                names.truncate(MAX_CANDIDATES);
                self.candidates = names;
            }
        }
    }

    /// Draws the input in the middle of the frame.
    pub fn render(&self, frame: &mut Frame, theme: Theme) {
        let listed = u16::try_from(self.candidates.len().min(8)).unwrap_or(8);
        // The help takes two rows when it needs them (it wraps).
        let help_rows: u16 = if text::width(&self.help) > 72 { 2 } else { 1 };
        let area = centered(frame.area(), 76, 8 + listed + help_rows - 1);
        let inner = dialog(frame, area, Line::from(format!(" {} ", self.title)), theme);
        let [help, field, warning, candidates, keys] = Layout::vertical([
            Constraint::Length(help_rows),
            Constraint::Length(2),
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(Line::styled(self.help.clone(), theme.dim())).wrap(Wrap { trim: false }),
            help,
        );
        let room = usize::from(field.width).saturating_sub(2);
        frame.render_widget(
            Line::from(vec![
                Span::raw("> "),
                Span::styled(self.cursor.show(&self.text, room), theme.strong()),
            ]),
            field,
        );
        if let Some(message) = &self.warning {
            frame.render_widget(
                Line::styled(
                    format!("{} {}", theme::WARN, text::cut(message, 70)),
                    theme.warn(),
                ),
                warning,
            );
        }
        if !self.candidates.is_empty() {
            let names: Vec<String> = self
                .candidates
                .iter()
                .map(|name| text::fit(name, 30))
                .collect();
            frame.render_widget(
                Paragraph::new(names.join("  ")).wrap(Wrap { trim: true }),
                candidates,
            );
        }
        frame.render_widget(
            Line::styled("Tab: complete · Enter: accept · Esc: cancel", theme.dim()),
            keys,
        );
    }
}

/// `~` and `~/…` stand for `$HOME`.
pub fn expand(typed: &str) -> PathBuf {
    let home = std::env::var_os("HOME").filter(|home| !home.is_empty());
    match (typed.strip_prefix('~'), home) {
        (Some(""), Some(home)) => PathBuf::from(home),
        (Some(rest), Some(home)) if rest.starts_with('/') => {
            PathBuf::from(home).join(rest.trim_start_matches('/'))
        }
        _ => PathBuf::from(typed),
    }
}

/// Names of the folders (`name/`) and, with `files`, other entries in `folder` starting
/// with `prefix`, sorted; hidden ones only when `prefix` starts with a dot. Names that
/// are not UTF-8 cannot be typed: skipped.
fn entries_in(folder: &Path, prefix: &str, files: bool) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
            continue;
        }
        if entry.path().is_dir() {
            names.push(format!("{name}/"));
        } else if files {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

fn common_prefix(names: &[String]) -> String {
    let Some(first) = names.first() else {
        return String::new();
    };
    let mut length = first.len();
    for name in &names[1..] {
        length = first
            .char_indices()
            .zip(name.chars())
            .take_while(|((_, left), right)| left == right)
            .last()
            .map_or(0, |((index, character), _)| index + character.len_utf8())
            .min(length);
    }
    first[..length].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::widgets::testing::{render, shows};

    fn folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for name in ["requests-a", "requests-b", "signed", ".hidden"] {
            std::fs::create_dir(dir.path().join(name)).expect("mkdir");
        }
        airlock::home::write_new(&dir.path().join("requests-file"), b"not a folder")
            .expect("write");
        dir
    }

    #[test]
    fn one_match_completes_the_folder() {
        let dir = folder();
        let base = dir.path().display().to_string();
        let mut input = PathInput::new("Open", "", format!("{base}/si"));
        input.handle(&Action::Complete);
        assert_eq!(input.text, format!("{base}/signed/"));
        assert!(input.candidates.is_empty());
    }

    #[test]
    fn several_matches_complete_the_common_start_and_are_listed() {
        let dir = folder();
        let base = dir.path().display().to_string();
        let mut input = PathInput::new("Open", "", format!("{base}/r"));
        input.handle(&Action::Complete);
        assert_eq!(input.text, format!("{base}/requests-"));
        assert_eq!(input.candidates, vec!["requests-a/", "requests-b/"]);
        let buffer = render(80, 24, |frame| input.render(frame, Theme::plain()));
        assert!(shows(&buffer, "requests-a/  requests-b/"));
        input.handle(&Action::Type('b'));
        input.handle(&Action::Complete);
        assert_eq!(input.text, format!("{base}/requests-b/"));
        let Outcome::Done(path) = input.handle(&Action::Submit) else {
            panic!("enter accepts");
        };
        assert_eq!(path, dir.path().join("requests-b"));
    }

    #[test]
    fn no_match_says_so_and_hidden_folders_need_a_dot() {
        let dir = folder();
        let base = dir.path().display().to_string();
        let mut input = PathInput::new("Open", "", format!("{base}/x"));
        input.handle(&Action::Complete);
        assert!(
            input
                .warning
                .as_deref()
                .is_some_and(|w| w.contains("starts with 'x'"))
        );
        let mut input = PathInput::new("Open", "", format!("{base}/.h"));
        input.handle(&Action::Complete);
        assert_eq!(input.text, format!("{base}/.hidden/"));
    }

    #[test]
    fn a_file_input_completes_file_names() {
        let dir = folder();
        let base = dir.path().display().to_string();
        let mut input = PathInput::new("Snapshot", "", format!("{base}/requests-f")).for_file();
        input.handle(&Action::Complete);
        assert_eq!(input.text, format!("{base}/requests-file"));
        let mut input = PathInput::new("Snapshot", "", format!("{base}/r")).for_file();
        input.handle(&Action::Complete);
        assert_eq!(
            input.candidates,
            vec!["requests-a/", "requests-b/", "requests-file"]
        );
        // A folder input does not offer the file.
        let mut input = PathInput::new("Open", "", format!("{base}/requests-f"));
        input.handle(&Action::Complete);
        assert!(input.warning.is_some());
    }

    #[test]
    fn an_optional_input_takes_an_empty_answer() {
        let mut input = PathInput::new("Snapshot", "", String::new()).optional();
        assert!(
            matches!(input.handle(&Action::Submit), Outcome::Done(path) if path.as_os_str().is_empty())
        );
    }

    #[test]
    fn empty_input_is_not_accepted() {
        let mut input = PathInput::new("Open", "", String::new());
        assert!(matches!(input.handle(&Action::Submit), Outcome::Pending));
        assert!(input.warning.is_some());
        assert!(matches!(input.handle(&Action::Cancel), Outcome::Cancelled));
    }

    #[test]
    fn common_prefix_respects_characters() {
        let names = ["café-1".to_owned(), "café-2".to_owned(), "cafx".to_owned()];
        assert_eq!(common_prefix(&names), "caf");
        assert_eq!(common_prefix(&names[..2]), "café-");
    }
}
