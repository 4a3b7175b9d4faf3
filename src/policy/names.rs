//! Name rules: the user (CN) and groups (O values) a certificate may carry.
//!
//! Forbidden names are compared as a person reads them, not byte for byte: after
//! trimming, case folding and Unicode confusable skeletons (UTS #39, from the
//! `unicode-security` crate), so `SYSTEM:Masters `, `ѕystem:masters` (Cyrillic `ѕ`) and
//! `system:rnasters` all meet `system:masters`. A false alarm costs the requester a
//! rename; a miss costs the cluster. `system:masters` is refused whatever the policy
//! says ([`FLOOR_GROUP`]). Every reason shows names through [`crate::text::name`].

use unicode_security::confusable_detection::skeleton;

use super::config::{FLOOR_GROUP, NameRules, matches_pattern};

/// How a name meets a forbidden pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Likeness {
    /// Looks alike only once confusable characters are mapped.
    Confusable,
    /// Equal once surrounding spaces are trimmed and case is folded.
    CaseOrSpace,
    /// Matches byte for byte.
    Exact,
}

/// Which list a forbidden pattern comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listed {
    User,
    Group,
}

impl Listed {
    fn noun(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Group => "group",
        }
    }
}

/// The comparison form of a name: trimmed, lower-cased, mapped to its confusable
/// skeleton, lower-cased and mapped again, so that case and look-alike mappings meet
/// whichever way round they go (`I` and `l` share the skeleton `l`, but not a lower
/// case). Not for display: a skeleton mixes scripts.
pub fn comparison_form(name: &str) -> String {
    let first: String = skeleton(name.trim()).collect();
    let lowered = first.to_lowercase();
    let second: String = skeleton(&lowered).collect();
    second.to_lowercase()
}

/// How closely `value` meets `pattern`. `value_form` is `value`'s comparison form,
/// computed at most once per value (skeletons are the cost of a review).
fn likeness(
    pattern: &str,
    value: &str,
    value_form: &std::cell::OnceCell<String>,
) -> Option<Likeness> {
    if matches_pattern(pattern, value) {
        return Some(Likeness::Exact);
    }
    if matches_pattern(&pattern.to_lowercase(), &value.trim().to_lowercase()) {
        return Some(Likeness::CaseOrSpace);
    }
    let (stem, prefix) = match pattern.strip_suffix('*') {
        Some(stem) => (stem, true),
        None => (pattern, false),
    };
    let stem = comparison_form(stem);
    if stem.is_empty() {
        return None;
    }
    let value = value_form.get_or_init(|| comparison_form(value));
    let meets = if prefix {
        value.starts_with(&stem)
    } else {
        *value == stem
    };
    meets.then_some(Likeness::Confusable)
}

/// Why a well-known forbidden pattern is forbidden, in words an officer understands.
fn explanation(pattern: &str, listed: Listed) -> String {
    let text = match pattern {
        FLOOR_GROUP => {
            "group 'system:masters' bypasses RBAC entirely and RBAC cannot take it back: airlock never signs it, whatever airlock.toml says"
        }
        "system:nodes" => "group 'system:nodes' carries every kubelet's rights",
        "system:serviceaccounts" | "system:serviceaccounts:*" => {
            "groups 'system:serviceaccounts*' carry the RBAC rights granted to service accounts"
        }
        "system:bootstrappers" | "system:bootstrappers:*" => {
            "groups 'system:bootstrappers*' are bootstrap tokens: the auto-approved path to node credentials"
        }
        "kubeadm:cluster-admins" => {
            "group 'kubeadm:cluster-admins' is bound to cluster-admin on kubeadm clusters"
        }
        "system:anonymous" => "user 'system:anonymous' is the identity of unauthenticated requests",
        "system:kube-*" => {
            "user names 'system:kube-*' belong to control-plane components (kube-controller-manager, kube-scheduler, kube-proxy)"
        }
        "system:node:*" => {
            "user names 'system:node:*' are kubelets: the Node authorizer grants them a node's rights"
        }
        "system:serviceaccount:*" => {
            "user names 'system:serviceaccount:*' are service accounts: a certificate for one carries that account's RBAC rights"
        }
        "system:apiserver" => "user 'system:apiserver' is kube-apiserver's own identity",
        "kube-apiserver" | "kube-apiserver-*" => {
            "user names 'kube-apiserver*' are the control plane's own client certificates"
        }
        other => {
            return format!(
                "'{}' is in the policy's forbidden {}s",
                crate::text::name(other),
                listed.noun()
            );
        }
    };
    text.to_owned()
}

