//! The baseline file: per model, every feature's bins with the development counts (and
//! good/bad counts when a target was given), versioned and identified by a content hash.
//! Owns the JSON schema, its validation and the id; not how bins are chosen.
//!
//! Version 2 adds, per feature, optional population bins with their counts. Version 1
//! files (scorecard bins only) still load; their id is unchanged, since an absent
//! `population` is not serialised.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::spec::BinSpec;

pub(crate) const FORMAT: &str = "psimon-baseline";
pub(crate) const VERSION: u32 = 2;
/// Versions this psimon reads.
pub(crate) const READS: [u32; 2] = [1, 2];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineFile {
    pub format: String,
    pub version: u32,
    /// `sha256:` and the hex digest of the compact JSON of `models`.
    pub id: String,
    pub models: Vec<ModelBaseline>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelBaseline {
    pub name: String,
    /// Rows of the development sample.
    pub applications: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetInfo>,
    pub features: Vec<FeatureBaseline>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetInfo {
    pub column: String,
    /// The target value that marks a bad outcome (as text).
    pub bad_value: String,
    pub good_value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureBaseline {
    pub name: String,
    #[serde(flatten)]
    pub bins: BinSpec,
    /// How the bins were chosen ("quantile", "stumps", ...): information only.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub method: String,
    /// One per bin, as `BinSpec::labels` gives them: information only.
    pub labels: Vec<String>,
    pub counts: Vec<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods: Option<Vec<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bads: Option<Vec<u64>>,
    /// Bins for watching the population, chosen without the target (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<PopulationBins>,
    /// A categorical feature's development levels that its Other bin holds (too rare for a
    /// bin of their own), the most frequent first: what tells a rare development level in
    /// Other from a level new since development (`KnownLevels`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_levels: Vec<String>,
}

/// A feature's population bins and the development sample's counts in them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopulationBins {
    #[serde(flatten)]
    pub bins: BinSpec,
    pub labels: Vec<String>,
    pub counts: Vec<u64>,
}

#[derive(Debug, Error)]
pub enum BaselineError {
    /// The I/O error is part of the message, not a separate cause (which would print it
    /// twice in an error chain).
    #[error("{path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error("{path}: not a psimon baseline file: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: baseline file version {found}; this psimon reads versions 1 and 2")]
    Version { path: String, found: u64 },
    #[error("{path}: invalid baseline:\n  {}", problems.join("\n  "))]
    Invalid { path: String, problems: Vec<String> },
}

impl BaselineFile {
    /// A file for `models` with its id computed.
    pub fn new(models: Vec<ModelBaseline>) -> Self {
        let id = content_id(&models);
        Self {
            format: FORMAT.to_string(),
            version: VERSION,
            id,
            models,
        }
    }

    pub fn model(&self, name: &str) -> Option<&ModelBaseline> {
        self.models.iter().find(|m| m.name == name)
    }

    /// Reads, version-checks and validates a baseline file.
    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|cause| BaselineError::Io {
            path: shown.clone(),
            cause,
        })?;
        Self::parse(&text, &shown)
    }

    /// Parses and validates the text of a baseline file; `path` only labels errors.
    pub fn parse(text: &str, path: &str) -> Result<Self, BaselineError> {
        let parse_error = |message: String| BaselineError::Parse {
            path: path.to_string(),
            message,
        };
        let raw: serde_json::Value =
            serde_json::from_str(text).map_err(|e| parse_error(e.to_string()))?;
        if raw.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(parse_error(format!("\"format\" is not \"{FORMAT}\"")));
        }
        let found = raw.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if !READS.iter().any(|&v| u64::from(v) == found) {
            return Err(BaselineError::Version {
                path: path.to_string(),
                found,
            });
        }
        let file: BaselineFile =
            serde_json::from_value(raw).map_err(|e| parse_error(e.to_string()))?;
        let problems = file.problems();
        if problems.is_empty() {
            Ok(file)
        } else {
            Err(BaselineError::Invalid {
                path: path.to_string(),
                problems,
            })
        }
    }

    /// Writes the file as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<(), BaselineError> {
        let text = serde_json::to_string_pretty(self).expect("a baseline always serialises");
        std::fs::write(path, text + "\n").map_err(|cause| BaselineError::Io {
            path: path.display().to_string(),
            cause,
        })
    }

    /// Every problem of the file, each with its JSON path.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.models.is_empty() {
            out.push("models: no model".to_string());
        }
        for (m, model) in self.models.iter().enumerate() {
            let at = format!("models[{m}] ({})", model.name);
            if self.models[..m].iter().any(|o| o.name == model.name) {
                out.push(format!("{at}: model name used twice"));
            }
            for (f, feature) in model.features.iter().enumerate() {
                let at = format!("{at}.features[{f}] ({})", feature.name);
                if model.features[..f].iter().any(|o| o.name == feature.name) {
                    out.push(format!("{at}: feature name used twice"));
                }
                out.extend(feature.problems().into_iter().map(|p| format!("{at}: {p}")));
                if feature.goods.is_some() != model.target.is_some() {
                    out.push(format!(
                        "{at}: goods/bads must be given exactly when the model has a target"
                    ));
                }
            }
        }
        if self.version < 2
            && self
                .models
                .iter()
                .any(|m| m.features.iter().any(|f| f.population.is_some()))
        {
            out.push("version: population bins need version 2".to_string());
        }
        let id = content_id(&self.models);
        if self.id != id {
            out.push(format!(
                "id: \"{}\" does not match the content ({id}); was the file edited by hand? \
                 Rebuild it with `psimon baseline`",
                self.id
            ));
        }
        out
    }
}

