//! Logistic regression by iteratively reweighted least squares (Newton's method on the
//! log-likelihood), for designs that are sparse by construction: each row has a few
//! non-zero columns (an intercept and one WoE value or one bin indicator per feature).
//! Pure: rows and outcomes in, coefficients and their standard errors out.
//!
//! An optional ridge penalty `½ λ Σ β_j²` (the intercept, column 0, is not penalised) keeps
//! a bin that is empty or pure in the training rows from pushing its coefficient to infinity.

/// One row of the design: `(column, value)` pairs, the intercept included as column 0.
pub type Row = Vec<(usize, f64)>;

/// A fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// Coefficients of `P(bad) = 1 / (1 + exp(-x·β))`, column 0 the intercept.
    pub coefficients: Vec<f64>,
    /// Standard errors from the inverse of the (penalised) information matrix.
    pub standard_errors: Vec<f64>,
    pub iterations: usize,
    /// `-2` log-likelihood at the estimate (without the penalty).
    pub deviance: f64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error("no rows to fit")]
    NoRows,
    #[error(
        "the design is singular: column {0} is a combination of the others (add a ridge penalty)"
    )]
    Singular(usize),
    #[error(
        "no convergence in {0} iterations (outcomes separated by the bins? add a ridge penalty)"
    )]
    NoConvergence(usize),
}

const MAX_ITERATIONS: usize = 50;
/// Converged when no coefficient moves by more than this (relative to 1 + |β|).
const TOLERANCE: f64 = 1e-10;

/// Fits `columns` coefficients to `rows` with outcomes `bad` (true = 1).
pub fn fit(rows: &[Row], bad: &[bool], columns: usize, ridge: f64) -> Result<Fit, FitError> {
    if rows.is_empty() {
        return Err(FitError::NoRows);
    }
    let mut beta = vec![0.0; columns];
    for iteration in 1..=MAX_ITERATIONS {
        let (info, score) = information_and_score(rows, bad, &beta, ridge);
        let chol = cholesky(info, columns)?;
        let step = solve(&chol, columns, &score);
        let mut largest = 0.0f64;
        for (b, s) in beta.iter_mut().zip(&step) {
            largest = largest.max(s.abs() / (1.0 + b.abs()));
            *b += s;
        }
        if largest < TOLERANCE {
            let (info, _) = information_and_score(rows, bad, &beta, ridge);
            let chol = cholesky(info, columns)?;
            return Ok(Fit {
                standard_errors: inverse_diagonal(&chol, columns)
                    .into_iter()
                    .map(f64::sqrt)
                    .collect(),
                deviance: deviance(rows, bad, &beta),
                coefficients: beta,
                iterations: iteration,
            });
        }
    }
    Err(FitError::NoConvergence(MAX_ITERATIONS))
}

/// The linear predictor `x·β` of one row.
pub fn predictor(row: &Row, beta: &[f64]) -> f64 {
    row.iter().map(|&(c, v)| beta[c] * v).sum()
}

/// `X'WX + λ I` (packed row-major, full square) and the score `X'(y - μ) - λ β`.
fn information_and_score(
    rows: &[Row],
    bad: &[bool],
    beta: &[f64],
    ridge: f64,
) -> (Vec<f64>, Vec<f64>) {
    let p = beta.len();
    let mut info = vec![0.0; p * p];
    let mut score = vec![0.0; p];
    for (row, &y) in rows.iter().zip(bad) {
        let mu = sigmoid(predictor(row, beta));
        let w = mu * (1.0 - mu);
        let r = f64::from(u8::from(y)) - mu;
        for &(i, vi) in row {
            score[i] += vi * r;
            for &(j, vj) in row {
                info[i * p + j] += w * vi * vj;
            }
        }
    }
    for j in 1..p {
        info[j * p + j] += ridge;
        score[j] -= ridge * beta[j];
    }
    (info, score)
}

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

fn deviance(rows: &[Row], bad: &[bool], beta: &[f64]) -> f64 {
    rows.iter()
        .zip(bad)
        .map(|(row, &y)| {
            let eta = predictor(row, beta);
            // -log P(y): log(1 + exp(eta)) - y eta, computed without overflow.
            let softplus = eta.max(0.0) + (-eta.abs()).exp().ln_1p();
            2.0 * (softplus - if y { eta } else { 0.0 })
        })
        .sum()
}

