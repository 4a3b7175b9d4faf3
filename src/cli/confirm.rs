//! Typed confirmation of an act before any passphrase is asked, as easy-rsa does, and
//! the words that name a CA in prompts (role, name, short id).
//!
//! `sign`, `revoke`, `rotate begin|reissue|finish|abort`, `renew-ca` and `policy accept`
//! show a plan (what will be signed or changed, which CA unlocks) and wait for the
//! officer to type the batch digest or `yes`. `--yes` skips it for runbooks; without a
//! terminal and without `--yes` the command is refused before it opens the home, so
//! nothing is written. The core decides what happens; this file only shows and asks.

use std::cell::Cell;
use std::io::{BufRead, IsTerminal as _, Write};

use airlock::Error;
use airlock::state::{CaRole, State};

/// What the officer must type to go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The word `yes`.
    Yes,
    /// A text read aloud or shown in the plan (the batch digest, a CA id prefix),
    /// compared without regard to letter case.
    Text {
        /// The text to type.
        text: String,
        /// What it is, for the prompt ("the batch digest").
        what: &'static str,
    },
}

impl Answer {
    fn matches(&self, typed: &str) -> bool {
        let typed = typed.trim();
        match self {
            Self::Yes => typed == "yes",
            Self::Text { text, .. } => !typed.is_empty() && typed.eq_ignore_ascii_case(text),
        }
    }

    fn prompt(&self) -> String {
        match self {
            Self::Yes => "Type 'yes' to go on (anything else cancels): ".to_owned(),
            Self::Text { text, what } => {
                format!("Type {what} ({text}) to go on (anything else cancels): ")
            }
        }
    }
}

/// What an act will do, shown before it is confirmed. Lines are inert already.
#[derive(Debug, Clone)]
pub struct Plan {
    /// One line: the act.
    pub title: String,
    /// What will be signed or changed, which CA unlocks.
    pub lines: Vec<String>,
    /// What to type.
    pub answer: Answer,
}

impl Plan {
    /// A plan confirmed by typing `yes`.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            lines: Vec::new(),
            answer: Answer::Yes,
        }
    }

    /// Adds a line.
    pub fn line(mut self, line: impl Into<String>) -> Self {
        self.lines.push(line.into());
        self
    }
}

/// A confirmation an act waits for: asked once, on the terminal, unless skipped.
pub struct Confirmation {
    plan: Plan,
    skip: bool,
    done: Cell<bool>,
}

impl Confirmation {
    /// A confirmation of `plan`; `skip` (from `--yes`) takes it as given.
    pub fn new(plan: Plan, skip: bool) -> Self {
        Self {
            plan,
            skip,
            done: Cell::new(false),
        }
    }

    /// Shows the plan on stderr and reads the answer from the terminal, the first time
    /// only. Refuses (nothing done) on another answer or without a terminal.
    pub fn ensure(&self) -> Result<(), Error> {
        if self.skip || self.done.get() {
            return Ok(());
        }
        if !std::io::stdin().is_terminal() {
            return Err(no_terminal());
        }
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        ask(&self.plan, &mut input, &mut std::io::stderr())?;
        self.done.set(true);
        Ok(())
    }
}

/// Refuses at once when the act would need a typed confirmation and there is no
/// terminal to ask on: a runbook must say `--yes`. Called before the home is opened.
pub fn require_terminal_or_yes(yes: bool) -> Result<(), Error> {
    if yes || std::io::stdin().is_terminal() {
        Ok(())
    } else {
        Err(no_terminal())
    }
}

fn no_terminal() -> Error {
    Error::Refused(
        "this act waits for a typed confirmation and there is no terminal to ask on; nothing was done: in a runbook, pass --yes".to_owned(),
    )
}

