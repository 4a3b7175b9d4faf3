//! Why a certificate is revoked: the RFC 5280 `CRLReason` codes that make sense for a
//! client certificate, and the officer's free text beside the code.
//!
//! The officer writes `CODE` or `CODE: free text` (for example `keyCompromise: laptop
//! stolen`). The code is recorded in the ledger by its RFC 5280 name and carried into
//! the CRL as the entry's reasonCode extension; the text is kept as the officer wrote it.
//! Codes that describe a CA (`cACompromise`, `aACompromise`) or a suspension
//! (`certificateHold`, `removeFromCRL`) are refused: airlock revokes client certificates
//! for good, and a compromised CA is replaced by a rotation, not listed in its own CRL.
//!
//! This module parses and names; it does not decide what is revoked, and it does not
//! check the free text beyond its length (the ledger keeps it; displays escape it).

use std::fmt;
use std::str::FromStr;

/// Longest free text kept beside the code, in characters.
pub const MAX_TEXT_CHARS: usize = 500;

/// The RFC 5280 reason codes (section 5.3.1) airlock accepts for a client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReasonCode {
    /// No reason given (code 0). RFC 5280 asks that the CRL then carry no reasonCode.
    Unspecified,
    /// The certificate's private key is known or suspected to be compromised (code 1).
    KeyCompromise,
    /// The subject's name or other information changed (code 3): moved team, renamed.
    AffiliationChanged,
    /// The certificate was replaced by another one (code 4).
    Superseded,
    /// The certificate is no longer needed: the person left, the job ended (code 5).
    CessationOfOperation,
    /// A privilege the certificate stands for was withdrawn (code 9).
    PrivilegeWithdrawn,
}

impl ReasonCode {
    /// Every accepted code, in RFC 5280 order (the order the TUI offers them in).
    pub const ALL: [Self; 6] = [
        Self::Unspecified,
        Self::KeyCompromise,
        Self::AffiliationChanged,
        Self::Superseded,
        Self::CessationOfOperation,
        Self::PrivilegeWithdrawn,
    ];

    /// The RFC 5280 name, camelCase (`keyCompromise`): the form the ledger records.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::KeyCompromise => "keyCompromise",
            Self::AffiliationChanged => "affiliationChanged",
            Self::Superseded => "superseded",
            Self::CessationOfOperation => "cessationOfOperation",
            Self::PrivilegeWithdrawn => "privilegeWithdrawn",
        }
    }

    /// When to choose this code, in plain words (for the choice list and help).
    pub fn meaning(self) -> &'static str {
        match self {
            Self::Unspecified => "no reason stated",
            Self::KeyCompromise => "the private key was lost, stolen or copied",
            Self::AffiliationChanged => "the user moved team or changed name",
            Self::Superseded => "replaced by another certificate",
            Self::CessationOfOperation => "no longer needed: the user left, the job ended",
            Self::PrivilegeWithdrawn => "the access it stood for was withdrawn",
        }
    }

    /// The reasonCode a CRL entry carries for this code: none for `unspecified`, as RFC
    /// 5280 section 5.3.1 asks ("SHOULD be absent instead of using the unspecified
    /// reasonCode value").
    pub fn crl_reason(self) -> Option<rcgen::RevocationReason> {
        match self {
            Self::Unspecified => None,
            Self::KeyCompromise => Some(rcgen::RevocationReason::KeyCompromise),
            Self::AffiliationChanged => Some(rcgen::RevocationReason::AffiliationChanged),
            Self::Superseded => Some(rcgen::RevocationReason::Superseded),
            Self::CessationOfOperation => Some(rcgen::RevocationReason::CessationOfOperation),
            Self::PrivilegeWithdrawn => Some(rcgen::RevocationReason::PrivilegeWithdrawn),
        }
    }

    /// Every accepted name, comma-separated, for messages.
    pub fn valid_names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// Folds a code as typed: case-insensitive, and kebab-case (`key-compromise`) is read as
/// camelCase (`keyCompromise`).
fn folded(text: &str) -> String {
    text.trim()
        .chars()
        .filter(|character| *character != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

impl FromStr for ReasonCode {
    type Err = RevocationReasonError;

    /// Reads a code by its RFC 5280 name, in camelCase or kebab-case, in any case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = folded(text);
        if wanted.is_empty() {
            return Err(RevocationReasonError::Missing);
        }
        if let Some(code) = Self::ALL
            .into_iter()
            .find(|code| folded(code.name()) == wanted)
        {
            return Ok(code);
        }
        let not_for_clients = [
            "cACompromise",
            "aACompromise",
            "certificateHold",
            "removeFromCRL",
        ]
        .into_iter()
        .find(|name| folded(name) == wanted);
        Err(match not_for_clients {
            Some(name) => RevocationReasonError::NotForClients { code: name },
            None => RevocationReasonError::Unknown {
                given: crate::text::name(text.trim()),
            },
        })
    }
}

/// A revocation reason: an RFC 5280 code and the officer's free text (possibly empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationReason {
    code: ReasonCode,
    text: String,
}

impl RevocationReason {
    /// A reason from a code and free text; the text is trimmed and may be empty.
    pub fn new(code: ReasonCode, text: &str) -> Result<Self, RevocationReasonError> {
        let text = text.trim();
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(RevocationReasonError::TooLong {
                max: MAX_TEXT_CHARS,
            });
        }
        Ok(Self {
            code,
            text: text.to_owned(),
        })
    }

    /// The code.
    pub fn code(&self) -> ReasonCode {
        self.code
    }

    /// The free text, trimmed; empty when only a code was given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// What the ledger's `reason` field keeps: the free text, or the code's name when no
    /// text was given (readers of older ledgers show `reason` alone, so it is never empty).
    pub fn ledger_text(&self) -> String {
        if self.text.is_empty() {
            self.code.name().to_owned()
        } else {
            self.text.clone()
        }
    }
}

