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

/// The protected attribute of a credit sample: group B's bureau scores `gap` points lower;
/// with `proxy`, a column `postcode` that follows the group (a planted proxy of it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grouping {
    pub gap: f64,
    pub proxy: bool,
}

/// The postcode band of a row of `group`: group B lives mostly in P1 and P2.
fn postcode(side: &mut Rng, group: Option<&str>) -> &'static str {
    if group == Some("B") {
        side.pick(&[("P1", 0.55), ("P2", 0.25), ("P3", 0.1), ("P4", 0.1)])
    } else {
        side.pick(&[("P1", 0.1), ("P2", 0.15), ("P3", 0.35), ("P4", 0.4)])
    }
}

/// Writes the credit sample, or with `wide` 20 numeric features f00..f19. With
/// `protected` the credit sample has a column `group` (A 70%, B 30%) whose group B
/// has bureau scores that many points lower (and, with its proxy, a last column `postcode`). `label_noise` is the share of rows whose
/// `bad` is redrawn at random (at the development bad rate), which weakens every feature's
/// relation to the outcome.
pub(crate) fn write_sample(
    out: &Path,
    rows: u64,
    shift: f64,
    seed: u64,
    wide: bool,
    protected: Option<Grouping>,
    label_noise: f64,
) -> Result<()> {
    let protected_gap = protected.map(|g| g.gap);
    let proxy = protected.is_some_and(|g| g.proxy);
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
        let group = match (protected_gap.is_some(), proxy) {
            (true, true) => ",group,postcode",
            (true, false) => ",group",
            _ => "",
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
        // Drawn last from the side stream: the other columns are as without the proxy.
        let band = proxy.then(|| postcode(&mut side, app.group));
        if jsonl {
            let mut obj = app.to_json();
            if let Some(b) = band {
                obj["postcode"] = serde_json::json!(b);
            }
            writeln!(w, "{obj}")?;
        } else {
            let mut fields = app.csv_fields();
            fields.extend(band.map(String::from));
            writeln!(w, "{}", fields.join(","))?;
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
    /// With --protected-gap: add a column `postcode` (P1-P4) that follows the group, a
    /// planted proxy of the protected attribute (for `psimon frontier`).
    #[arg(long, requires = "protected_gap")]
    proxy: bool,
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
            self.protected_gap.map(|gap| Grouping {
                gap,
                proxy: self.proxy,
            }),
            self.label_noise,
        )
    }
}
