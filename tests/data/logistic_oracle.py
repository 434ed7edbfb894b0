"""Offline oracle for tests/scorecard.rs: logistic regressions fitted by statsmodels
(Logit, Newton), written to logistic_oracle.json. Not part of the build; rerun by hand
(pip install statsmodels; python3 tests/data/logistic_oracle.py).

Two designs of the kind psimon scorecard fits: a WoE-like one (an intercept and two
columns of a few distinct real values) and a one-hot one (an intercept and bin indicators
of two features, each with its reference bin left out)."""
import json
import os
import numpy as np
import statsmodels.api as sm

rng = np.random.default_rng(20261206)


def woe_design(n):
    a = rng.integers(0, 4, n)
    b = rng.integers(0, 3, n)
    wa = np.array([-0.9, -0.2, 0.3, 1.1])[a]
    wb = np.array([-0.5, 0.1, 0.7])[b]
    X = np.column_stack([np.ones(n), wa, wb])
    eta = -1.2 - 0.8 * wa - 1.1 * wb
    return X, eta


def onehot_design(n):
    a = rng.integers(0, 4, n)
    b = rng.integers(0, 3, n)
    cols = [np.ones(n)] + [(a == k).astype(float) for k in (1, 2, 3)] + [(b == k).astype(float) for k in (1, 2)]
    X = np.column_stack(cols)
    eta = -1.5 + 0.4 * (a == 1) + 0.9 * (a == 2) + 1.4 * (a == 3) - 0.6 * (b == 1) + 0.5 * (b == 2)
    return X, eta


def case(name, X, eta):
    y = rng.random(len(eta)) < 1 / (1 + np.exp(-eta))
    res = sm.Logit(y.astype(float), X).fit(disp=0, tol=1e-14, maxiter=100)
    return {
        "id": name,
        "x": X.tolist(),
        "bad": y.tolist(),
        "coefficients": res.params.tolist(),
        "standard_errors": res.bse.tolist(),
        "deviance": float(-2 * res.llf),
    }


CASES = [case("woe", *woe_design(800)), case("onehot", *onehot_design(1200))]

if __name__ == "__main__":
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "logistic_oracle.json")
    with open(path, "w") as fh:
        json.dump({"cases": CASES}, fh)
        fh.write("\n")
