//! The one table of key bindings: `(mode, key) -> (action, description)`. The help bar and
//! the `?` overlay are generated from it, so what they say is what the keys do.
//!
//! Only key presses reach [`resolve`] (the event loop drops repeats and releases). In a
//! mode that takes text, a character that is not bound is typed into the field.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, ScreenId};

/// Who owns the keys: the current screen (plus the global bindings) or the top dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Bindings every screen shares (never the mode of a dialog).
    Global,
    /// The dashboard.
    Dashboard,
    /// The review of an intake folder.
    Review,
    /// The certificate inventory.
    Inventory,
    /// The ledger.
    Ledger,
    /// The rotation.
    Rotation,
    /// The ceremony placeholder.
    Ceremony,
    /// The help overlay.
    Help,
    /// A scrollable text dialog: details, the signing summary.
    Pager,
    /// The error dialog.
    Error,
    /// A confirmation dialog, with or without a typed phrase.
    Confirm,
    /// The masked passphrase prompt.
    Passphrase,
    /// The path input with completion.
    PathInput,
    /// A one-line text prompt (filters, names, reasons).
    Prompt,
    /// A choice among options.
    Choice,
}

impl Mode {
    /// Every mode.
    #[cfg(test)]
    pub const ALL: [Self; 15] = [
        Self::Global,
        Self::Dashboard,
        Self::Review,
        Self::Inventory,
        Self::Ledger,
        Self::Rotation,
        Self::Ceremony,
        Self::Help,
        Self::Pager,
        Self::Error,
        Self::Confirm,
        Self::Passphrase,
        Self::PathInput,
        Self::Prompt,
        Self::Choice,
    ];

    /// The mode of a screen.
    pub fn of(screen: ScreenId) -> Self {
        match screen {
            ScreenId::Dashboard => Self::Dashboard,
            ScreenId::Review => Self::Review,
            ScreenId::Inventory => Self::Inventory,
            ScreenId::Ledger => Self::Ledger,
            ScreenId::Rotation => Self::Rotation,
            ScreenId::Ceremony => Self::Ceremony,
        }
    }

    /// Whether this is a screen's mode (the global bindings apply as well).
    pub fn is_screen(self) -> bool {
        matches!(
            self,
            Self::Dashboard
                | Self::Review
                | Self::Inventory
                | Self::Ledger
                | Self::Rotation
                | Self::Ceremony
        )
    }

    /// Whether unbound characters are typed into a field.
    pub fn takes_text(self) -> bool {
        matches!(
            self,
            Self::Confirm | Self::Passphrase | Self::PathInput | Self::Prompt
        )
    }

    /// A heading for the help overlay.
    pub fn title(self) -> &'static str {
        match self {
            Self::Global => "Everywhere",
            Self::Dashboard => "Dashboard",
            Self::Review => "Review",
            Self::Inventory => "Inventory",
            Self::Ledger => "Ledger",
            Self::Rotation => "Rotation",
            Self::Ceremony => "Ceremony",
            Self::Help => "Help",
            Self::Pager => "Detail",
            Self::Error => "Error",
            Self::Confirm => "Confirmation",
            Self::Passphrase => "Passphrase",
            Self::PathInput => "Path",
            Self::Prompt => "Text",
            Self::Choice => "Choice",
        }
    }
}

/// A key with its modifiers (Shift is folded into the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// The key.
    pub code: KeyCode,
    /// Control, Alt (Shift only for non-character keys).
    pub modifiers: KeyModifiers,
}

impl Key {
    const fn plain(code: KeyCode) -> Self {
        Self {
            code,
            modifiers: KeyModifiers::NONE,
        }
    }

    const fn char(character: char) -> Self {
        Self::plain(KeyCode::Char(character))
    }

    const fn ctrl(character: char) -> Self {
        Self {
            code: KeyCode::Char(character),
            modifiers: KeyModifiers::CONTROL,
        }
    }

    /// The key of an event, Shift folded into characters (`A` is `A`, not Shift+`A`).
    pub fn from_event(event: KeyEvent) -> Self {
        let mut modifiers = event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        if !matches!(event.code, KeyCode::Char(_)) {
            modifiers |= event.modifiers & KeyModifiers::SHIFT;
        }
        Self {
            code: event.code,
            modifiers,
        }
    }