/// The characters outside ASCII in `value`, as `U+XXXX`: what makes a look-alike.
fn unusual_characters(value: &str) -> String {
    let mut seen: Vec<char> = Vec::new();
    for character in value.chars() {
        if !character.is_ascii() && !seen.contains(&character) {
            seen.push(character);
        }
    }
    seen.iter()
        .take(8)
        .map(|character| format!("U+{:04X}", u32::from(*character)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Finds the forbidden pattern `value` meets most closely, from `lists`, and describes
/// it. `what` names the value (`user`, `group`).
fn forbidden_reason(what: &str, value: &str, lists: &[(Listed, &[String])]) -> Option<String> {
    let floor = [FLOOR_GROUP.to_owned()];
    let mut best: Option<(Likeness, Listed, &str)> = None;
    let with_floor = lists.iter().copied().chain(
        lists
            .iter()
            .any(|(listed, _)| *listed == Listed::Group)
            .then_some((Listed::Group, floor.as_slice())),
    );
    let value_form = std::cell::OnceCell::new();
    for (listed, patterns) in with_floor {
        for pattern in patterns {
            if let Some(found) = likeness(pattern, value, &value_form)
                && best.is_none_or(|(strongest, _, _)| found > strongest)
            {
                best = Some((found, listed, pattern.as_str()));
            }
        }
    }
    let (found, listed, pattern) = best?;
    let shown = crate::text::name(value);
    let why = explanation(pattern, listed);
    let noun = listed.noun();
    let pattern_shown = crate::text::name(pattern);
    Some(match found {
        Likeness::Exact if noun == what => format!("{what} '{shown}' is forbidden: {why}"),
        Likeness::Exact => {
            format!("{what} '{shown}' is the forbidden {noun} '{pattern_shown}': {why}")
        }
        Likeness::CaseOrSpace => format!(
            "{what} '{shown}' looks like the forbidden {noun} '{pattern_shown}' (it differs only in case or surrounding spaces): {why}"
        ),
        Likeness::Confusable => {
            let unusual = unusual_characters(value);
            let detail = if unusual.is_empty() {
                "confusable characters".to_owned()
            } else {
                format!("confusable characters: {unusual}")
            };
            format!(
                "{what} '{shown}' looks like the forbidden {noun} '{pattern_shown}' ({detail}): {why}"
            )
        }
    })
}

/// CN or O value basics: non-empty, bounded, no control or invisible characters.
fn check_name(what: &str, value: &str, max_chars: usize, reasons: &mut Vec<String>) {
    let shown = crate::text::name(value);
    if value.trim().is_empty() {
        reasons.push(format!("{what} is empty"));
        return;
    }
    let length = value.chars().count();
    if length > max_chars {
        reasons.push(format!(
            "{what} '{shown}' is {length} characters, over the limit of {max_chars}"
        ));
    }
    if value.chars().any(char::is_control) {
        reasons.push(format!("{what} '{shown}' contains control characters"));
    }
    if value.chars().any(crate::text::is_invisible_format) {
        reasons.push(format!(
            "{what} '{shown}' contains invisible or bidirectional formatting characters that can disguise it"
        ));
    }
}

/// User names other tools would take for a path or an option.
fn check_user_shape(user: &str, names: &NameRules, reasons: &mut Vec<String>) {
    let mut found: Vec<&str> = Vec::new();
    if user.contains('/') {
        found.push("'/'");
    }
    if user.contains('\\') {
        found.push("'\\'");
    }
    if user
        .split(['/', '\\', ':'])
        .any(|segment| segment.trim() == "..")
    {
        found.push("a '..' segment");
    }
    if user.trim_start().starts_with('-') {
        found.push("a leading '-'");
    }
    if found.is_empty() || names.pattern_allows(user) {
        return;
    }
    reasons.push(format!(
        "user '{}' holds {}: other tools build file names and command lines from user names (names.name_pattern in airlock.toml can allow such names)",
        crate::text::name(user),
        found.join(" and ")
    ));
}

/// Checks a user name (CN): basics, shape, and the forbidden users and groups (a user
/// named like a forbidden group misleads whoever reads RBAC bindings).
pub(super) fn check_user(user: &str, names: &NameRules, reasons: &mut Vec<String>) {
    check_name("CN", user, names.max_chars, reasons);
    check_user_shape(user, names, reasons);
    if let Some(reason) = forbidden_reason(
        "user",
        user,
        &[
            (Listed::User, &names.forbidden_users),
            (Listed::Group, &names.forbidden_groups),
        ],
    ) {
        reasons.push(reason);
    }
}

// Past this many groups the request is refused for its count; checking each of the
// rest would only bury that reason.
const GROUPS_CHECKED_WHEN_OVER: usize = 64;

/// Checks the groups (O values): their number, then each one's basics and the
/// forbidden groups, the floor included.
pub(super) fn check_groups(groups: &[String], names: &NameRules, reasons: &mut Vec<String>) {
    let mut checked = groups;
    if groups.len() > names.max_groups {
        reasons.push(format!(
            "{} groups (O values) requested: the policy allows at most {}; each group is a grant of RBAC rights",
            groups.len(),
            names.max_groups
        ));
        checked = &groups[..groups.len().min(GROUPS_CHECKED_WHEN_OVER)];
    }
    for group in checked {
        check_name("group (O)", group, names.max_chars, reasons);
        if let Some(reason) =
            forbidden_reason("group", group, &[(Listed::Group, &names.forbidden_groups)])
        {
            reasons.push(reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyConfig;

    fn user_reasons(user: &str) -> Vec<String> {
        let mut reasons = Vec::new();
        check_user(user, &PolicyConfig::default().names, &mut reasons);
        reasons
    }

    fn group_reasons(groups: &[&str], names: &NameRules) -> Vec<String> {
        let groups: Vec<String> = groups.iter().map(|group| (*group).to_owned()).collect();
        let mut reasons = Vec::new();
        check_groups(&groups, names, &mut reasons);
        reasons
    }

    #[test]
    fn ordinary_names_pass() {
        for user in [
            "alice",
            "alice@example.org",
            "ci:deploy",
            "system:kube",
            "kube-admin",
            "jörg",
            "a.b",
        ] {
            assert_eq!(user_reasons(user), Vec::<String>::new(), "{user}");
        }
        let names = PolicyConfig::default().names;
        assert!(group_reasons(&["dev", "ops", "system:authenticated"], &names).is_empty());
    }

    #[test]
    fn impersonation_identities_are_refused_with_the_reason() {
        assert_eq!(
            user_reasons("system:serviceaccount:kube-system:default"),
            vec![
                "user 'system:serviceaccount:kube-system:default' is forbidden: user names 'system:serviceaccount:*' are service accounts: a certificate for one carries that account's RBAC rights"
                    .to_owned()
            ]
        );
        for user in [
            "system:anonymous",
            "system:kube-controller-manager",
            "system:kube-scheduler",
            "system:kube-proxy",
            "system:node:worker-1",
            "system:apiserver",
            "kube-apiserver",
            "kube-apiserver-kubelet-client",
            "kube-apiserver-etcd-client",
        ] {
            let reasons = user_reasons(user);
            assert_eq!(reasons.len(), 1, "{user}: {reasons:?}");
            assert!(reasons[0].starts_with(&format!("user '{user}' is forbidden: ")));
        }
        let names = PolicyConfig::default().names;
        for group in [
            "system:masters",
            "system:nodes",
            "system:serviceaccounts",
            "system:serviceaccounts:kube-system",
            "system:bootstrappers",
            "system:bootstrappers:kubeadm:default-node-token",
            "kubeadm:cluster-admins",
        ] {
            let reasons = group_reasons(&["dev", group], &names);
            assert_eq!(reasons.len(), 1, "{group}: {reasons:?}");
            assert!(reasons[0].starts_with(&format!("group '{group}' is forbidden: ")));
        }
        assert!(
            group_reasons(&["kubeadm:cluster-admins"], &names)[0]
                .ends_with("is bound to cluster-admin on kubeadm clusters")
        );
    }

    #[test]
    fn look_alikes_are_refused() {
        // Cyrillic 'ѕ' (U+0455) for the Latin 's'.
        assert_eq!(
            user_reasons("\u{455}ystem:masters"),
            vec![
                "user 'ѕystem:masters' looks like the forbidden group 'system:masters' (confusable characters: U+0455): group 'system:masters' bypasses RBAC entirely and RBAC cannot take it back: airlock never signs it, whatever airlock.toml says"
                    .to_owned()
            ]
        );
        // Cyrillic 'а' (U+0430) and 'о' (U+043E) in a forbidden prefix.
        let reasons = user_reasons("system:\u{430}non\u{443}m\u{43e}us");
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(reasons[0].contains("looks like the forbidden user 'system:anonymous' (confusable characters: U+0430 U+0443 U+043E)"));
        let reasons = user_reasons("system:n\u{43e}de:worker-1");
        assert!(
            reasons[0].contains("forbidden user 'system:node:*'"),
            "{reasons:?}"
        );
        // Case and surrounding spaces.
        for user in ["System:Anonymous", "system:anonymous ", " SYSTEM:ANONYMOUS"] {
            let reasons = user_reasons(user);
            assert_eq!(reasons.len(), 1, "{user}: {reasons:?}");
            assert!(
                reasons[0].contains(
                    "looks like the forbidden user 'system:anonymous' (it differs only in case or surrounding spaces)"
                ),
                "{reasons:?}"
            );
        }
        // 'rn' reads as 'm'; a capital 'I' reads as 'l'.
        let names = PolicyConfig::default().names;
        assert!(group_reasons(&["system:rnasters"], &names)[0].contains("(confusable characters)"));
        let reasons = user_reasons("kube-apiserver-kubeIet-client");
        assert!(reasons[0].starts_with("user 'kube-apiserver-kubeIet-client' is forbidden"));
        let reasons = group_reasons(&["Kubeadm:CIuster-Admins"], &names);
        assert!(
            reasons[0].contains("looks like the forbidden group 'kubeadm:cluster-admins'"),
            "{reasons:?}"
        );
        // A soft hyphen is invisible; the skeleton drops it.
        let reasons = group_reasons(&["system:mas\u{ad}ters"], &names);
        assert!(
            reasons[0].contains("forbidden group 'system:masters'"),
            "{reasons:?}"
        );
    }

    #[test]
    fn the_floor_holds_whatever_the_policy_says() {
        let mut names = PolicyConfig::default().names;
        names.forbidden_groups.clear();
        names.forbidden_users.clear();
        let reasons = group_reasons(&["system:masters"], &names);
        assert_eq!(reasons.len(), 1);
        assert!(reasons[0].contains("whatever airlock.toml says"));
        assert_eq!(group_reasons(&["\u{455}ystem:masters "], &names).len(), 1);
        assert!(group_reasons(&["system:nodes"], &names).is_empty());
        let mut reasons = Vec::new();
        check_user("system:masters", &names, &mut reasons);
        assert_eq!(reasons.len(), 1, "{reasons:?}");
    }

    #[test]
    fn group_count_is_bounded() {
        let names = PolicyConfig::default().names;
        let twenty: Vec<String> = (0..20).map(|index| format!("g{index}")).collect();
        let refs: Vec<&str> = twenty.iter().map(String::as_str).collect();
        assert!(group_reasons(&refs, &names).is_empty());
        let many: Vec<String> = (0..5000).map(|index| format!("g{index}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            group_reasons(&refs, &names),
            vec![
                "5000 groups (O values) requested: the policy allows at most 20; each group is a grant of RBAC rights"
                    .to_owned()
            ]
        );
    }

    #[test]
    fn path_and_option_shaped_users_are_refused_unless_widened() {
        for (user, found) in [
            ("a/b", "'/'"),
            ("a\\b", "'\\'"),
            ("..", "a '..' segment"),
            ("x:..:y", "a '..' segment"),
            ("-rf", "a leading '-'"),
            ("../etc/passwd", "'/' and a '..' segment"),
        ] {
            let reasons = user_reasons(user);
            assert_eq!(reasons.len(), 1, "{user}: {reasons:?}");
            assert!(
                reasons[0].contains(&format!("holds {found}: other tools build file names")),
                "{user}: {reasons:?}"
            );
        }
        assert!(user_reasons("a..b").is_empty());
        assert!(user_reasons("a-b").is_empty());
        let mut names = PolicyConfig::default().names;
        names.name_pattern = Some("spiffe://example\\.org/[a-z/-]+".to_owned());
        let mut reasons = Vec::new();
        check_user("spiffe://example.org/ns/a/sa/b", &names, &mut reasons);
        assert!(reasons.is_empty(), "{reasons:?}");
        // The pattern matches the whole name only.
        check_user("x spiffe://example.org/a", &names, &mut reasons);
        assert_eq!(reasons.len(), 1);
    }

    #[test]
    fn comparison_form_meets_look_alikes() {
        assert_eq!(
            comparison_form(" SYSTEM:Masters "),
            comparison_form("system:masters")
        );
        assert_eq!(
            comparison_form("\u{405}ystem:masters"),
            comparison_form("system:masters")
        );
        assert_ne!(
            comparison_form("system:master"),
            comparison_form("system:masters")
        );
    }
}
