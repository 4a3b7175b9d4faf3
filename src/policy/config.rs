//! `airlock.toml`: the policy an officer can tune, and its commented default.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The default `airlock.toml`, written by `init` and `import`. Its values are the
/// defaults of [`PolicyConfig::default`]; a test keeps the two equal.
pub const DEFAULT_POLICY_TOML: &str = r#"# airlock policy: what a CSR must satisfy before airlock signs it.
# Edit with care; every change applies to the next `review` and `sign`.
# Patterns: an exact name, or a prefix ending in '*' (e.g. "system:node:*").

# Profile for CSRs that no rule below matches.
default_profile = "human"

[keys]
# Smallest RSA modulus accepted, in bits.
rsa_min_bits = 2048
# Accept ECDSA keys on P-256 and P-384 (P-521 and other curves are always refused).
ecdsa = true
# Accept Ed25519 keys.
ed25519 = true

[names]
# Longest CN (user name) and O value (group) in characters; RFC 5280 allows 64.
max_chars = 64
# Users (CN) that airlock never signs for: they belong to the control plane.
forbidden_users = ["system:anonymous", "system:kube-*", "system:node:*"]
# Groups (O) that airlock never signs for. system:masters bypasses RBAC entirely.
forbidden_groups = ["system:masters", "system:nodes"]

# Profiles: the longest lifetime a certificate may get, in days.
[profiles.human]
max_days = 90

[profiles.automation]
max_days = 730

# Rules pick a profile; the first match wins. `group` matches any O value,
# `user` matches the CN.
[[rules]]
group = "system:automation"
profile = "automation"
"#;

/// Which public keys are accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRules {
    /// Smallest RSA modulus accepted.
    pub rsa_min_bits: usize,
    /// ECDSA P-256 and P-384 accepted.
    pub ecdsa: bool,
    /// Ed25519 accepted.
    pub ed25519: bool,
}

/// Which names are accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameRules {
    /// Longest CN or O value in characters.
    pub max_chars: usize,
    /// Users never signed for (exact or prefix`*`).
    pub forbidden_users: Vec<String>,
    /// Groups never signed for (exact or prefix`*`).
    pub forbidden_groups: Vec<String>,
}

/// A lifetime profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Longest lifetime in days.
    pub max_days: u32,
}

/// A rule choosing a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileRule {
    /// Matches when any O value matches this pattern.
    #[serde(default)]
    pub group: Option<String>,
    /// Matches when the CN matches this pattern.
    #[serde(default)]
    pub user: Option<String>,
    /// The profile to apply.
    pub profile: String,
}

/// The whole policy file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// Profile used when no rule matches.
    pub default_profile: String,
    /// Key rules.
    pub keys: KeyRules,
    /// Name rules.
    pub names: NameRules,
    /// Profiles by name.
    pub profiles: BTreeMap<String, Profile>,
    /// Profile rules, first match wins.
    #[serde(default)]
    pub rules: Vec<ProfileRule>,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        let mut profiles = BTreeMap::new();
        profiles.insert("human".to_owned(), Profile { max_days: 90 });
        profiles.insert("automation".to_owned(), Profile { max_days: 730 });
        Self {
            default_profile: "human".to_owned(),
            keys: KeyRules {
                rsa_min_bits: 2048,
                ecdsa: true,
                ed25519: true,
            },
            names: NameRules {
                max_chars: 64,
                forbidden_users: vec![
                    "system:anonymous".to_owned(),
                    "system:kube-*".to_owned(),
                    "system:node:*".to_owned(),
                ],
                forbidden_groups: vec!["system:masters".to_owned(), "system:nodes".to_owned()],
            },
            profiles,
            rules: vec![ProfileRule {
                group: Some("system:automation".to_owned()),
                user: None,
                profile: "automation".to_owned(),
            }],
        }
    }
}

impl PolicyConfig {
    /// Parses and checks a policy file's text.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let config: Self = toml::from_str(text).map_err(|error| error.to_string())?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), String> {
        if !self.profiles.contains_key(&self.default_profile) {
            return Err(format!(
                "default_profile '{}' is not a profile",
                crate::text::name(&self.default_profile)
            ));
        }
        for (name, profile) in &self.profiles {
            if profile.max_days == 0 {
                return Err(format!(
                    "profile '{}' has max_days 0",
                    crate::text::name(name)
                ));
            }
        }
        for rule in &self.rules {
            if !self.profiles.contains_key(&rule.profile) {
                return Err(format!(
                    "a rule names unknown profile '{}'",
                    crate::text::name(&rule.profile)
                ));
            }
            if rule.group.is_none() && rule.user.is_none() {
                return Err(format!(
                    "a rule for profile '{}' has neither group nor user",
                    rule.profile
                ));
            }
        }
        if self.keys.rsa_min_bits < 2048 {
            return Err("keys.rsa_min_bits below 2048 is not allowed".to_owned());
        }
        if self.names.max_chars == 0 || self.names.max_chars > 64 {
            return Err("names.max_chars must be 1 to 64 (RFC 5280's upper bound)".to_owned());
        }
        Ok(())
    }

    /// The profile that applies to a subject, with its name.
    pub fn profile_for(&self, user: &str, groups: &[String]) -> (&str, &Profile) {
        for rule in &self.rules {
            let group_matches = rule
                .group
                .as_deref()
                .is_none_or(|pattern| groups.iter().any(|group| matches_pattern(pattern, group)));
            let user_matches = rule
                .user
                .as_deref()
                .is_none_or(|pattern| matches_pattern(pattern, user));
            if group_matches
                && user_matches
                && let Some((name, profile)) = self.profiles.get_key_value(&rule.profile)
            {
                return (name, profile);
            }
        }
        self.profiles
            .get_key_value(&self.default_profile)
            .map_or(("human", &HUMAN_FALLBACK), |(name, profile)| {
                (name.as_str(), profile)
            })
    }
}

// Only reachable for a config that skipped `check`; the safest profile.
const HUMAN_FALLBACK: Profile = Profile { max_days: 90 };

/// Exact match, or prefix match when the pattern ends in `*`.
pub fn matches_pattern(pattern: &str, value: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => value.starts_with(prefix),
        None => pattern == value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_equals_defaults() {
        assert_eq!(
            PolicyConfig::from_toml(DEFAULT_POLICY_TOML),
            Ok(PolicyConfig::default())
        );
    }

    #[test]
    fn bad_configs_are_refused_with_reason() {
        let text = DEFAULT_POLICY_TOML
            .replace("default_profile = \"human\"", "default_profile = \"nope\"");
        assert!(
            PolicyConfig::from_toml(&text)
                .expect_err("bad")
                .contains("nope")
        );
        let text = DEFAULT_POLICY_TOML.replace("rsa_min_bits = 2048", "rsa_min_bits = 1024");
        assert!(PolicyConfig::from_toml(&text).is_err());
        assert!(PolicyConfig::from_toml("what = 1").is_err());
    }

    #[test]
    fn rules_pick_profiles() {
        let config = PolicyConfig::default();
        assert_eq!(
            config
                .profile_for("ci", &["system:automation".to_owned()])
                .0,
            "automation"
        );
        assert_eq!(config.profile_for("alice", &["dev".to_owned()]).0, "human");
        assert!(matches_pattern("system:node:*", "system:node:worker-1"));
        assert!(!matches_pattern("system:masters", "system:masters2"));
    }
}
