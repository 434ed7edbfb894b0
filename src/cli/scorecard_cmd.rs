//! `psimon scorecard`: a logistic regression on the baseline's scorecard bins, encoded as
//! WoE and, for comparison, as one-hot bins, scaled to points; the scorecard (points per
//! bin) and the scored sample as CSV; AUC and Gini on the training and holdout rows with
//! DeLong intervals, both encodings side by side, and DeLong's paired test between them.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use super::Format;
use super::binned_read::{DevSample, Read};
use super::fmt::{emit, num, pval, table};
use crate::data::sample::split_holdout;
use crate::scorecard::assess::{AucDifference, auc_difference};
use crate::scorecard::{Encoding, Scaling, Scorecard, assess, build};
use crate::stats::{DEFAULT_ALPHA, Discrimination};

/// The arguments of `psimon scorecard`.
#[derive(clap::Args)]
pub(crate) struct ScorecardCli {
    #[command(flatten)]
    sample: DevSample,
    /// Share of rows held out (stratified by the target) for the figures; 0 fits on all.
    #[arg(long, default_value_t = 0.3)]
    holdout: f64,
    /// Seed of the holdout split.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The encoding whose scorecard is written.
    #[arg(long, value_enum, default_value = "woe")]
    encoding: Encoding,
    /// Score at the base odds.
    #[arg(long, default_value_t = 600.0)]
    base_score: f64,
    /// Good:bad odds at the base score.
    #[arg(long, default_value_t = 50.0)]
    base_odds: f64,
    /// Points to double the odds.
    #[arg(long, default_value_t = 20.0)]
    pdo: f64,
    /// Ridge penalty on the coefficients (not the intercept): keeps bins that are empty or
    /// pure in the training rows finite.
    #[arg(long, default_value_t = 0.001)]
    ridge: f64,
    /// Significance level of the intervals.
    #[arg(long, default_value_t = DEFAULT_ALPHA)]
    alpha: f64,
    /// Write the scorecard here (CSV: feature, bin, label, counts, WoE, coefficient, points).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the scored sample here (CSV: line, split, bad, score, pd, points per feature).
    #[arg(long)]
    scored: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

/// One encoding's scorecard and its figures.
struct Fitted {
    card: Scorecard,
    train: Discrimination,
    holdout: Option<Discrimination>,
}

impl ScorecardCli {
    pub(super) fn run(self) -> Result<()> {
        self.check()?;
        let model = self.sample.model()?;
        let read = self.sample.read(&model, None)?;
        let s = &read.sample;
        let (train, hold) = if self.holdout > 0.0 {
            split_holdout(s.rows.len(), Some(&s.bad), self.holdout, self.seed)
        } else {
            ((0..s.rows.len()).collect(), Vec::new())
        };
        let woe = self.fit(&read, &train, &hold, Encoding::Woe)?;
        let onehot = self.fit(&read, &train, &hold, Encoding::OneHot)?;
        let difference = paired(&read, &hold, &woe.card, &onehot.card);
        let chosen = if self.encoding == Encoding::Woe {
            &woe
        } else {
            &onehot
        };
        if let Some(path) = &self.out {
            write_scorecard(path, &chosen.card)?;
        }
        if let Some(path) = &self.scored {
            write_scored(path, &read, &hold, &chosen.card)?;
        }
        let doc = self.to_json(
            &read,
            (train.len(), hold.len()),
            [&woe, &onehot],
            difference,
        );
        match self.format {
            Format::Json => emit(&(serde_json::to_string_pretty(&doc)? + "\n"))?,
            Format::Table => emit(&render(&doc, &chosen.card))?,
        }
        Ok(())
    }

