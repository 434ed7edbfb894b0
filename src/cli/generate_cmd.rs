//! `psimon generate`: writes a synthetic application sample (CSV or JSON Lines) to try
//! `baseline` and `report` on.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::synth::{COLUMNS, Rng, application, wide_columns, wide_row};

pub fn run(out: &Path, rows: u64, shift: f64, seed: u64) -> Result<()> {
    write_sample(out, rows, shift, seed, false)
}

/// Writes the credit sample, or with `wide` 20 numeric features f00..f19.
pub fn write_sample(out: &Path, rows: u64, shift: f64, seed: u64, wide: bool) -> Result<()> {
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
        writeln!(w, "{}", COLUMNS.join(","))?;
    }
    for _ in 0..rows {
        let app = application(&mut rng, shift);
        if jsonl {
            writeln!(w, "{}", app.to_json())?;
        } else {
            writeln!(w, "{}", app.csv_fields().join(","))?;
        }
    }
    w.flush()?;
    Ok(())
}
