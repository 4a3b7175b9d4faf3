//! `airlock.toml`: the policy an officer can tune, its commented default, its range
//! checks and its canonical form (what the ledger records and hashes).
//!
//! Every value is range-checked when the policy is loaded, from TOML or from the
//! canonical JSON, so that no later arithmetic on a configured value can overflow or
//! panic. This module does not decide whether an edited file is in force: the home and
//! the ledger do that with [`PolicyConfig::digest`] and [`PolicyConfig::differences`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The default `airlock.toml`, written by `init` and `import`. Its values are the
/// defaults of [`PolicyConfig::default`]; a test keeps the two equal.
pub const DEFAULT_POLICY_TOML: &str = r#"# airlock policy: what a CSR must satisfy before airlock signs it.
# The policy in force is recorded in the ledger: an edited file takes effect only once
# an act that unlocks the CA key accepts the change, which is then recorded.
#
# Patterns: an exact name, or a prefix ending in '*' (e.g. "system:node:*"). Names are
# compared after trimming spaces, folding case and mapping look-alike characters
# (Unicode confusables, UTS #39): "SYSTEM:Masters " and "ѕystem:masters" (a Cyrillic
# 'ѕ') both match "system:masters".

# Profile for CSRs that no rule below matches.
default_profile = "human"

[keys]
# Smallest RSA modulus accepted, in bits (2048 to 8192).
rsa_min_bits = 2048
# Accept ECDSA keys on P-256 and P-384 (P-521 and other curves are always refused).
ecdsa = true
# Accept Ed25519 keys.
ed25519 = true

[names]
# Longest CN (user name) and O value (group) in characters (1 to 64, RFC 5280's bound).
max_chars = 64
# Most groups (O values) in one certificate (0 to 256): each group is a grant of RBAC
# rights, and Kubernetes takes every one.
max_groups = 20
# User names holding '/', '\', a '..' segment or starting with '-' are refused: other
# tools build file names and command lines from user names. A regular expression here,
# matched against the whole user name (at most 256 characters), lets the names it
# matches through that rule; the forbidden names below still apply. For example:
# name_pattern = '^spiffe://example\.org/ns/[a-z0-9-]+/sa/[a-z0-9-]+$'

# Users (CN) that airlock never signs for.
forbidden_users = [
    "system:anonymous",        # the identity of unauthenticated requests
    "system:kube-*",           # kube-controller-manager, kube-scheduler, kube-proxy
    "system:node:*",           # kubelets: the Node authorizer grants them node rights
    "system:serviceaccount:*", # RBAC matches service accounts by user name
    "system:apiserver",        # kube-apiserver's own identity
    "kube-apiserver",          # the control plane's client certificates
    "kube-apiserver-*",        # kube-apiserver-kubelet-client, kube-apiserver-etcd-client
]
# Groups (O) that airlock never signs for. system:masters bypasses RBAC entirely and is
# refused even when removed from this list.
forbidden_groups = [
    "system:masters",
    "system:nodes",             # kubelets
    "system:serviceaccounts",   # every service account
    "system:serviceaccounts:*", # the service accounts of a namespace
    "system:bootstrappers",     # bootstrap tokens: auto-approved node credentials
    "system:bootstrappers:*",
    "kubeadm:cluster-admins",   # bound to cluster-admin on kubeadm clusters
]

# Profiles: the longest lifetime a certificate may get, in days (1 to 3650).
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

/// The group no configuration lifts: it bypasses RBAC entirely, and RBAC cannot take it
/// back. Refused even when `airlock.toml` leaves it out of `forbidden_groups`.
pub const FLOOR_GROUP: &str = "system:masters";

/// Allowed range of `keys.rsa_min_bits` (the upper bound is what airlock can verify).
pub const RSA_MIN_BITS_RANGE: (usize, usize) = (2048, super::MAX_RSA_BITS);
/// Allowed range of `names.max_chars` (RFC 5280's upper bound for CN and O).
pub const MAX_CHARS_RANGE: (usize, usize) = (1, 64);
/// Allowed range of `names.max_groups`.
pub const MAX_GROUPS_RANGE: (usize, usize) = (0, 256);
/// Allowed range of a profile's `max_days` (ten years at most).
pub const MAX_DAYS_RANGE: (u32, u32) = (1, 3650);
/// Longest `names.name_pattern`, in characters.
pub const MAX_NAME_PATTERN_CHARS: usize = 256;
/// Longest forbidden-name or rule pattern, in characters.
pub const MAX_PATTERN_CHARS: usize = 128;
/// Most entries in `forbidden_users` or `forbidden_groups`.
pub const MAX_FORBIDDEN: usize = 1000;
/// Most profiles.
pub const MAX_PROFILES: usize = 64;
/// Longest profile name.
pub const MAX_PROFILE_NAME_CHARS: usize = 32;
/// Most rules.
pub const MAX_RULES: usize = 256;