    /// How the help shows the key.
    pub fn label(self) -> String {
        let name = match self.code {
            KeyCode::Up => "↑".to_owned(),
            KeyCode::Down => "↓".to_owned(),
            KeyCode::Left => "←".to_owned(),
            KeyCode::Right => "→".to_owned(),
            KeyCode::PageUp => "PgUp".to_owned(),
            KeyCode::PageDown => "PgDn".to_owned(),
            KeyCode::Home => "Home".to_owned(),
            KeyCode::End => "End".to_owned(),
            KeyCode::Enter => "Enter".to_owned(),
            KeyCode::Esc => "Esc".to_owned(),
            KeyCode::Tab => "Tab".to_owned(),
            KeyCode::BackTab => "S-Tab".to_owned(),
            KeyCode::Backspace => "Bksp".to_owned(),
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(character) => character.to_string(),
            other => format!("{other:?}"),
        };
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{name}")
        } else {
            name
        }
    }
}

/// One row of the table.
#[derive(Debug)]
pub struct Binding {
    /// Where it applies.
    pub mode: Mode,
    /// The key.
    pub key: Key,
    /// What it does.
    pub action: Action,
    /// What the help says.
    pub description: &'static str,
    /// Whether the help bar shows it (the overlay shows every binding).
    pub bar: bool,
}

const fn bind(
    mode: Mode,
    key: Key,
    action: Action,
    description: &'static str,
    bar: bool,
) -> Binding {
    Binding {
        mode,
        key,
        action,
        description,
        bar,
    }
}

use Action as A;
use KeyCode as K;
use Mode as M;

