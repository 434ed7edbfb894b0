//! Which model of a baseline file a command works on, and which of its features: one
//! rule for `report`, `scorecard` and `frontier`, with errors that list what the file has.

use anyhow::{Result, anyhow, bail};

use crate::binning::{BaselineFile, ModelBaseline};

/// The model `name` (or the file's only one), keeping only `features` when given.
pub(super) fn select_model(
    file: &BaselineFile,
    name: Option<&str>,
    features: Option<&[String]>,
) -> Result<ModelBaseline> {
    let mut model = match name {
        Some(n) => file
            .model(n)
            .ok_or_else(|| {
                anyhow!(
                    "the baseline has no model \"{n}\" (models: {})",
                    model_names(file)
                )
            })?
            .clone(),
        None if file.models.len() == 1 => file.models[0].clone(),
        None => bail!(
            "the baseline holds several models; choose one with --model ({})",
            model_names(file)
        ),
    };
    if let Some(wanted) = features {
        let missing: Vec<&String> = wanted
            .iter()
            .filter(|w| !model.features.iter().any(|f| &f.name == *w))
            .collect();
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
            bail!(
                "the baseline's model \"{}\" has no feature {} (it has: {})",
                model.name,
                names.join(", "),
                model
                    .features
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        model.features.retain(|f| wanted.contains(&f.name));
    }
    Ok(model)
}

fn model_names(file: &BaselineFile) -> String {
    file.models
        .iter()
        .map(|m| m.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