// Compiled size bound for `name_pattern`, so a hostile pattern cannot take much memory.
const NAME_PATTERN_SIZE_LIMIT: usize = 1 << 20;

const fn default_max_groups() -> usize {
    20
}

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
    /// Most groups (O values) in one certificate. Files written before this key existed
    /// get the default, 20.
    #[serde(default = "default_max_groups")]
    pub max_groups: usize,
    /// A regular expression matched against the whole user name: names it matches may
    /// hold `/`, `\`, a `..` segment or a leading `-`. `None`: no such name is accepted.
    #[serde(default)]
    pub name_pattern: Option<String>,
    /// Users never signed for (exact or prefix`*`).
    pub forbidden_users: Vec<String>,
    /// Groups never signed for (exact or prefix`*`). [`FLOOR_GROUP`] is refused whether
    /// or not it is listed.
    pub forbidden_groups: Vec<String>,
}

impl NameRules {
    /// Whether `name_pattern` is set and matches the whole of `user`. A pattern that does
    /// not compile (only possible for a config that skipped the load checks) matches
    /// nothing.
    pub fn pattern_allows(&self, user: &str) -> bool {
        self.name_pattern
            .as_deref()
            .and_then(|pattern| compile_name_pattern(pattern).ok())
            .is_some_and(|regex| regex.is_match(user))
    }
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
        let owned = |names: &[&str]| names.iter().map(|name| (*name).to_owned()).collect();
        Self {
            default_profile: "human".to_owned(),
            keys: KeyRules {
                rsa_min_bits: 2048,
                ecdsa: true,
                ed25519: true,
            },
            names: NameRules {
                max_chars: 64,
                max_groups: default_max_groups(),
                name_pattern: None,
                forbidden_users: owned(&[
                    "system:anonymous",
                    "system:kube-*",
                    "system:node:*",
                    "system:serviceaccount:*",
                    "system:apiserver",
                    "kube-apiserver",
                    "kube-apiserver-*",
                ]),
                forbidden_groups: owned(&[
                    FLOOR_GROUP,
                    "system:nodes",
                    "system:serviceaccounts",
                    "system:serviceaccounts:*",
                    "system:bootstrappers",
                    "system:bootstrappers:*",
                    "kubeadm:cluster-admins",
                ]),
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
    /// Parses and checks a policy file's text: every value is range-checked, and the
    /// error names the key, the value and the allowed range.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let config: Self = toml::from_str(text).map_err(|error| error.to_string())?;
        config.check()?;
        Ok(config)
    }

    /// The canonical form: every field, objects with their keys sorted, so that equal
    /// policies give equal JSON bytes whatever the file's layout or comments. This is
    /// what the ledger records.
    pub fn canonical(&self) -> Value {
        // Serializing plain structs, maps of strings and numbers cannot fail; Null is
        // never reached, and would make `from_canonical` refuse rather than accept.
        let value = serde_json::to_value(self).unwrap_or(Value::Null);
        sorted(value)
    }

    /// Reads a canonical form back (from the ledger), with the same checks as
    /// [`PolicyConfig::from_toml`].
    pub fn from_canonical(value: &Value) -> Result<Self, String> {
        let config = Self::deserialize(value)
            .map_err(|error| format!("the recorded policy does not parse: {error}"))?;
        config.check()?;
        Ok(config)
    }

    /// Lower-case hex SHA-256 of the canonical JSON bytes.
    pub fn digest(&self) -> String {
        let bytes = serde_json::to_vec(&self.canonical()).unwrap_or_default();
        crate::hex::sha256(&bytes)
    }

    /// What changes from `self` to `newer`, one line per change, e.g.
    /// `names.forbidden_groups: 'system:masters' removed` or
    /// `profiles.human.max_days: 90 -> 365`. Empty exactly when the canonical forms
    /// are equal. Strings are made inert.
    pub fn differences(&self, newer: &Self) -> Vec<String> {
        let mut lines = Vec::new();
        diff_values("", &self.canonical(), &newer.canonical(), &mut lines);
        lines
    }

    fn check(&self) -> Result<(), String> {
        check_range(
            "keys.rsa_min_bits",
            self.keys.rsa_min_bits,
            RSA_MIN_BITS_RANGE,
        )?;
        check_range("names.max_chars", self.names.max_chars, MAX_CHARS_RANGE)?;
        check_range("names.max_groups", self.names.max_groups, MAX_GROUPS_RANGE)?;
        if let Some(pattern) = &self.names.name_pattern {
            let length = pattern.chars().count();
            if length > MAX_NAME_PATTERN_CHARS {
                return Err(format!(
                    "'names.name_pattern' is {length} characters: allowed 1 to {MAX_NAME_PATTERN_CHARS}"
                ));
            }
            compile_name_pattern(pattern).map_err(|error| {
                // regex's message draws the pattern over several lines; its last line
                // says what is wrong.
                let message = error.to_string();
                let last = message
                    .lines()
                    .rev()
                    .find(|line| !line.trim().is_empty())
                    .unwrap_or_default()
                    .trim()
                    .trim_start_matches("error: ")
                    .to_owned();
                format!(
                    "'names.name_pattern' = '{}' is not a valid regular expression: {}",
                    crate::text::name(pattern),
                    crate::text::name(&last)
                )
            })?;
        }
        check_patterns("names.forbidden_users", &self.names.forbidden_users)?;
        check_patterns("names.forbidden_groups", &self.names.forbidden_groups)?;
        if self.profiles.is_empty() || self.profiles.len() > MAX_PROFILES {
            return Err(format!(
                "'profiles' holds {} profiles: allowed 1 to {MAX_PROFILES}",
                self.profiles.len()
            ));
        }
        for (name, profile) in &self.profiles {
            check_profile_name(name)?;
            check_range(
                &format!("profiles.{name}.max_days"),
                profile.max_days,
                MAX_DAYS_RANGE,
            )?;
        }
        if !self.profiles.contains_key(&self.default_profile) {
            return Err(format!(
                "'default_profile' = '{}' is not a profile",
                crate::text::name(&self.default_profile)
            ));
        }
        if self.rules.len() > MAX_RULES {
            return Err(format!(
                "'rules' holds {} rules: allowed 0 to {MAX_RULES}",
                self.rules.len()
            ));
        }
        for (index, rule) in self.rules.iter().enumerate() {
            let key = format!("rules[{index}]");
            if !self.profiles.contains_key(&rule.profile) {
                return Err(format!(
                    "'{key}.profile' = '{}' is not a profile",
                    crate::text::name(&rule.profile)
                ));
            }
            if rule.group.is_none() && rule.user.is_none() {
                return Err(format!(
                    "'{key}' (profile '{}') has neither group nor user",
                    crate::text::name(&rule.profile)
                ));
            }
            if let Some(group) = &rule.group {
                check_pattern(&format!("{key}.group"), group)?;
            }
            if let Some(user) = &rule.user {
                check_pattern(&format!("{key}.user"), user)?;
            }
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

/// Exact match, or prefix match when the pattern ends in `*`. Byte-exact: the policy's
/// forbidden-name checks add trimming, case folding and confusable skeletons on top.
pub fn matches_pattern(pattern: &str, value: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => value.starts_with(prefix),
        None => pattern == value,
    }
}

fn compile_name_pattern(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(NAME_PATTERN_SIZE_LIMIT)
        .dfa_size_limit(NAME_PATTERN_SIZE_LIMIT)
        .build()
}

fn check_range<T: PartialOrd + std::fmt::Display + Copy>(
    key: &str,
    value: T,
    (low, high): (T, T),
) -> Result<(), String> {
    if value < low || value > high {
        return Err(format!(
            "'{key}' = {value} is out of range: allowed {low} to {high}"
        ));
    }
    Ok(())
}

fn check_patterns(key: &str, patterns: &[String]) -> Result<(), String> {
    if patterns.len() > MAX_FORBIDDEN {
        return Err(format!(
            "'{key}' holds {} entries: allowed 0 to {MAX_FORBIDDEN}",
            patterns.len()
        ));
    }
    for pattern in patterns {
        check_pattern(key, pattern)?;
    }
    Ok(())
}

fn check_pattern(key: &str, pattern: &str) -> Result<(), String> {
    let shown = crate::text::name(pattern);
    let length = pattern.chars().count();
    if pattern.trim().is_empty() || pattern.trim() == "*" {
        return Err(format!(
            "'{key}' holds the pattern '{shown}', which names nobody or everybody"
        ));
    }
    if length > MAX_PATTERN_CHARS {
        return Err(format!(
            "'{key}' holds a pattern of {length} characters: allowed 1 to {MAX_PATTERN_CHARS}"
        ));
    }
    if pattern.chars().any(crate::text::is_unsafe) {
        return Err(format!(
            "'{key}' holds the pattern '{shown}' with control or invisible characters"
        ));
    }
    if pattern.trim_end_matches('*').contains('*') || pattern.ends_with("**") {
        return Err(format!(
            "'{key}' holds the pattern '{shown}': '*' is allowed only once, at the end"
        ));
    }
    Ok(())
}

fn check_profile_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.chars().count() <= MAX_PROFILE_NAME_CHARS
        && name
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "-_".contains(character));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "profile name '{}' is not allowed: 1 to {MAX_PROFILE_NAME_CHARS} characters of A-Z, a-z, 0-9, '-' and '_'",
            crate::text::name(name)
        ))
    }
}