    fn check(&self) -> Result<()> {
        let mut problems = Vec::new();
        if !(0.0..1.0).contains(&self.holdout) {
            problems.push(format!(
                "--holdout must lie in [0, 1), got {}",
                self.holdout
            ));
        }
        if !(self.pdo > 0.0 && self.pdo.is_finite()) {
            problems.push(format!("--pdo must be positive, got {}", self.pdo));
        }
        if !(self.base_odds > 0.0 && self.base_odds.is_finite()) {
            problems.push(format!(
                "--base-odds must be positive, got {}",
                self.base_odds
            ));
        }
        if !(self.ridge >= 0.0 && self.ridge.is_finite()) {
            problems.push(format!("--ridge must be 0 or more, got {}", self.ridge));
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            problems.push(format!("--alpha must lie in (0, 1), got {}", self.alpha));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            bail!("{}", problems.join("\n"))
        }
    }

    fn fit(&self, read: &Read, train: &[usize], hold: &[usize], e: Encoding) -> Result<Fitted> {
        let scaling = Scaling {
            base_score: self.base_score,
            base_odds: self.base_odds,
            pdo: self.pdo,
        };
        let card = build(&read.sample, train, e, self.ridge, scaling)
            .with_context(|| format!("fitting the {} encoding", e.as_str()))?;
        let figures = |rows: &[usize]| {
            let scores: Vec<(i64, bool)> = rows
                .iter()
                .map(|&r| (card.score(&read.sample.rows[r]), read.sample.bad[r]))
                .collect();
            assess(&scores, self.alpha)
        };
        let train_figures = figures(train).context("the training rows")?;
        let holdout = if hold.is_empty() {
            None
        } else {
            Some(figures(hold).context("the holdout rows")?)
        };
        Ok(Fitted {
            train: train_figures,
            holdout,
            card,
        })
    }

