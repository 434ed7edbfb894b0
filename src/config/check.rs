//! Loading a configuration (`check`, `load`): parse the TOML, apply the environment
//! overrides, collect the parse problems (repairing as it goes) and then the value
//! problems, show each value as written and name the variable behind an override. The
//! checks themselves are `validate`'s; the baseline files' are the caller's to `add`.

use thiserror::Error;

use super::env;
use super::parse;
use super::problem::{self, mentions, within};
use super::types::Config;
use super::validate::problems;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("the config is not valid TOML:\n  {0}")]
    Parse(String),
    #[error("the config has {} problem(s):\n  {}", .0.len(), .0.join("\n  "))]
    Invalid(Vec<String>),
}

/// A config read as far as its problems allow, with all of them.
pub struct Checked {
    /// The config, where the parse problems could be repaired (stand-ins included: use it
    /// only to find more problems unless `problems` is empty).
    pub config: Option<Config>,
    problems: Vec<String>,
    repaired: Vec<String>,
    /// Paths set by `PSIMON_*` variables, and the variable of each.
    overrides: Vec<(String, String)>,
}

impl Checked {
    /// Adds problems found later (the baseline files'), in the `path...: why` form, except
    /// those about values the parse repaired.
    pub fn add(&mut self, more: impl IntoIterator<Item = String>) {
        for p in more {
            // A problem of a repaired value, or one checked against a stand-in, is noise.
            if !self
                .repaired
                .iter()
                .any(|r| within(&p, r) || mentions(&p, r))
            {
                let p = self.named(p);
                self.problems.push(p);
            }
        }
    }

    /// Names the environment variable behind a problem's value.
    fn named(&self, problem: String) -> String {
        match self
            .overrides
            .iter()
            // A key with dots is quoted in a problem (`kafka.properties."sasl.password"`).
            .find(|(path, _)| within(&problem, path) || within(&problem.replacen('"', "", 2), path))
        {
            Some((_, var)) => format!("{problem} (set by the environment variable {var})"),
            None => problem,
        }
    }

    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// The config, if it has no problem at all.
    pub fn into_result(self) -> Result<Config, ConfigError> {
        match self.config {
            Some(c) if self.problems.is_empty() => Ok(c),
            _ => Err(ConfigError::Invalid(self.problems)),
        }
    }
}

/// Parses `text`, applies the `PSIMON_*` overrides of `env`, and finds every problem that
/// needs no file: parse problems (unknown keys, wrong types, bad durations) and value
/// problems together. Only TOML that does not parse at all stops it.
pub fn check(text: &str, env_vars: &[(String, String)]) -> Result<Checked, ConfigError> {
    let mut doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::Parse(e.to_string().trim().to_string()))?;
    let overrides = env::apply(&mut doc, env_vars)
        .map_err(|e| ConfigError::Parse(format!("environment override {e}")))?;
    let doc = toml::Value::Table(doc);
    let parsed = parse::parse(&doc);
    let mut checked = Checked {
        config: None,
        problems: Vec::new(),
        repaired: parsed.repaired,
        overrides,
    };
    let parse_problems: Vec<String> = parsed.problems.iter().map(|p| p.to_string()).collect();
    for p in parse_problems {
        let p = checked.named(p);
        checked.problems.push(p);
    }
    if let Some(config) = &parsed.config {
        let values = problems(config).into_iter().map(|mut p| {
            // Show what was written ("1d"), not what was read (86400s).
            // (Scalars only: a problem with a list names the element at fault.)
            if let Some(v) = problem::get(&doc, &p.path)
                && !v.is_array()
                && !v.is_table()
            {
                p.value = Some(problem::written(v));
            }
            p.to_string()
        });
        checked.add(values.collect::<Vec<_>>());
    }
    checked.config = parsed.config;
    Ok(checked)
}

/// Parses, overrides and validates: the config if it has no problem.
pub fn load(text: &str, env_vars: &[(String, String)]) -> Result<Config, ConfigError> {
    check(text, env_vars)?.into_result()
}