/// The table.
static BINDINGS: &[Binding] = &[
    // Everywhere (on a screen, not in a dialog).
    bind(M::Global, Key::char('?'), A::Help, "help", true),
    bind(M::Global, Key::char('q'), A::Quit, "quit", true),
    bind(M::Global, Key::ctrl('c'), A::Quit, "quit", false),
    bind(M::Global, Key::plain(K::Esc), A::Back, "back", false),
    bind(
        M::Global,
        Key::char('1'),
        A::GoTo(ScreenId::Dashboard),
        "dashboard",
        false,
    ),
    bind(
        M::Global,
        Key::char('2'),
        A::GoTo(ScreenId::Review),
        "review",
        false,
    ),
    bind(
        M::Global,
        Key::char('3'),
        A::GoTo(ScreenId::Inventory),
        "inventory",
        false,
    ),
    bind(
        M::Global,
        Key::char('4'),
        A::GoTo(ScreenId::Ledger),
        "ledger",
        false,
    ),
    bind(
        M::Global,
        Key::char('5'),
        A::GoTo(ScreenId::Rotation),
        "rotation",
        false,
    ),
    bind(
        M::Global,
        Key::char('6'),
        A::GoTo(ScreenId::Ceremony),
        "ceremony",
        false,
    ),
    // Dashboard.
    bind(
        M::Dashboard,
        Key::char('o'),
        A::OpenIntakePrompt,
        "review a folder",
        true,
    ),
    bind(
        M::Dashboard,
        Key::char('v'),
        A::VerifyLedger,
        "verify ledger",
        true,
    ),
    bind(
        M::Dashboard,
        Key::char('a'),
        A::AcceptUnsealed,
        "accept unsealed entries",
        false,
    ),
    // Review.
    bind(M::Review, Key::plain(K::Up), A::Up, "previous item", false),
    bind(M::Review, Key::char('k'), A::Up, "previous item", false),
    bind(M::Review, Key::plain(K::Down), A::Down, "next item", false),
    bind(M::Review, Key::char('j'), A::Down, "next item", false),
    bind(
        M::Review,
        Key::plain(K::PageUp),
        A::PageUp,
        "page up",
        false,
    ),
    bind(
        M::Review,
        Key::plain(K::PageDown),
        A::PageDown,
        "page down",
        false,
    ),
    bind(M::Review, Key::plain(K::Home), A::Top, "first item", false),
    bind(M::Review, Key::plain(K::End), A::Bottom, "last item", false),
    bind(M::Review, Key::char('a'), A::Approve, "approve", true),
    bind(M::Review, Key::char('d'), A::Deny, "deny", true),
    bind(
        M::Review,
        Key::char('A'),
        A::ApproveAll,
        "approve all",
        true,
    ),
    bind(M::Review, Key::char('s'), A::Sign, "sign", true),
    bind(M::Review, Key::char('o'), A::OpenIntakePrompt, "open", true),
    bind(M::Review, Key::plain(K::Enter), A::Detail, "detail", true),
    bind(
        M::Review,
        Key::char('b'),
        A::LoadRbac,
        "RBAC bindings",
        true,
    ),
    // Inventory.
    bind(M::Inventory, Key::plain(K::Up), A::Up, "previous", false),
    bind(M::Inventory, Key::char('k'), A::Up, "previous", false),
    bind(M::Inventory, Key::plain(K::Down), A::Down, "next", false),
    bind(M::Inventory, Key::char('j'), A::Down, "next", false),
    bind(
        M::Inventory,
        Key::plain(K::PageUp),
        A::PageUp,
        "page up",
        false,
    ),
    bind(
        M::Inventory,
        Key::plain(K::PageDown),
        A::PageDown,
        "page down",
        false,
    ),
    bind(M::Inventory, Key::plain(K::Home), A::Top, "first", false),
    bind(M::Inventory, Key::plain(K::End), A::Bottom, "last", false),
    bind(M::Inventory, Key::char('n'), A::Renew, "renew", true),
    bind(M::Inventory, Key::char('R'), A::Revoke, "revoke", true),
    bind(M::Inventory, Key::char('/'), A::FilterText, "filter", true),
    bind(
        M::Inventory,
        Key::char('e'),
        A::FilterExpiring,
        "expiring",
        true,
    ),
    bind(
        M::Inventory,
        Key::char('x'),
        A::FilterRevoked,
        "revoked",
        true,
    ),
    bind(
        M::Inventory,
        Key::plain(K::Enter),
        A::Detail,
        "detail",
        true,
    ),
    bind(M::Inventory, Key::char('i'), A::FilterCa, "by CA", false),
    bind(
        M::Inventory,
        Key::char('K'),
        A::ExportKubeconfig,
        "kubeconfig",
        true,
    ),
    bind(
        M::Inventory,
        Key::char('c'),
        A::ClearFilters,
        "clear",
        false,
    ),
    // Ledger.
    bind(M::Ledger, Key::plain(K::Up), A::Up, "previous", false),
    bind(M::Ledger, Key::char('k'), A::Up, "previous", false),
    bind(M::Ledger, Key::plain(K::Down), A::Down, "next", false),
    bind(M::Ledger, Key::char('j'), A::Down, "next", false),
    bind(
        M::Ledger,
        Key::plain(K::PageUp),
        A::PageUp,
        "page up",
        false,
    ),
    bind(
        M::Ledger,
        Key::plain(K::PageDown),
        A::PageDown,
        "page down",
        false,
    ),
    bind(M::Ledger, Key::plain(K::Home), A::Top, "first", false),
    bind(M::Ledger, Key::plain(K::End), A::Bottom, "last", false),
    bind(M::Ledger, Key::char('v'), A::VerifyLedger, "verify", true),
    bind(
        M::Ledger,
        Key::char('a'),
        A::AcceptUnsealed,
        "accept unsealed",
        false,
    ),
    bind(M::Ledger, Key::plain(K::Enter), A::Detail, "detail", true),
    // Rotation.
    bind(M::Rotation, Key::char('b'), A::RotateBegin, "begin", true),
    bind(
        M::Rotation,
        Key::char('r'),
        A::RotateReissue,
        "reissue",
        true,
    ),
    bind(M::Rotation, Key::char('f'), A::RotateFinish, "finish", true),
    bind(M::Rotation, Key::char('x'), A::RotateAbort, "abort", true),
    bind(
        M::Rotation,
        Key::plain(K::Enter),
        A::Detail,
        "checklist",
        true,
    ),
    bind(M::Rotation, Key::plain(K::Up), A::Up, "scroll up", false),
    bind(M::Rotation, Key::char('k'), A::Up, "scroll up", false),
    bind(
        M::Rotation,
        Key::plain(K::Down),
        A::Down,
        "scroll down",
        false,
    ),
    bind(M::Rotation, Key::char('j'), A::Down, "scroll down", false),
    bind(
        M::Rotation,
        Key::plain(K::PageUp),
        A::PageUp,
        "page up",
        false,
    ),
    bind(
        M::Rotation,
        Key::plain(K::PageDown),
        A::PageDown,
        "page down",
        false,
    ),
    bind(M::Rotation, Key::plain(K::Home), A::Top, "top", false),
    bind(M::Rotation, Key::plain(K::End), A::Bottom, "bottom", false),
    // Help overlay.
    bind(M::Help, Key::plain(K::Esc), A::Cancel, "close", true),
    bind(M::Help, Key::char('?'), A::Help, "close", false),
    bind(M::Help, Key::char('q'), A::Cancel, "close", false),
    bind(M::Help, Key::plain(K::Up), A::Up, "scroll up", true),
    bind(M::Help, Key::plain(K::Down), A::Down, "scroll down", true),
    bind(M::Help, Key::plain(K::PageUp), A::PageUp, "page up", false),
    bind(
        M::Help,
        Key::plain(K::PageDown),
        A::PageDown,
        "page down",
        false,
    ),
    // Detail and summary pager.
    bind(M::Pager, Key::plain(K::Esc), A::Cancel, "close", true),
    bind(M::Pager, Key::plain(K::Enter), A::Submit, "close", false),
    bind(M::Pager, Key::char('q'), A::Cancel, "close", false),
    bind(M::Pager, Key::plain(K::Up), A::Up, "scroll up", true),
    bind(M::Pager, Key::char('k'), A::Up, "scroll up", false),
    bind(M::Pager, Key::plain(K::Down), A::Down, "scroll down", true),
    bind(M::Pager, Key::char('j'), A::Down, "scroll down", false),
    bind(M::Pager, Key::plain(K::PageUp), A::PageUp, "page up", true),
    bind(
        M::Pager,
        Key::plain(K::PageDown),
        A::PageDown,
        "page down",
        true,
    ),
    bind(M::Pager, Key::plain(K::Home), A::Top, "top", false),
    bind(M::Pager, Key::plain(K::End), A::Bottom, "bottom", false),
    bind(M::Pager, Key::char('?'), A::Help, "help", false),
    // Error dialog.
    bind(M::Error, Key::plain(K::Enter), A::Submit, "close", true),
    bind(M::Error, Key::plain(K::Esc), A::Cancel, "close", true),
    bind(M::Error, Key::char('?'), A::Help, "help", false),
    // Confirmation.
    bind(
        M::Confirm,
        Key::plain(K::Tab),
        A::NextFocus,
        "switch button",
        true,
    ),
    bind(
        M::Confirm,
        Key::plain(K::BackTab),
        A::NextFocus,
        "switch button",
        false,
    ),
    bind(
        M::Confirm,
        Key::plain(K::Left),
        A::NextFocus,
        "switch button",
        false,
    ),
    bind(
        M::Confirm,
        Key::plain(K::Right),
        A::NextFocus,
        "switch button",
        false,
    ),
    bind(
        M::Confirm,
        Key::plain(K::Enter),
        A::Submit,
        "press button",
        true,
    ),
    bind(M::Confirm, Key::plain(K::Esc), A::Cancel, "cancel", true),
    bind(
        M::Confirm,
        Key::plain(K::Backspace),
        A::Erase,
        "erase",
        false,
    ),
    // Passphrase.
    bind(
        M::Passphrase,
        Key::plain(K::Enter),
        A::Submit,
        "accept",
        true,
    ),
    bind(M::Passphrase, Key::plain(K::Esc), A::Cancel, "cancel", true),
    bind(
        M::Passphrase,
        Key::plain(K::Backspace),
        A::Erase,
        "erase",
        false,
    ),
    // Path input.
    bind(
        M::PathInput,
        Key::plain(K::Tab),
        A::Complete,
        "complete name",
        true,
    ),
    bind(
        M::PathInput,
        Key::plain(K::Enter),
        A::Submit,
        "accept",
        true,
    ),
    bind(M::PathInput, Key::plain(K::Esc), A::Cancel, "cancel", true),
    bind(
        M::PathInput,
        Key::plain(K::Backspace),
        A::Erase,
        "erase",
        false,
    ),
    bind(
        M::PathInput,
        Key::plain(K::Left),
        A::CursorLeft,
        "cursor left",
        false,
    ),
    bind(
        M::PathInput,
        Key::plain(K::Right),
        A::CursorRight,
        "cursor right",
        false,
    ),
    bind(
        M::PathInput,
        Key::plain(K::Home),
        A::CursorStart,
        "start of line",
        false,
    ),
    bind(
        M::PathInput,
        Key::ctrl('a'),
        A::CursorStart,
        "start of line",
        false,
    ),
    bind(
        M::PathInput,
        Key::plain(K::End),
        A::CursorEnd,
        "end of line",
        false,
    ),
    bind(
        M::PathInput,
        Key::ctrl('e'),
        A::CursorEnd,
        "end of line",
        false,
    ),
    bind(
        M::PathInput,
        Key::plain(K::Delete),
        A::EraseForward,
        "erase under the cursor",
        false,
    ),
    bind(
        M::PathInput,
        Key::ctrl('w'),
        A::EraseWord,
        "erase the word (path component) before",
        false,
    ),
    bind(
        M::PathInput,
        Key::ctrl('u'),
        A::EraseToStart,
        "erase to the start",
        false,
    ),
    // Text prompt.
    bind(M::Prompt, Key::plain(K::Enter), A::Submit, "apply", true),
    bind(M::Prompt, Key::plain(K::Esc), A::Cancel, "cancel", true),
    bind(
        M::Prompt,
        Key::plain(K::Backspace),
        A::Erase,
        "erase",
        false,
    ),
    bind(
        M::Prompt,
        Key::plain(K::Left),
        A::CursorLeft,
        "cursor left",
        false,
    ),
    bind(
        M::Prompt,
        Key::plain(K::Right),
        A::CursorRight,
        "cursor right",
        false,
    ),
    bind(
        M::Prompt,
        Key::plain(K::Home),
        A::CursorStart,
        "start of line",
        false,
    ),
    bind(
        M::Prompt,
        Key::ctrl('a'),
        A::CursorStart,
        "start of line",
        false,
    ),
    bind(
        M::Prompt,
        Key::plain(K::End),
        A::CursorEnd,
        "end of line",
        false,
    ),
    bind(
        M::Prompt,
        Key::ctrl('e'),
        A::CursorEnd,
        "end of line",
        false,
    ),
    bind(
        M::Prompt,
        Key::plain(K::Delete),
        A::EraseForward,
        "erase under the cursor",
        false,
    ),
    bind(
        M::Prompt,
        Key::ctrl('w'),
        A::EraseWord,
        "erase the word (path component) before",
        false,
    ),
    bind(
        M::Prompt,
        Key::ctrl('u'),
        A::EraseToStart,
        "erase to the start",
        false,
    ),
    // Choice.
    bind(M::Choice, Key::plain(K::Up), A::Up, "previous option", true),
    bind(M::Choice, Key::char('k'), A::Up, "previous option", false),
    bind(M::Choice, Key::plain(K::Down), A::Down, "next option", true),
    bind(M::Choice, Key::char('j'), A::Down, "next option", false),
    bind(
        M::Choice,
        Key::plain(K::Tab),
        A::NextFocus,
        "next option",
        false,
    ),
    bind(M::Choice, Key::plain(K::Enter), A::Submit, "take it", true),
    bind(M::Choice, Key::plain(K::Esc), A::Cancel, "cancel", true),
    bind(M::Choice, Key::char('?'), A::Help, "help", false),
];