    fn to_json(
        &self,
        read: &Read,
        (train, hold): (usize, usize),
        fitted: [&Fitted; 2],
        difference: Option<AucDifference>,
    ) -> Value {
        let encodings: serde_json::Map<String, Value> = fitted
            .iter()
            .map(|f| {
                let v = json!({
                    "training": f.train,
                    "holdout": f.holdout,
                    "coefficients": f.card.fit.coefficients,
                    "standard_errors": f.card.fit.standard_errors,
                    "iterations": f.card.fit.iterations,
                    "deviance": f.card.fit.deviance,
                });
                (f.card.encoding.as_str().to_string(), v)
            })
            .collect();
        let chosen = fitted.iter().find(|f| f.card.encoding == self.encoding);
        json!({
            "psimon_version": env!("CARGO_PKG_VERSION"),
            "input": self.sample.input.display().to_string(),
            "rows": read.sample.rows.len(),
            "rows_without_target": read.unlabelled.len(),
            "training_rows": train,
            "holdout_rows": hold,
            "seed": self.seed,
            "ridge": self.ridge,
            "alpha": self.alpha,
            "scaling": chosen.map(|f| f.card.scaling),
            "features": read.sample.features,
            "encodings": encodings,
            "holdout_auc_woe_minus_onehot": difference,
            "encoding": self.encoding,
            "scorecard": chosen.map(|f| &f.card.bins),
        })
    }
}

/// DeLong's paired test of the two encodings' AUCs on the holdout rows.
fn paired(
    read: &Read,
    hold: &[usize],
    woe: &Scorecard,
    onehot: &Scorecard,
) -> Option<AucDifference> {
    let s = &read.sample;
    let scores: Vec<(i64, i64)> = hold
        .iter()
        .map(|&r| (woe.score(&s.rows[r]), onehot.score(&s.rows[r])))
        .collect();
    let bad: Vec<bool> = hold.iter().map(|&r| s.bad[r]).collect();
    auc_difference(&scores, &bad)
}

fn write_scorecard(path: &std::path::Path, card: &Scorecard) -> Result<()> {
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("writing {}", path.display()))?;
    w.write_record([
        "feature",
        "bin",
        "label",
        "training_goods",
        "training_bads",
        "woe",
        "coefficient",
        "coefficient_se",
        "points",
    ])?;
    for b in &card.bins {
        w.write_record([
            b.feature.clone(),
            b.bin.to_string(),
            b.label.clone(),
            b.training_goods.to_string(),
            b.training_bads.to_string(),
            b.woe.to_string(),
            b.coefficient.to_string(),
            b.coefficient_se.to_string(),
            b.points.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn write_scored(
    path: &std::path::Path,
    read: &Read,
    hold: &[usize],
    card: &Scorecard,
) -> Result<()> {
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("writing {}", path.display()))?;
    let mut header = vec![
        "line".to_string(),
        "split".into(),
        "bad".into(),
        "score".into(),
        "pd".into(),
    ];
    header.extend(read.sample.features.iter().map(|f| format!("points_{f}")));
    w.write_record(&header)?;
    let mut record = |line: u64, split: &str, bad: &str, bins: &[u16]| {
        let mut r = vec![line.to_string(), split.into(), bad.into()];
        r.push(card.score(bins).to_string());
        r.push(card.pd(bins).to_string());
        r.extend(card.points(bins).iter().map(i64::to_string));
        w.write_record(&r)
    };
    let mut held = hold.iter().peekable();
    for (r, bins) in read.sample.rows.iter().enumerate() {
        let split = if held.next_if_eq(&&r).is_some() {
            "holdout"
        } else {
            "training"
        };
        record(
            read.lines[r],
            split,
            if read.sample.bad[r] { "1" } else { "0" },
            bins,
        )?;
    }
    for (line, bins) in &read.unlabelled {
        record(*line, "unlabelled", "", bins)?;
    }
    w.flush()?;
    Ok(())
}

fn render(doc: &Value, card: &Scorecard) -> String {
    let mut out = format!(
        "scorecard of {} rows ({} training, {} holdout, seed {}; {} without a target, scored only)\n",
        doc["rows"],
        doc["training_rows"],
        doc["holdout_rows"],
        doc["seed"],
        doc["rows_without_target"]
    );
    let rows: Vec<Vec<String>> = ["woe", "onehot"]
        .iter()
        .flat_map(|e| {
            ["training", "holdout"].into_iter().filter_map(move |part| {
                let d = &doc["encodings"][e][part];
                let f = |k: &str| d[k].as_f64();
                Some(vec![
                    e.to_string(),
                    part.to_string(),
                    num(f("auc")?),
                    format!("[{}, {}]", num(f("auc_ci_lower")?), num(f("auc_ci_upper")?)),
                    num(f("gini")?),
                    format!(
                        "[{}, {}]",
                        num(f("gini_ci_lower")?),
                        num(f("gini_ci_upper")?)
                    ),
                    num(f("ks")?),
                ])
            })
        })
        .collect();
    out.push_str(&table(
        &[
            "encoding", "rows", "AUC", "interval", "Gini", "interval", "KS",
        ],
        &rows,
    ));
    if let Some(d) = doc["holdout_auc_woe_minus_onehot"].as_object() {
        let f = |k: &str| d[k].as_f64().unwrap_or(f64::NAN);
        out.push_str(&format!(
            "holdout AUC, WoE minus one-hot: {} ± {} (DeLong, paired), p = {}\n",
            num(f("difference")),
            num(f("se")),
            pval(f("p_value"))
        ));
    }
    out.push_str(&format!(
        "\n{} scorecard ({} points at odds {}:1, {} points to double the odds):\n",
        card.encoding.as_str(),
        card.scaling.base_score,
        card.scaling.base_odds,
        card.scaling.pdo
    ));
    let bins: Vec<Vec<String>> = card
        .bins
        .iter()
        .map(|b| {
            vec![
                b.feature.clone(),
                b.label.clone(),
                format!("{}", b.training_goods),
                format!("{}", b.training_bads),
                num(b.woe),
                num(b.coefficient),
                b.points.to_string(),
            ]
        })
        .collect();
    out.push_str(&table(
        &["feature", "bin", "goods", "bads", "WoE", "coef", "points"],
        &bins,
    ));
    out
}