impl From<ReasonCode> for RevocationReason {
    /// The code alone, without free text.
    fn from(code: ReasonCode) -> Self {
        Self {
            code,
            text: String::new(),
        }
    }
}

impl FromStr for RevocationReason {
    type Err = RevocationReasonError;

    /// Reads `CODE` or `CODE: free text`; the code is everything before the first `:`.
    fn from_str(given: &str) -> Result<Self, Self::Err> {
        let (code, text) = given.split_once(':').unwrap_or((given, ""));
        Self::new(code.parse()?, text)
    }
}

impl fmt::Display for RevocationReason {
    /// `CODE` or `CODE: text`, the form [`FromStr`] reads. The text is the officer's own:
    /// escape it (`crate::text::inert`) before it reaches a terminal.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.text.is_empty() {
            write!(formatter, "{}", self.code)
        } else {
            write!(formatter, "{}: {}", self.code, self.text)
        }
    }
}

/// Why a revocation reason was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevocationReasonError {
    /// Nothing (or only free text after an empty code) was given.
    #[error(
        "no revocation reason code given: start with one of {}, optionally followed by ': free text'",
        ReasonCode::valid_names()
    )]
    Missing,
    /// The code is not an RFC 5280 reason name.
    #[error(
        "unknown revocation reason code '{given}': give one of {}, optionally followed by ': free text'",
        ReasonCode::valid_names()
    )]
    Unknown {
        /// What was given, escaped.
        given: String,
    },
    /// An RFC 5280 code that does not apply to revoking a client certificate for good.
    #[error(
        "revocation reason code '{code}' does not apply to a client certificate (a compromised CA is replaced by a rotation; holds are not supported): give one of {}",
        ReasonCode::valid_names()
    )]
    NotForClients {
        /// The RFC 5280 name.
        code: &'static str,
    },
    /// The free text is too long.
    #[error("revocation reason text is longer than {max} characters")]
    TooLong {
        /// The bound.
        max: usize,
    },
}

impl From<RevocationReasonError> for crate::Error {
    fn from(error: RevocationReasonError) -> Self {
        Self::Refused(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_from_its_name_and_kebab_case() {
        for code in ReasonCode::ALL {
            assert_eq!(code.name().parse::<ReasonCode>(), Ok(code));
            assert_eq!(
                code.to_string().to_uppercase().parse::<ReasonCode>(),
                Ok(code)
            );
        }
        assert_eq!("key-compromise".parse(), Ok(ReasonCode::KeyCompromise));
        assert_eq!(
            " Cessation-Of-Operation ".parse(),
            Ok(ReasonCode::CessationOfOperation)
        );
        assert_eq!(
            "PRIVILEGEWITHDRAWN".parse(),
            Ok(ReasonCode::PrivilegeWithdrawn)
        );
    }

    #[test]
    fn code_and_text_split_at_the_first_colon() {
        let reason: RevocationReason = "keyCompromise: laptop: stolen ".parse().expect("valid");
        assert_eq!(reason.code(), ReasonCode::KeyCompromise);
        assert_eq!(reason.text(), "laptop: stolen");
        assert_eq!(reason.to_string(), "keyCompromise: laptop: stolen");
        assert_eq!(reason.ledger_text(), "laptop: stolen");
        let bare: RevocationReason = "superseded".parse().expect("valid");
        assert_eq!(bare.text(), "");
        assert_eq!(bare.ledger_text(), "superseded");
        assert_eq!(bare.to_string(), "superseded");
        let trailing: RevocationReason = "superseded:  ".parse().expect("valid");
        assert_eq!(trailing, bare);
    }

    #[test]
    fn unknown_codes_are_refused_with_the_valid_list() {
        let error = "left the team"
            .parse::<RevocationReason>()
            .expect_err("no code");
        assert_eq!(
            error,
            RevocationReasonError::Unknown {
                given: "left the team".to_owned()
            }
        );
        let message = error.to_string();
        for code in ReasonCode::ALL {
            assert!(message.contains(code.name()), "{message}");
        }
        assert!(message.starts_with("unknown revocation reason code 'left the team'"));
        assert_eq!(
            " : text".parse::<RevocationReason>(),
            Err(RevocationReasonError::Missing)
        );
        assert_eq!(
            "cacompromise: oops".parse::<RevocationReason>(),
            Err(RevocationReasonError::NotForClients {
                code: "cACompromise"
            })
        );
    }

    #[test]
    fn a_hostile_code_is_escaped_in_the_message() {
        let error = "\u{1b}[31mevil".parse::<ReasonCode>().expect_err("unknown");
        assert!(!error.to_string().contains('\u{1b}'));
    }

    #[test]
    fn long_text_is_refused_and_unspecified_has_no_crl_reason() {
        let long = format!("superseded: {}", "x".repeat(MAX_TEXT_CHARS + 1));
        assert_eq!(
            long.parse::<RevocationReason>(),
            Err(RevocationReasonError::TooLong {
                max: MAX_TEXT_CHARS
            })
        );
        assert_eq!(ReasonCode::Unspecified.crl_reason(), None);
        assert_eq!(
            ReasonCode::KeyCompromise.crl_reason(),
            Some(rcgen::RevocationReason::KeyCompromise)
        );
    }
}