/// Shows `plan` on `out` and reads one line from `input`: Ok when it is the answer.
pub fn ask(plan: &Plan, input: &mut dyn BufRead, out: &mut dyn Write) -> Result<(), Error> {
    let shown =
        |error: std::io::Error| Error::Refused(format!("cannot show the plan to confirm: {error}"));
    writeln!(out, "{}", plan.title).map_err(shown)?;
    for line in &plan.lines {
        writeln!(out, "  {line}").map_err(shown)?;
    }
    write!(out, "{}", plan.answer.prompt()).map_err(shown)?;
    out.flush().map_err(shown)?;
    let mut typed = String::new();
    input
        .read_line(&mut typed)
        .map_err(|error| Error::Refused(format!("cannot read the confirmation: {error}")))?;
    if plan.answer.matches(&typed) {
        Ok(())
    } else {
        Err(Error::Refused(match &plan.answer {
            Answer::Yes => "not confirmed (the answer was not 'yes'): nothing was done".to_owned(),
            Answer::Text { what, .. } => {
                format!("not confirmed (the answer was not {what}): nothing was done")
            }
        }))
    }
}

/// The first 8 hex digits of a CA id and an ellipsis, as prompts show it.
pub fn short_id(id: &str) -> String {
    match id.get(..8) {
        Some(prefix) if id.len() > 8 => format!("{prefix}…"),
        _ => id.to_owned(),
    }
}

/// What a CA is now, in prompts: `active`, `incoming`, or `retiring` for the old CA of a
/// rotation; `superseded` and `retired` for CAs that sign no more.
pub fn role_name(state: &State, id: &str) -> &'static str {
    if state.rotation().is_some_and(|rotation| rotation.old == id) {
        return "retiring";
    }
    match state.ca(id).map(|ca| ca.role) {
        Some(CaRole::Active) => "active",
        Some(CaRole::Incoming) => "incoming",
        Some(CaRole::Superseded) => "superseded",
        Some(CaRole::Retired) => "retired",
        None => "unknown",
    }
}

/// "incoming CA 'kubernetes' (e72c0a1b…)": the CA's role, name and short id. The name
/// is inert already (`CaInfo::common_name`).
pub fn ca_label(state: &State, id: &str) -> String {
    let name = state
        .ca(id)
        .map(|ca| ca.certificate.info().common_name.clone())
        .unwrap_or_default();
    format!("{} CA '{name}' ({})", role_name(state, id), short_id(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest_plan() -> Plan {
        Plan {
            title: "Sign 2 certificate(s)".to_owned(),
            lines: vec!["alice".to_owned()],
            answer: Answer::Text {
                text: "ab12-cd34-ef56-7890".to_owned(),
                what: "the batch digest",
            },
        }
    }

    // Item 9 of issue 10: the plan is shown, then the typed digest is asked.
    #[test]
    fn the_plan_is_shown_and_the_digest_must_be_typed() {
        let mut out = Vec::new();
        let mut input = &b"AB12-cd34-ef56-7890\n"[..];
        ask(&digest_plan(), &mut input, &mut out).expect("the digest confirms");
        let shown = String::from_utf8(out).expect("utf-8");
        assert!(shown.starts_with("Sign 2 certificate(s)\n  alice\n"));
        assert!(shown.contains("Type the batch digest (ab12-cd34-ef56-7890)"));
    }

    #[test]
    fn another_answer_or_none_cancels() {
        for typed in [&b"yes\n"[..], b"\n", b"", b"ab12-cd34\n"] {
            let mut input = typed;
            let error = ask(&digest_plan(), &mut input, &mut Vec::new())
                .expect_err("only the digest confirms");
            assert!(error.to_string().contains("nothing was done"), "{error}");
        }
        let plan = Plan::new("Abort the rotation");
        assert!(ask(&plan, &mut &b"yes\n"[..], &mut Vec::new()).is_ok());
        for typed in [&b"y\n"[..], b"no\n", b"YES please\n"] {
            let mut input = typed;
            assert!(ask(&plan, &mut input, &mut Vec::new()).is_err());
        }
    }

    #[test]
    fn a_skipped_confirmation_asks_nothing() {
        assert!(Confirmation::new(Plan::new("x"), true).ensure().is_ok());
        assert!(require_terminal_or_yes(true).is_ok());
    }

    #[test]
    fn short_ids_keep_eight_digits() {
        assert_eq!(short_id("e72c0a1b22334455"), "e72c0a1b…");
        assert_eq!(short_id("e72c"), "e72c");
    }
}