/// Rebuilds every object with its keys inserted in sorted order, so the bytes are the
/// same whether or not `serde_json` keeps insertion order.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let ordered: BTreeMap<String, Value> = map
                .into_iter()
                .map(|(key, value)| (key, sorted(value)))
                .collect();
            Value::Object(ordered.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

fn shown(value: &Value) -> String {
    match value {
        Value::Null => "unset".to_owned(),
        Value::String(text) => format!("'{}'", crate::text::name(text)),
        Value::Bool(_) | Value::Number(_) => value.to_string(),
        Value::Array(_) | Value::Object(_) => crate::text::inert(&value.to_string(), 200),
    }
}

fn join(path: &str, key: &str) -> String {
    let key = crate::text::name(key);
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

fn diff_values(path: &str, old: &Value, new: &Value, lines: &mut Vec<String>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Value::Object(old_map), Value::Object(new_map)) => {
            for (key, old_value) in old_map {
                match new_map.get(key) {
                    Some(new_value) => diff_values(&join(path, key), old_value, new_value, lines),
                    None => lines.push(format!(
                        "{}: removed ({})",
                        join(path, key),
                        shown(old_value)
                    )),
                }
            }
            for (key, new_value) in new_map {
                if !old_map.contains_key(key) {
                    lines.push(format!("{}: added ({})", join(path, key), shown(new_value)));
                }
            }
        }
        (Value::Array(old_items), Value::Array(new_items))
            if old_items.iter().chain(new_items).all(Value::is_string) =>
        {
            // Lists of names: what was added or removed matters, not where.
            let mut changed = false;
            for item in old_items {
                if !new_items.contains(item) {
                    lines.push(format!("{path}: {} removed", shown(item)));
                    changed = true;
                }
            }
            for item in new_items {
                if !old_items.contains(item) {
                    lines.push(format!("{path}: {} added", shown(item)));
                    changed = true;
                }
            }
            if !changed {
                lines.push(format!("{path}: reordered"));
            }
        }
        (Value::Array(old_items), Value::Array(new_items)) => {
            // Rules: order matters (the first match wins), so compare position by position.
            for index in 0..old_items.len().max(new_items.len()) {
                let at = format!("{path}[{index}]");
                match (old_items.get(index), new_items.get(index)) {
                    (Some(old_item), Some(new_item)) if old_item != new_item => {
                        lines.push(format!("{at}: {} -> {}", shown(old_item), shown(new_item)));
                    }
                    (Some(old_item), None) => {
                        lines.push(format!("{at}: removed ({})", shown(old_item)));
                    }
                    (None, Some(new_item)) => {
                        lines.push(format!("{at}: added ({})", shown(new_item)));
                    }
                    _ => {}
                }
            }
        }
        _ => lines.push(format!("{path}: {} -> {}", shown(old), shown(new))),
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
        assert_eq!(
            PolicyConfig::from_toml(&text),
            Err("'keys.rsa_min_bits' = 1024 is out of range: allowed 2048 to 8192".to_owned())
        );
        assert!(PolicyConfig::from_toml("what = 1").is_err());
    }

    #[test]
    fn every_range_is_checked_and_named() {
        let cases = [
            (
                "max_days = 90",
                "max_days = 3000000",
                "'profiles.human.max_days' = 3000000 is out of range: allowed 1 to 3650",
            ),
            (
                "max_days = 730",
                "max_days = 0",
                "'profiles.automation.max_days' = 0 is out of range: allowed 1 to 3650",
            ),
            (
                "rsa_min_bits = 2048",
                "rsa_min_bits = 100000",
                "'keys.rsa_min_bits' = 100000 is out of range: allowed 2048 to 8192",
            ),
            (
                "max_chars = 64",
                "max_chars = 0",
                "'names.max_chars' = 0 is out of range: allowed 1 to 64",
            ),
            (
                "max_chars = 64",
                "max_chars = 65",
                "'names.max_chars' = 65 is out of range: allowed 1 to 64",
            ),
            (
                "max_groups = 20",
                "max_groups = 100000",
                "'names.max_groups' = 100000 is out of range: allowed 0 to 256",
            ),
        ];
        for (from, to, expected) in cases {
            let text = DEFAULT_POLICY_TOML.replace(from, to);
            assert_ne!(text, DEFAULT_POLICY_TOML, "{from} is in the template");
            assert_eq!(PolicyConfig::from_toml(&text), Err(expected.to_owned()));
        }
        // Values too large for the type are refused by the parser, never wrapped.
        let text = DEFAULT_POLICY_TOML.replace("max_days = 90", "max_days = 99999999999999");
        assert!(PolicyConfig::from_toml(&text).is_err());
        let text = DEFAULT_POLICY_TOML.replace("max_days = 90", "max_days = -1");
        assert!(PolicyConfig::from_toml(&text).is_err());
    }

    #[test]
    fn patterns_and_names_are_checked() {
        let bad_pattern =
            DEFAULT_POLICY_TOML.replace("# name_pattern = '^spiffe", "name_pattern = '^spiffe(");
        let error = PolicyConfig::from_toml(&bad_pattern).expect_err("bad regex");
        assert!(
            error.starts_with("'names.name_pattern' = '^spiffe("),
            "{error}"
        );
        let good_pattern =
            DEFAULT_POLICY_TOML.replace("# name_pattern = '^spiffe", "name_pattern = '^spiffe");
        let config = PolicyConfig::from_toml(&good_pattern).expect("valid regex");
        assert!(
            config
                .names
                .pattern_allows("spiffe://example.org/ns/team-a/sa/ci")
        );
        assert!(!config.names.pattern_allows("spiffe://evil.org/ns/a/sa/b"));
        assert!(!PolicyConfig::default().names.pattern_allows("a/b"));
        let long = format!("name_pattern = '{}'", "a".repeat(300));
        let text = DEFAULT_POLICY_TOML.replace("[names]\n", &format!("[names]\n{long}\n"));
        assert_eq!(
            PolicyConfig::from_toml(&text),
            Err("'names.name_pattern' is 300 characters: allowed 1 to 256".to_owned())
        );
        for (pattern, reason) in [
            ("*", "names nobody or everybody"),
            ("  ", "names nobody or everybody"),
            ("sys*tem", "'*' is allowed only once, at the end"),
            ("a\u{1b}[31m", "control or invisible characters"),
        ] {
            let mut config = PolicyConfig::default();
            config.names.forbidden_users.push(pattern.to_owned());
            let error = config.check().expect_err("bad pattern");
            assert!(
                error.starts_with("'names.forbidden_users' holds") && error.contains(reason),
                "{error}"
            );
            assert!(!error.contains('\u{1b}'));
        }
        let mut config = PolicyConfig::default();
        config
            .profiles
            .insert("a b".to_owned(), Profile { max_days: 1 });
        assert!(
            config
                .check()
                .expect_err("bad name")
                .starts_with("profile name 'a b' is not allowed")
        );
    }

    #[test]
    fn files_without_new_keys_get_their_defaults() {
        let old = DEFAULT_POLICY_TOML.replace("max_groups = 20\n", "");
        let config = PolicyConfig::from_toml(&old).expect("old file");
        assert_eq!(config.names.max_groups, 20);
        assert_eq!(config.names.name_pattern, None);
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

    #[test]
    fn canonical_round_trips_and_has_every_field() {
        let config = PolicyConfig::default();
        let canonical = config.canonical();
        assert_eq!(PolicyConfig::from_canonical(&canonical), Ok(config.clone()));
        // Every field is present, the unset pattern included, keys sorted.
        assert_eq!(canonical["names"]["name_pattern"], Value::Null);
        assert_eq!(canonical["names"]["max_groups"], 20);
        let text = serde_json::to_string(&canonical).expect("json");
        assert!(text.starts_with("{\"default_profile\":\"human\",\"keys\":{\"ecdsa\":true"));
        // Layout and comments of the file do not change the digest.
        let reformatted = "default_profile='human'\n".to_owned()
            + &DEFAULT_POLICY_TOML.replace("default_profile = \"human\"\n", "");
        let same = PolicyConfig::from_toml(&reformatted).expect("same policy");
        assert_eq!(same.digest(), config.digest());
        assert_eq!(config.digest().len(), 64);
        assert!(
            config
                .digest()
                .chars()
                .all(|character| matches!(character, '0'..='9' | 'a'..='f'))
        );
        assert_eq!(config.digest(), crate::hex::sha256(text.as_bytes()));
    }

    #[test]
    fn from_canonical_applies_the_same_checks() {
        let mut canonical = PolicyConfig::default().canonical();
        canonical["profiles"]["human"]["max_days"] = Value::from(3_000_000);
        assert_eq!(
            PolicyConfig::from_canonical(&canonical),
            Err(
                "'profiles.human.max_days' = 3000000 is out of range: allowed 1 to 3650".to_owned()
            )
        );
        let mut canonical = PolicyConfig::default().canonical();
        canonical["extra"] = Value::from(1);
        assert!(
            PolicyConfig::from_canonical(&canonical)
                .expect_err("unknown field")
                .starts_with("the recorded policy does not parse")
        );
        assert!(PolicyConfig::from_canonical(&Value::Null).is_err());
    }

    #[test]
    fn differences_read_as_changes() {
        let old = PolicyConfig::default();
        assert!(old.differences(&old).is_empty());
        let mut new = old.clone();
        new.names
            .forbidden_groups
            .retain(|group| group != FLOOR_GROUP);
        new.names.forbidden_users.push("mallory".to_owned());
        new.profiles.get_mut("human").expect("human").max_days = 365;
        new.profiles
            .insert("contractor".to_owned(), Profile { max_days: 30 });
        new.names.name_pattern = Some("^[a-z/]+$".to_owned());
        new.default_profile = "automation".to_owned();
        new.rules.push(ProfileRule {
            group: None,
            user: Some("ci-*".to_owned()),
            profile: "automation".to_owned(),
        });
        assert_eq!(
            old.differences(&new),
            vec![
                "default_profile: 'human' -> 'automation'".to_owned(),
                "names.forbidden_groups: 'system:masters' removed".to_owned(),
                "names.forbidden_users: 'mallory' added".to_owned(),
                "names.name_pattern: unset -> '^[a-z/]+$'".to_owned(),
                "profiles.human.max_days: 90 -> 365".to_owned(),
                "profiles.contractor: added ({\"max_days\":30})".to_owned(),
                "rules[1]: added ({\"group\":null,\"profile\":\"automation\",\"user\":\"ci-*\"})"
                    .to_owned(),
            ]
        );
        assert_ne!(old.digest(), new.digest());
        // A reordered list changes the digest, so it is reported too.
        let mut reordered = old.clone();
        reordered.names.forbidden_users.reverse();
        assert_eq!(
            old.differences(&reordered),
            vec!["names.forbidden_users: reordered".to_owned()]
        );
        // Strings from the file are made inert.
        let mut hostile = old.clone();
        hostile.default_profile = "a\u{1b}[2J".to_owned();
        let lines = old.differences(&hostile);
        assert!(
            lines.iter().all(|line| !line.contains('\u{1b}')),
            "{lines:?}"
        );
    }
}