/// The lower-triangular `L` with `L L' = a` (row-major `p x p`).
fn cholesky(mut a: Vec<f64>, p: usize) -> Result<Vec<f64>, FitError> {
    for j in 0..p {
        let mut d = a[j * p + j];
        for k in 0..j {
            d -= a[j * p + k] * a[j * p + k];
        }
        // Relative to the column's own scale: a dependent column leaves ~rounding only.
        if d <= 1e-12 * a[j * p + j].abs().max(1e-300) {
            return Err(FitError::Singular(j));
        }
        let d = d.sqrt();
        a[j * p + j] = d;
        for i in j + 1..p {
            let mut s = a[i * p + j];
            for k in 0..j {
                s -= a[i * p + k] * a[j * p + k];
            }
            a[i * p + j] = s / d;
        }
        for k in j + 1..p {
            a[j * p + k] = 0.0;
        }
    }
    Ok(a)
}

/// Solves `L L' x = b`.
fn solve(l: &[f64], p: usize, b: &[f64]) -> Vec<f64> {
    let mut y = b.to_vec();
    for i in 0..p {
        for k in 0..i {
            y[i] -= l[i * p + k] * y[k];
        }
        y[i] /= l[i * p + i];
    }
    for i in (0..p).rev() {
        for k in i + 1..p {
            y[i] -= l[k * p + i] * y[k];
        }
        y[i] /= l[i * p + i];
    }
    y
}

/// The diagonal of `(L L')^-1`, one column of the inverse at a time.
fn inverse_diagonal(l: &[f64], p: usize) -> Vec<f64> {
    (0..p)
        .map(|j| {
            let mut e = vec![0.0; p];
            e[j] = 1.0;
            solve(l, p, &e)[j]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One binary predictor: the MLE is the 2x2 table's log odds and log odds ratio.
    #[test]
    fn a_two_by_two_table_gives_its_log_odds_ratio() {
        // x = 0: 30 bad of 100; x = 1: 60 bad of 100.
        let mut rows = Vec::new();
        let mut bad = Vec::new();
        for (x, bads) in [(0.0, 30), (1.0, 60)] {
            for i in 0..100 {
                rows.push(vec![(0, 1.0), (1, x)]);
                bad.push(i < bads);
            }
        }
        let f = fit(&rows, &bad, 2, 0.0).unwrap();
        let b0 = (30.0f64 / 70.0).ln();
        let b1 = (60.0f64 / 40.0).ln() - b0;
        assert!((f.coefficients[0] - b0).abs() < 1e-12, "{f:?}");
        assert!((f.coefficients[1] - b1).abs() < 1e-12);
        // Woolf's SE of the log odds ratio.
        let se1 = (1.0 / 30.0 + 1.0 / 70.0 + 1.0 / 60.0 + 1.0 / 40.0f64).sqrt();
        assert!((f.standard_errors[1] - se1).abs() < 1e-9);
    }

    #[test]
    fn a_dependent_column_is_singular_and_a_ridge_resolves_it() {
        let rows: Vec<Row> = (0..50)
            .map(|i| vec![(0, 1.0), (1, f64::from(i % 2)), (2, f64::from(i % 2))])
            .collect();
        let bad: Vec<bool> = (0..50).map(|i| i % 3 == 0).collect();
        assert!(matches!(
            fit(&rows, &bad, 3, 0.0),
            Err(FitError::Singular(2))
        ));
        let f = fit(&rows, &bad, 3, 1.0).unwrap();
        assert!((f.coefficients[1] - f.coefficients[2]).abs() < 1e-9);
    }

    #[test]
    fn separated_outcomes_need_a_ridge() {
        let rows: Vec<Row> = (0..40)
            .map(|i| vec![(0, 1.0), (1, f64::from(i % 2))])
            .collect();
        let bad: Vec<bool> = (0..40).map(|i| i % 2 == 1).collect();
        assert!(fit(&rows, &bad, 2, 0.0).is_err());
        let f = fit(&rows, &bad, 2, 0.5).unwrap();
        assert!(f.coefficients[1].is_finite() && f.coefficients[1] > 2.0);
    }
}
