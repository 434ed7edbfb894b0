//! A synthetic credit-application sample for trying psimon and for tests: 8 features of the
//! kinds bureau data has (numeric, categorical, missing values, special codes), a bad outcome
//! driven by them, and an optional population shift. Deterministic for a seed; no I/O.

/// splitmix64: small, fast and good enough for synthetic data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    pub fn pick<'a>(&mut self, items: &[(&'a str, f64)]) -> &'a str {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut u = self.uniform() * total;
        for (item, w) in items {
            if u < *w {
                return item;
            }
            u -= w;
        }
        items[items.len() - 1].0
    }
}

pub const COLUMNS: &[&str] = &[
    "income",
    "age",
    "debt_to_income",
    "bureau_score",
    "utilisation",
    "delinquencies",
    "employment_type",
    "region",
    "bad",
];

/// About the share of bad outcomes among development applications (shift 0).
pub const DEVELOPMENT_BAD_RATE: f64 = 0.16;

/// Code of a bureau no-hit in `bureau_score`.
pub const NO_HIT: f64 = -999.0;

/// One application: `None` is a missing value.
#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    pub income: Option<f64>,
    pub age: f64,
    pub debt_to_income: f64,
    pub bureau_score: f64,
    pub utilisation: Option<f64>,
    pub delinquencies: f64,
    pub employment_type: Option<&'static str>,
    pub region: &'static str,
    pub bad: bool,
    /// A protected attribute ("A" or "B"), when the sample has one (`generate
    /// --protected-gap`).
    pub group: Option<&'static str>,
}

/// The protected attribute of `application_grouped`: group "B" (30%) has bureau scores
/// `gap` points lower than group "A" (70%). Drawn from its own random stream, so that the
/// other columns are those `application` would draw with the same seed.
pub fn application_grouped(rng: &mut Rng, side: &mut Rng, shift: f64, gap: f64) -> Application {
    let group = side.pick(&[("A", 0.7), ("B", 0.3)]);
    let offset = if group == "B" { gap } else { 0.0 };
    Application {
        group: Some(group),
        ..draw(rng, shift, offset)
    }
}

/// Draws one application. `shift` in [0, 1] moves income and bureau scores down and
/// self-employment up (0 = the development population).
pub fn application(rng: &mut Rng, shift: f64) -> Application {
    draw(rng, shift, 0.0)
}

/// The draws of one application; bureau scores `score_offset` points lower.
fn draw(rng: &mut Rng, shift: f64, score_offset: f64) -> Application {
    let income =
        (!rng.chance(0.04)).then(|| (10.6 - 0.35 * shift + 0.5 * rng.normal()).exp().round());
    let age = (18.0 + 57.0 * rng.uniform()).floor();
    let debt_to_income = (0.3 + 0.12 * rng.normal() + 0.05 * shift).clamp(0.0, 1.5);
    let bureau_score = if rng.chance(0.03) {
        NO_HIT
    } else {
        (680.0 - 40.0 * shift - score_offset + 60.0 * rng.normal())
            .round()
            .clamp(300.0, 850.0)
    };
    let utilisation = (!rng.chance(0.06)).then(|| rng.uniform().powf(1.5));
    let delinquencies = {
        let mut k = 0.0;
        while rng.chance(0.25 + 0.1 * shift) && k < 10.0 {
            k += 1.0;
        }
        k
    };
    let employment_type = (!rng.chance(0.02)).then(|| {
        rng.pick(&[
            ("salaried", 0.62 - 0.3 * shift),
            ("self_employed", 0.15 + 0.3 * shift),
            ("retired", 0.12),
            ("student", 0.06),
            ("unemployed", 0.05),
        ])
    });
    let region = rng.pick(&[("north", 0.3), ("south", 0.3), ("east", 0.2), ("west", 0.2)]);
    let score = if bureau_score == NO_HIT {
        600.0
    } else {
        bureau_score
    };
    let logit = -2.4 - (score - 680.0) / 45.0
        + 2.0 * (debt_to_income - 0.3)
        + 0.35 * delinquencies
        + if employment_type == Some("unemployed") {
            0.8
        } else {
            0.0
        };
    let bad = rng.chance(1.0 / (1.0 + (-logit).exp()));
    Application {
        income,
        age,
        debt_to_income: (debt_to_income * 1000.0).round() / 1000.0,
        bureau_score,
        utilisation: utilisation.map(|u| (u * 1000.0).round() / 1000.0),
        delinquencies,
        employment_type,
        region,
        bad,
        group: None,
    }
}

impl Application {
    /// The row as CSV fields in `COLUMNS` order (missing = empty).
    pub fn csv_fields(&self) -> Vec<String> {
        let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
        vec![
            opt(self.income),
            self.age.to_string(),
            self.debt_to_income.to_string(),
            self.bureau_score.to_string(),
            opt(self.utilisation),
            self.delinquencies.to_string(),
            self.employment_type.unwrap_or("").to_string(),
            self.region.to_string(),
            u8::from(self.bad).to_string(),
        ]
        .into_iter()
        .chain(self.group.map(String::from))
        .collect()
    }

    /// The application as an event on the input topic, nested as `config/psimon.example.toml`
    /// maps it.
    pub fn to_event(&self, id: u64, model: &str, time_ms: i64) -> serde_json::Value {
        let mut v = serde_json::json!({
            "application_id": format!("app-{id}"),
            "submitted_at": time_ms,
            "model": model,
            "applicant": {
                "income": self.income,
                "age": self.age,
                "debt_to_income": self.debt_to_income,
                "employment_type": self.employment_type,
                "region": self.region,
            },
            "bureau": {
                "score": self.bureau_score,
                "utilisation": self.utilisation,
                "delinquencies": self.delinquencies,
            },
            "bad": u8::from(self.bad),
        });
        if let Some(g) = self.group {
            v["applicant"]["group"] = serde_json::json!(g);
        }
        v
    }

    /// The application's outcome as an event on the outcome topic: `outcome` 1 for bad,
    /// observed `delay_ms` after the application.
    pub fn outcome_event(&self, id: u64, time_ms: i64, delay_ms: i64) -> serde_json::Value {
        serde_json::json!({
            "application_id": format!("app-{id}"),
            "outcome": u8::from(self.bad),
            "observed_at": time_ms.saturating_add(delay_ms),
        })
    }

    /// The row as a JSON object (missing = null).
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "income": self.income,
            "age": self.age,
            "debt_to_income": self.debt_to_income,
            "bureau_score": self.bureau_score,
            "utilisation": self.utilisation,
            "delinquencies": self.delinquencies,
            "employment_type": self.employment_type,
            "region": self.region,
            "bad": u8::from(self.bad),
        });
        if let Some(g) = self.group {
            v["group"] = serde_json::json!(g);
        }
        v
    }
}

/// Names of the features of the wide sample: 20 numeric features for throughput tests.
pub fn wide_columns() -> Vec<String> {
    (0..20).map(|i| format!("f{i:02}")).collect()
}

/// One row of the wide sample: 20 normal values (shifted by `shift`), with 2% missing.
pub fn wide_row(rng: &mut Rng, shift: f64) -> Vec<Option<f64>> {
    (0..20)
        .map(|i| {
            if rng.chance(0.02) {
                None
            } else {
                let v = rng.normal() + shift * (i % 3) as f64 * 0.5;
                Some((v * 1000.0).round() / 1000.0)
            }
        })
        .collect()
}
