//! `psimon generate`: writes a synthetic application sample (CSV or JSON Lines) to try
//! `baseline` and `report` on.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::data::synth::{
    COLUMNS, DEVELOPMENT_BAD_RATE, Rng, application, application_grouped, wide_columns, wide_row,
};

pub(crate) fn run(out: &Path, rows: u64, shift: f64, seed: u64) -> Result<()> {
    write_sample(out, rows, shift, seed, false, None, 0.0)
}

/// Writes the credit sample, or with `wide` 20 numeric features f00..f19. With
/// `protected_gap` the credit sample has a last column `group` (A 70%, B 30%) whose group B
/// has bureau scores that many points lower. `label_noise` is the share of rows whose
/// `bad` is redrawn at random (at the development bad rate), which weakens every feature's
/// relation to the outcome.
pub(crate) fn write_sample(
    out: &Path,
    rows: u64,
    shift: f64,
    seed: u64,
    wide: bool,
    protected_gap: Option<f64>,
    label_noise: f64,
) -> Result<()> {
    if !(0.0..=1.0).contains(&label_noise) {
        bail!("--label-noise must lie in [0, 1], got {label_noise}");
    }
    if wide && label_noise > 0.0 {
        bail!("--label-noise applies to the credit sample, not to --wide");
    }
    if wide && protected_gap.is_some() {
        bail!("--protected-gap applies to the credit sample, not to --wide");
    }
    if let Some(g) = protected_gap
        && !(g.is_finite() && (0.0..=300.0).contains(&g))
    {
        bail!("--protected-gap must lie in [0, 300] score points, got {g}");
    }
    if !(0.0..=1.0).contains(&shift) {
        bail!("--shift must lie in [0, 1], got {shift}");
    }
    let jsonl = match out.extension().and_then(|e| e.to_str()) {
        Some("csv") => false,
        Some("jsonl") | Some("ndjson") => true,
        _ => bail!("{}: use a .csv or .jsonl file name", out.display()),
    };
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut w = BufWriter::new(file);
    let mut rng = Rng::new(seed);
    if wide {
        let names = wide_columns();
        if !jsonl {
            writeln!(w, "{}", names.join(","))?;
        }
        for _ in 0..rows {
            let row = wide_row(&mut rng, shift);
            if jsonl {
                let obj: serde_json::Map<String, serde_json::Value> = names
                    .iter()
                    .cloned()
                    .zip(row.iter().map(|v| serde_json::json!(v)))
                    .collect();
                writeln!(w, "{}", serde_json::Value::Object(obj))?;
            } else {
                let fields: Vec<String> = row
                    .iter()
                    .map(|v| v.map_or(String::new(), |x| x.to_string()))
                    .collect();
                writeln!(w, "{}", fields.join(","))?;
            }
        }
        w.flush()?;
        return Ok(());
    }
    if !jsonl {
        let group = if protected_gap.is_some() {
            ",group"
        } else {
            ""
        };
        writeln!(w, "{}{group}", COLUMNS.join(","))?;
    }
    let mut side = Rng::new(seed ^ 0x9e37_79b9_7f4a_7c15);
    for _ in 0..rows {
        let mut app = match protected_gap {
            Some(gap) => application_grouped(&mut rng, &mut side, shift, gap),
            None => application(&mut rng, shift),
        };
        if label_noise > 0.0 && side.uniform() < label_noise {
            app.bad = side.uniform() < DEVELOPMENT_BAD_RATE;
        }
        if jsonl {
            writeln!(w, "{}", app.to_json())?;
        } else {
            writeln!(w, "{}", app.csv_fields().join(","))?;
        }
    }
    w.flush()?;
    Ok(())
}

/// The arguments of `psimon generate`.
#[derive(clap::Args)]
pub(crate) struct GenerateCli {
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 10_000)]
    rows: u64,
    /// Population shift from 0 (development-like) to 1.
    #[arg(long, default_value_t = 0.0)]
    shift: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// 20 numeric features f00..f19 instead of the credit application.
    #[arg(long)]
    wide: bool,
    /// Add a protected attribute, column `group` (A 70%, B 30%), with group B's bureau
    /// scores this many points lower (0: no difference).
    #[arg(long)]
    protected_gap: Option<f64>,
    /// Share of rows whose outcome is redrawn at random: weakens every feature's
    /// relation to the outcome (an IV drop to detect).
    #[arg(long, default_value_t = 0.0)]
    label_noise: f64,
}

impl GenerateCli {
    pub(super) fn run(self) -> Result<()> {
        write_sample(
            &self.out,
            self.rows,
            self.shift,
            self.seed,
            self.wide,
            self.protected_gap,
            self.label_noise,
        )
    }
}
