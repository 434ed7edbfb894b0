//! `psimon demo` (batch form): generates a development sample and a shifted one in a
//! temporary folder, builds a stumps baseline with a target, and prints the report. Needs
//! nothing installed; the streaming demo replaces it once `psimon run` exists.

use anyhow::{Context, Result};

use super::baseline_cmd::{self, BaselineArgs};
use super::fmt::emit;
use super::generate_cmd;
use super::report_cmd::{self, ReportArgs};
use crate::binning::build::Method;
use crate::stats::PsiOptions;

pub fn run() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("psimon-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let dev = dir.join("development.csv");
    let cur = dir.join("current.csv");
    let base = dir.join("baseline.json");
    emit(&format!(
        "== generating 20,000 development applications and 5,000 shifted ones in {}\n",
        dir.display()
    ))?;
    generate_cmd::run(&dev, 20_000, 0.0, 1)?;
    generate_cmd::run(&cur, 5_000, 0.5, 2)?;
    emit(&format!(
        "== psimon baseline --input {} --target bad --method stumps --monotone --special-values -999\n\n",
        dev.display()
    ))?;
    baseline_cmd::run(BaselineArgs {
        input: dev,
        out: base.clone(),
        model: "demo".into(),
        target: Some("bad".into()),
        bad_value: None,
        features: None,
        categorical: Vec::new(),
        special_values: vec![crate::synth::NO_HIT],
        method: Method::Stumps,
        max_bins: 10,
        min_bin_share: 0.05,
        monotone: true,
    })?;
    emit(&format!(
        "\n== psimon report --baseline {} --input {} --target bad\n\n",
        base.display(),
        cur.display()
    ))?;
    report_cmd::run(ReportArgs {
        baseline: base,
        input: cur,
        model: None,
        features: None,
        target: Some("bad".into()),
        bad_value: None,
        json: false,
        psi: PsiOptions::default(),
    })?;
    emit(&format!("\nfiles kept in {}\n", dir.display()))?;
    Ok(())
}