impl FeatureBaseline {
    fn problems(&self) -> Vec<String> {
        let mut out = self.bins.problems();
        let n = self.bins.bin_count();
        let mut check_len = |what: &str, len: usize| {
            if len != n {
                out.push(format!("{what} has {len} entries, the bins need {n}"));
            }
        };
        check_len("labels", self.labels.len());
        check_len("counts", self.counts.len());
        match (&self.goods, &self.bads) {
            (Some(g), Some(b)) => {
                check_len("goods", g.len());
                check_len("bads", b.len());
                if g.len() == n && b.len() == n {
                    for i in 0..n {
                        if g[i] + b[i] != self.counts[i] {
                            out.push(format!(
                                "bin {i}: goods {} + bads {} != count {}",
                                g[i], b[i], self.counts[i]
                            ));
                        }
                    }
                }
            }
            (None, None) => {}
            _ => out.push("goods and bads go together".to_string()),
        }
        if self.counts.iter().sum::<u64>() == 0 {
            out.push("all counts are 0".to_string());
        }
        if let Some(p) = &self.population {
            out.extend(p.problems().into_iter().map(|e| format!("population: {e}")));
        }
        out
    }

    /// Baseline counts as f64 for the statistics core.
    pub fn counts_f64(&self) -> Vec<f64> {
        self.counts.iter().map(|&c| c as f64).collect()
    }
}

impl PopulationBins {
    fn problems(&self) -> Vec<String> {
        let mut out = self.bins.problems();
        let n = self.bins.bin_count();
        for (what, len) in [("labels", self.labels.len()), ("counts", self.counts.len())] {
            if len != n {
                out.push(format!("{what} has {len} entries, the bins need {n}"));
            }
        }
        if self.counts.iter().sum::<u64>() == 0 {
            out.push("all counts are 0".to_string());
        }
        out
    }

    /// Baseline counts as f64 for the statistics core.
    pub fn counts_f64(&self) -> Vec<f64> {
        self.counts.iter().map(|&c| c as f64).collect()
    }
}

/// `sha256:<hex>` of the compact JSON of the models.
pub(crate) fn content_id(models: &[ModelBaseline]) -> String {
    let bytes = serde_json::to_vec(models).expect("a baseline always serialises");
    let digest = Sha256::digest(&bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}
