//! `psimon stats`: the calculator for people who already have bin counts.

use super::Format;
use std::path::Path;
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde_json::Value;

use super::fmt::{emit, num, pval, table};
use crate::stats::calc::{cases_of, evaluate_case_with};

pub(crate) fn run(input: &Path, table_format: bool, divergences: bool) -> Result<()> {
    let text =
        std::fs::read_to_string(input).with_context(|| format!("reading {}", input.display()))?;
    let doc: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", input.display()))?;
    let cases = cases_of(&doc).map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))?;
    if cases.is_empty() {
        anyhow::bail!("{}: no cases", input.display());
    }
    let results: Vec<Value> = cases
        .into_iter()
        .map(|c| evaluate_case_with(c, divergences))
        .collect();
    if table_format {
        for (i, r) in results.iter().enumerate() {
            emit(&render_case(i, r))?;
        }
    } else {
        emit(&(serde_json::to_string_pretty(&serde_json::json!({ "results": results }))? + "\n"))?;
    }
    Ok(())
}

fn render_case(i: usize, r: &Value) -> String {
    let name = r.get("id").map_or_else(
        || format!("case {}", i + 1),
        |id| match id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        },
    );
    let mut out = format!("== {name}\n");
    if let Some(e) = r.get("error") {
        out.push_str(&format!("error: {}\n\n", e.as_str().unwrap_or_default()));
        return out;
    }
    let labels: Option<Vec<String>> = r
        .get("labels")
        .and_then(|l| serde_json::from_value(l.clone()).ok());
    for (key, title, shares, ratio) in [
        ("psi", "PSI", ("p_current", "q_baseline"), "log_ratio"),
        ("iv", "IV", ("p_goods", "q_bads"), "woe"),
    ] {
        let Some(s) = r.get(key) else { continue };
        let f = |k: &str| s[k].as_f64().unwrap_or(f64::NAN);
        out.push_str(&format!(
            "{title} {} ± {}  CI [{}, {}]  ncx2 CI [{}, {}]\n",
            num(f(key)),
            num(f("se")),
            num(f("ci_lower")),
            num(f("ci_upper")),
            num(f("ci_ncx2_lower")),
            num(f("ci_ncx2_upper")),
        ));
        out.push_str(&format!(
            "  no-drift chi2 = {} on {} df, p = {}; noise floor {}; n_eff {}\n",
            num(f("chi2_stat")),
            s["chi2_df"],
            pval(f("chi2_pvalue")),
            num(f("null_mean")),
            num(f("n_eff")),
        ));
        if s.get("tau").is_some() {
            out.push_str(&format!(
                "  H0: {title} <= {}: p = {} (z), {} (ncx2)\n",
                num(f("tau")),
                pval(f("tau_pvalue")),
                pval(f("tau_pvalue_ncx2")),
            ));
        }
        let dropped: Vec<usize> =
            serde_json::from_value(s["dropped_bins"].clone()).unwrap_or_default();
        let arr =
            |k: &str| -> Vec<f64> { serde_json::from_value(s[k].clone()).unwrap_or_default() };
        let (p, q, w, d) = (arr(shares.0), arr(shares.1), arr(ratio), arr("contrib"));
        let woe_se = arr("woe_se");
        let n_bins = p.len() + dropped.len();
        let kept: Vec<usize> = (0..n_bins).filter(|b| !dropped.contains(b)).collect();
        let rows: Vec<Vec<String>> = kept
            .iter()
            .enumerate()
            .map(|(j, &b)| {
                let label = labels
                    .as_ref()
                    .and_then(|l| l.get(b).cloned())
                    .unwrap_or_else(|| format!("bin {b}"));
                let mut row = vec![label, num(p[j]), num(q[j]), num(w[j]), num(d[j])];
                if !woe_se.is_empty() {
                    row.push(num(woe_se[j]));
                }
                row
            })
            .collect();
        let header: Vec<&str> = if key == "psi" {
            vec!["bin", "current", "baseline", "ln ratio", "contrib"]
        } else {
            vec!["bin", "goods", "bads", "WoE", "contrib", "WoE SE"]
        };
        out.push_str(&table(&header, &rows));
        if !dropped.is_empty() {
            out.push_str(&format!("  dropped (empty in both): {dropped:?}\n"));
        }
    }
    if let Some(family) = r.get("divergences") {
        out.push_str(&render_family(family));
    }
    out.push('\n');
    out
}

/// The divergence family of each pair as one table: value, SE, interval, test.
fn render_family(family: &Value) -> String {
    let mut out = String::new();
    for (key, title) in [("psi", "current vs baseline"), ("iv", "goods vs bads")] {
        let Some(Value::Object(members)) = family.get(key) else {
            continue;
        };
        out.push_str(&format!("Divergences, {title} (p = first, q = second):\n"));
        let rows: Vec<Vec<String>> = members
            .iter()
            .map(|(name, s)| {
                let f = |k: &str| s[k].as_f64().unwrap_or(f64::NAN);
                vec![
                    name.clone(),
                    num(f("value")),
                    num(f("se")),
                    format!("[{}, {}]", num(f("ci_lower")), num(f("ci_upper"))),
                    num(f("chi2_stat")),
                    pval(f("chi2_pvalue")),
                ]
            })
            .collect();
        out.push_str(&table(
            &["measure", "value", "SE", "CI", "chi2", "p"],
            &rows,
        ));
    }
    out
}

/// The arguments of `psimon stats`.
#[derive(clap::Args)]
pub(crate) struct StatsCli {
    /// A case object, a list of cases, or {"cases": [...]}.
    #[arg(long)]
    input: PathBuf,
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// Add Jensen-Shannon, Hellinger, KL both ways and chi-square, each with its SE,
    /// interval and test, on the same bins (as a case's own "divergences": true does).
    #[arg(long)]
    divergences: bool,
}

impl StatsCli {
    pub(super) fn run(self) -> Result<()> {
        run(&self.input, self.format == Format::Table, self.divergences)
    }
}
