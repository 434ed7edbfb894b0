//! The problems of the `[[fairness]]` checks: names usable in state keys and metric labels,
//! a configured model, a JSON pointer, distinct groups apart from the reference, a mapped
//! feature and a positive tau. Pure.

use super::types::Config;

/// Appends to `bad(path, value, why)` every problem of `c.fairness`.
pub(super) fn fairness_problems(
    c: &Config,
    bad: &mut dyn FnMut(&str, &dyn std::fmt::Display, &str),
) {
    let mut names = Vec::new();
    for (i, f) in c.fairness.iter().enumerate() {
        let at = |key: &str| format!("fairness[{i}].{key}");
        let quoted = |v: &str| format!("\"{v}\"");
        let label_ok = |v: &str| {
            !v.is_empty()
                && v.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "_-.".contains(ch))
        };
        if !label_ok(&f.name) {
            bad(
                &at("name"),
                &quoted(&f.name),
                "use letters, digits, '_', '-' or '.' (it is part of state keys and metric labels)",
            );
        } else if names.contains(&&f.name) {
            bad(
                &at("name"),
                &quoted(&f.name),
                "is the name of an earlier check",
            );
        }
        names.push(&f.name);
        match &f.model {
            Some(m) if !c.models.iter().any(|x| &x.name == m) => {
                bad(&at("model"), &quoted(m), "is not a configured model")
            }
            None if c.models.len() != 1 => bad(
                &at("model"),
                &"(none)",
                "name the model: more than one is configured",
            ),
            _ => {}
        }
        if !f.attribute.starts_with('/') {
            bad(
                &at("attribute"),
                &quoted(&f.attribute),
                "is not a JSON pointer (like \"/applicant/age_band\")",
            );
        }
        if f.reference.is_empty() {
            bad(
                &at("reference"),
                &"\"\"",
                "give the reference group's value",
            );
        }
        if f.groups.is_empty() {
            bad(&at("groups"), &"[]", "give at least one monitored group");
        }
        for (j, g) in f.groups.iter().enumerate() {
            let path = format!("fairness[{i}].groups[{j}]");
            if g.is_empty() {
                bad(&path, &"\"\"", "must not be empty");
            } else if g == &f.reference {
                bad(&path, &quoted(g), "is the reference group");
            } else if f.groups[..j].contains(g) {
                bad(&path, &quoted(g), "is listed twice");
            }
        }
        let mapped = if f.feature == super::SCORE_FEATURE {
            c.mapping.score.is_some() || c.mapping.features.contains_key(&f.feature)
        } else {
            c.mapping.features.contains_key(&f.feature)
        };
        if !mapped {
            bad(
                &at("feature"),
                &quoted(&f.feature),
                "is not mapped (mapping.score or mapping.features)",
            );
        }
        if !(f.tau > 0.0 && f.tau.is_finite()) {
            bad(&at("tau"), &f.tau, "must be positive");
        }
    }
}
