//! The choice at one bound as a mixed-integer program (a multiple-choice knapsack): a
//! binary `x_v` per variant, at most one variant per feature, the protected IVs of the
//! chosen (or, robust, their one-sided upper confidence bounds) at most the bound, the
//! predictive IVs' sum as large as it can be. Solved by good_lp with microlp (pure Rust,
//! branch and bound).

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, constraint, microlp, variable};

use super::Variant;

/// What limits the protected IV: its estimate (`z = 0`) or its one-sided upper bound
/// `estimate + z SE` (robust).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Objective {
    pub z: f64,
    pub robust: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("the solver failed at bound {bound}: {message}")]
pub struct SolveError {
    bound: f64,
    message: String,
}

/// The indices of the variants chosen at `bound`, in order.
pub fn select(all: &[Variant], bound: f64, objective: Objective) -> Result<Vec<usize>, SolveError> {
    let mut vars = ProblemVariables::new();
    let x: Vec<_> = all.iter().map(|_| vars.add(variable().binary())).collect();
    let gain: Expression = all
        .iter()
        .zip(&x)
        .map(|(v, &xv)| v.predictive_iv.value * xv)
        .sum();
    let cost = |v: &Variant| {
        let p = v.protected_iv;
        if objective.robust {
            p.value + objective.z * p.se
        } else {
            p.value
        }
    };
    let load: Expression = all.iter().zip(&x).map(|(v, &xv)| cost(v) * xv).sum();
    let mut model = vars
        .maximise(gain)
        .using(microlp)
        .with(constraint!(load <= bound));
    let features = all.iter().map(|v| v.feature).max().map_or(0, |m| m + 1);
    for f in 0..features {
        let one: Expression = all
            .iter()
            .zip(&x)
            .filter(|(v, _)| v.feature == f)
            .map(|(_, &xv)| Expression::from(xv))
            .sum();
        model = model.with(constraint!(one <= 1));
    }
    let solution = model.solve().map_err(|e| SolveError {
        bound,
        message: e.to_string(),
    })?;
    Ok((0..all.len())
        .filter(|&i| solution.value(x[i]) > 0.5)
        .collect())
}