fn lookup(mode: Mode, key: Key) -> Option<&'static Binding> {
    BINDINGS
        .iter()
        .find(|binding| binding.mode == mode && binding.key == key)
}

/// The action a key press means in `mode`, if any.
pub fn resolve(mode: Mode, event: KeyEvent) -> Option<Action> {
    let key = Key::from_event(event);
    if let Some(binding) = lookup(mode, key) {
        return Some(binding.action.clone());
    }
    if mode.is_screen() {
        return lookup(Mode::Global, key).map(|binding| binding.action.clone());
    }
    match key.code {
        KeyCode::Char(character)
            if mode.takes_text()
                && !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(Action::Type(character))
        }
        _ => None,
    }
}

/// The label of the first key bound to `action` in `mode`, for prose that names a key
/// (so that the words follow the table).
pub fn key_for(mode: Mode, action: &Action) -> Option<String> {
    let wanted = format!("{action:?}");
    BINDINGS
        .iter()
        .find(|binding| binding.mode == mode && format!("{:?}", binding.action) == wanted)
        .map(|binding| binding.key.label())
}

/// A key (or keys) and what it does, as the help shows it.
pub type Entry = (String, &'static str);

/// Bindings of `mode` as the help shows them: keys that do the same thing are merged
/// (`↑/k  previous item`), in table order.
pub fn entries(mode: Mode, bar_only: bool) -> Vec<Entry> {
    let mut merged: Vec<Entry> = Vec::new();
    for binding in BINDINGS
        .iter()
        .filter(|binding| binding.mode == mode && (binding.bar || !bar_only))
    {
        let label = binding.key.label();
        if let Some(entry) = merged
            .iter_mut()
            .find(|(_, description)| *description == binding.description)
        {
            entry.0.push('/');
            entry.0.push_str(&label);
        } else {
            merged.push((label, binding.description));
        }
    }
    merged
}

/// What the help bar shows in `mode`: its own bar bindings, and (on a screen) the global
/// ones, which always keep their place at the end.
pub fn bar(mode: Mode) -> (Vec<Entry>, Vec<Entry>) {
    let mut own = entries(mode, true);
    if !mode.is_screen() {
        return (own, Vec::new());
    }
    own.push(("1-6".to_owned(), "screens"));
    (own, entries(Mode::Global, true))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use crossterm::event::KeyEventKind;

    use super::*;

    /// Whether a variant must be reachable from the table. The match has no wildcard, so
    /// a new variant does not compile until someone decides.
    fn needs_a_key(action: &Action) -> bool {
        match action {
            Action::Quit
            | Action::Help
            | Action::Back
            | Action::GoTo(_)
            | Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
            | Action::Detail
            | Action::OpenIntakePrompt
            | Action::Approve
            | Action::Deny
            | Action::ApproveAll
            | Action::Sign
            | Action::LoadRbac
            | Action::FilterText
            | Action::FilterExpiring
            | Action::FilterRevoked
            | Action::FilterCa
            | Action::ClearFilters
            | Action::Renew
            | Action::Revoke
            | Action::RotateBegin
            | Action::RotateReissue
            | Action::RotateFinish
            | Action::RotateAbort
            | Action::VerifyLedger
            | Action::AcceptUnsealed
            | Action::ExportKubeconfig
            | Action::Erase
            | Action::EraseForward
            | Action::EraseWord
            | Action::EraseToStart
            | Action::CursorLeft
            | Action::CursorRight
            | Action::CursorStart
            | Action::CursorEnd
            | Action::Complete
            | Action::NextFocus
            | Action::Submit
            | Action::Cancel => true,
            // Typed characters are every unbound character in a text mode; a path comes
            // from the path input; the size from the terminal; worker reports come from
            // the worker.
            Action::Type(_) | Action::OpenIntake(_) | Action::Resize { .. } | Action::Work(_) => {
                false
            }
        }
    }

    fn all_keyed_actions() -> Vec<Action> {
        let mut actions = vec![
            Action::Quit,
            Action::Help,
            Action::Back,
            Action::Up,
            Action::Down,
            Action::PageUp,
            Action::PageDown,
            Action::Top,
            Action::Bottom,
            Action::Detail,
            Action::OpenIntakePrompt,
            Action::Approve,
            Action::Deny,
            Action::ApproveAll,
            Action::Sign,
            Action::LoadRbac,
            Action::FilterText,
            Action::FilterExpiring,
            Action::FilterRevoked,
            Action::FilterCa,
            Action::ClearFilters,
            Action::Renew,
            Action::Revoke,
            Action::RotateBegin,
            Action::RotateReissue,
            Action::RotateFinish,
            Action::RotateAbort,
            Action::VerifyLedger,
            Action::AcceptUnsealed,
            Action::ExportKubeconfig,
            Action::Erase,
            Action::EraseForward,
            Action::EraseWord,
            Action::EraseToStart,
            Action::CursorLeft,
            Action::CursorRight,
            Action::CursorStart,
            Action::CursorEnd,
            Action::Complete,
            Action::NextFocus,
            Action::Submit,
            Action::Cancel,
        ];
        actions.extend(ScreenId::ALL.map(Action::GoTo));
        actions.retain(needs_a_key);
        actions
    }

    fn same(left: &Action, right: &Action) -> bool {
        format!("{left:?}") == format!("{right:?}")
    }

    #[test]
    fn no_key_is_bound_twice_in_one_mode() {
        let mut seen = HashSet::new();
        for binding in BINDINGS {
            assert!(
                seen.insert((binding.mode, binding.key)),
                "{:?} is bound twice in {:?}",
                binding.key,
                binding.mode
            );
        }
        // A screen's own binding must not silently hide a different global one.
        for mode in Mode::ALL.into_iter().filter(|mode| mode.is_screen()) {
            for binding in BINDINGS.iter().filter(|binding| binding.mode == mode) {
                if let Some(global) = lookup(Mode::Global, binding.key) {
                    assert!(
                        same(&global.action, &binding.action),
                        "{:?} in {mode:?} shadows the global {:?}",
                        binding.key,
                        global.action
                    );
                }
            }
        }
    }

    #[test]
    fn every_action_is_reachable_and_described() {
        for action in all_keyed_actions() {
            assert!(
                BINDINGS
                    .iter()
                    .any(|binding| same(&binding.action, &action)),
                "{action:?} has no key"
            );
        }
        for binding in BINDINGS {
            assert!(
                !binding.description.is_empty(),
                "{binding:?} is undescribed"
            );
        }
        // Every dialog has a way out (screens have the global bindings).
        for mode in Mode::ALL.into_iter().filter(|mode| !mode.is_screen()) {
            assert!(
                BINDINGS.iter().any(|binding| binding.mode == mode),
                "{mode:?} has no binding"
            );
        }
    }

    #[test]
    fn every_screen_has_help_and_quit_in_its_bar() {
        for screen in ScreenId::ALL {
            let (_, bar) = bar(Mode::of(screen));
            assert!(bar.iter().any(|(key, what)| key == "?" && *what == "help"));
            assert!(bar.iter().any(|(key, what)| key == "q" && *what == "quit"));
        }
    }

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers,
            kind: KeyEventKind::Press,
            state: crossterm::event::KeyEventState::NONE,
        }
    }

    #[test]
    fn resolving_keys() {
        let shift_a = press(KeyCode::Char('A'), KeyModifiers::SHIFT);
        assert!(matches!(
            resolve(Mode::Review, shift_a),
            Some(Action::ApproveAll)
        ));
        // Global keys work on a screen, not in a dialog, where characters are typed.
        let q = press(KeyCode::Char('q'), KeyModifiers::NONE);
        assert!(matches!(resolve(Mode::Inventory, q), Some(Action::Quit)));
        assert!(matches!(
            resolve(Mode::Passphrase, q),
            Some(Action::Type('q'))
        ));
        assert!(resolve(Mode::Error, q).is_none());
        let ctrl_c = press(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert!(resolve(Mode::PathInput, ctrl_c).is_none());
        assert!(matches!(resolve(Mode::Ledger, ctrl_c), Some(Action::Quit)));
    }

    /// Issue 10, item 17: path fields (and text prompts) take the usual editing keys.
    #[test]
    fn fields_take_the_usual_editing_keys() {
        for mode in [Mode::PathInput, Mode::Prompt] {
            for (code, modifiers, wanted) in [
                (
                    KeyCode::Char('u'),
                    KeyModifiers::CONTROL,
                    Action::EraseToStart,
                ),
                (KeyCode::Char('w'), KeyModifiers::CONTROL, Action::EraseWord),
                (
                    KeyCode::Char('a'),
                    KeyModifiers::CONTROL,
                    Action::CursorStart,
                ),
                (KeyCode::Char('e'), KeyModifiers::CONTROL, Action::CursorEnd),
                (KeyCode::Home, KeyModifiers::NONE, Action::CursorStart),
                (KeyCode::End, KeyModifiers::NONE, Action::CursorEnd),
                (KeyCode::Left, KeyModifiers::NONE, Action::CursorLeft),
                (KeyCode::Right, KeyModifiers::NONE, Action::CursorRight),
                (KeyCode::Delete, KeyModifiers::NONE, Action::EraseForward),
            ] {
                let action = resolve(mode, press(code, modifiers));
                assert!(
                    action.as_ref().is_some_and(|action| same(action, &wanted)),
                    "{code:?} in {mode:?} is {action:?}"
                );
            }
            // Plain letters are still typed.
            assert!(matches!(
                resolve(mode, press(KeyCode::Char('w'), KeyModifiers::NONE)),
                Some(Action::Type('w'))
            ));
        }
    }

    #[test]
    fn merged_entries_for_help() {
        let review = entries(Mode::Review, false);
        assert!(review.contains(&("↑/k".to_owned(), "previous item")));
        assert!(
            entries(Mode::Review, true)
                .iter()
                .all(|(key, _)| key != "↑/k")
        );
    }
}
