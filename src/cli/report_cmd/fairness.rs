//! `psimon report --fairness`: which cells the fairness check reads, and its figures as a
//! table and as JSON (the statistics are `crate::fairness`).

use anyhow::{Result, anyhow, bail};
use serde_json::{Value, json};

use super::super::fmt::{TableStyle, estimate_cells, num, pval, table_as};
use super::document::heading;
use crate::binning::{Binner, ModelBaseline};
use crate::data::reader::Row;
use crate::fairness::words::{group_error, j_json};
use crate::fairness::{FairnessCounter, GroupReport};

/// `--fairness COLUMN --reference VALUE [--groups a,b] [--fairness-feature F]`.
pub(crate) struct FairnessArgs {
    pub column: String,
    pub reference: String,
    pub groups: Option<Vec<String>>,
    pub feature: Option<String>,
    pub tau: f64,
}

/// Where the fairness check reads its two cells, and what it counts.
pub(super) struct FairnessPlan {
    feature: String,
    feature_column: usize,
    group_column: usize,
    counter: FairnessCounter,
}

impl FairnessPlan {
    /// Counts one row; on text in the (numeric) feature, the column that holds it.
    pub(super) fn add(&mut self, row: &Row<'_>) -> Result<(), usize> {
        let group = row.cell(self.group_column).as_level();
        self.counter
            .add(group.as_deref(), row.cell(self.feature_column))
            .map_err(|_| self.feature_column)
    }
}

pub(super) fn fairness_plan(
    f: &FairnessArgs,
    full: &ModelBaseline,
    columns: &mut Vec<String>,
) -> Result<FairnessPlan> {
    if !(f.tau.is_finite() && f.tau >= 0.0) {
        bail!(
            "--fairness-tau must be finite and non-negative, got {}",
            f.tau
        );
    }
    let feature = f.feature.clone().unwrap_or_else(|| "score".to_string());
    let Some(fb) = full.features.iter().find(|x| x.name == feature) else {
        bail!(
            "--fairness-feature {feature}: the baseline's model \"{}\" has no such feature (it has: {}){}",
            full.name,
            full.features
                .iter()
                .map(|x| x.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if f.feature.is_none() {
                "; name one with --fairness-feature"
            } else {
                ""
            }
        );
    };
    let mut index_of = |name: &str| match columns.iter().position(|c| c == name) {
        Some(i) => i,
        None => {
            columns.push(name.to_string());
            columns.len() - 1
        }
    };
    let feature_column = index_of(&feature);
    let group_column = index_of(&f.column);
    Ok(FairnessPlan {
        feature,
        feature_column,
        group_column,
        counter: FairnessCounter::new(Binner::new(fb.bins.clone())),
    })
}

/// The fairness figures of one report.
pub(super) struct Fairness<'a> {
    args: &'a FairnessArgs,
    feature: String,
    missing_group: u64,
    reference_rows: u64,
    groups: Vec<GroupReport>,
}

pub(super) fn fairness_result<'a>(
    fp: FairnessPlan,
    fa: &'a FairnessArgs,
    alpha: f64,
) -> Result<Fairness<'a>> {
    let groups = fp
        .counter
        .finish(&fa.reference, fa.groups.as_deref(), fa.tau, alpha)
        .ok_or_else(|| {
            anyhow!(
                "--reference {}: no row of the sample has {} = {} (values seen: {})",
                fa.reference,
                fa.column,
                fa.reference,
                fp.counter
                    .groups()
                    .iter()
                    .map(|(g, n)| format!("{g} ({n} rows)"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    Ok(Fairness {
        args: fa,
        feature: fp.feature,
        missing_group: fp.counter.missing_group,
        reference_rows: fp
            .counter
            .groups()
            .iter()
            .find(|(g, _)| *g == fa.reference)
            .map_or(0, |(_, n)| *n),
        groups,
    })
}

pub(super) fn fairness_json(f: &Fairness<'_>) -> Value {
    json!({
        "column": f.args.column,
        "reference": f.args.reference,
        "feature": f.feature,
        "tau": f.args.tau,
        "rows_missing_group": f.missing_group,
        "reference_rows": f.reference_rows,
        "groups": f.groups.iter().map(|g| {
            let mut v = json!({
                "group": g.group,
                "rows": g.rows,
                "reference_rows": g.reference_rows,
                "below_tau": g.below_tau,
                "above_tau": g.above_tau,
            });
            match &g.stats {
                Ok(s) => v["j"] = j_json(s),
                Err(e) => v["error"] = json!(group_error(e, &g.group, &f.args.reference)),
            }
            v
        }).collect::<Vec<_>>(),
    })
}

pub(super) fn render_fairness(f: &Fairness<'_>, style: TableStyle) -> String {
    let mut out = heading(
        style,
        &format!(
            "fairness of {} across {} (reference {}, tau {})",
            f.feature,
            f.args.column,
            f.args.reference,
            num(f.args.tau)
        ),
    );
    let rows: Vec<Vec<String>> = f
        .groups
        .iter()
        .map(|g| {
            let mut row = vec![g.group.clone(), g.rows.to_string()];
            match &g.stats {
                Ok(s) => {
                    let t = s.tolerance.as_ref();
                    row.extend(estimate_cells(&s.inference));
                    row.extend([
                        t.map_or(String::new(), |t| pval(t.below_tau_pvalue_ncx2)),
                        if g.below_tau {
                            "below tau".into()
                        } else if g.above_tau {
                            "ABOVE tau".into()
                        } else {
                            "not shown either way".into()
                        },
                    ]);
                }
                Err(e) => row.push(group_error(e, &g.group, &f.args.reference)),
            }
            row
        })
        .collect();
    out.push_str(&table_as(
        style,
        &[
            "group",
            "rows",
            "J",
            "± SE",
            "CI (ncx2)",
            "chi2 p",
            "p(J >= tau)",
            "verdict",
        ],
        &rows,
    ));
    out.push_str(&format!(
        "J: divergence of {}'s bins in the group from the reference group ({} rows), the IV of the protected attribute. below tau: H0 J >= tau rejected at alpha (p(J >= tau) < alpha); ABOVE tau: H0 J <= tau rejected.{}\n",
        f.feature,
        f.reference_rows,
        if f.missing_group > 0 {
            format!(" {} rows had no {} and are in no group.", f.missing_group, f.args.column)
        } else {
            String::new()
        }
    ));
    out
}
