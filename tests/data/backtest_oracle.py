"""Offline oracle for tests/backtest_oracle.rs: discrimination and calibration of binned
scores computed by other people's code on the expanded data, written to backtest_oracle.json.
Not part of the build; rerun by hand to extend the cases:

    python3 -m venv /tmp/oracle && /tmp/oracle/bin/pip install scikit-learn scipy numpy
    /tmp/oracle/bin/python tests/data/backtest_oracle.py

- AUC: scikit-learn's roc_auc_score on one row per application (label 1 = good, score = the
  bin's rank; tied scores count half there too).
- DeLong SE: each application's placement against every application of the other class,
  pairwise on the expanded data (no bins), sample variances with ddof 1.
- KS: scipy's ks_2samp statistic of the goods' and the bads' ranks.
- Jeffreys: scipy's beta distribution (cdf at the PD, ppf for the interval); Hosmer-Lemeshow
  with scipy's chi2.sf."""
import json

import numpy as np
from scipy import stats
from sklearn.metrics import roc_auc_score

rng = np.random.default_rng(20261205)


def expand(goods, bads):
    g = np.repeat(np.arange(len(goods)), goods)
    b = np.repeat(np.arange(len(bads)), bads)
    return g, b


def delong_pairwise(g, b):
    # placement of each good: share of bads it outranks; of each bad: goods outranking it
    cmp = (g[:, None] > b[None, :]).astype(float) + 0.5 * (g[:, None] == b[None, :])
    v10 = cmp.mean(axis=1)
    v01 = cmp.mean(axis=0)
    return np.sqrt(v10.var(ddof=1) / len(g) + v01.var(ddof=1) / len(b))


def discrimination_case(goods, bads):
    g, b = expand(goods, bads)
    y = np.r_[np.ones(len(g)), np.zeros(len(b))]
    s = np.r_[g, b].astype(float)
    return {
        "goods": [int(x) for x in goods],
        "bads": [int(x) for x in bads],
        "auc": repr(float(roc_auc_score(y, s))),
        "auc_se": repr(float(delong_pairwise(g, b))),
        "ks": repr(float(stats.ks_2samp(g, b).statistic)),
    }


def calibration_case(goods, bads, pd, alpha):
    n = np.asarray(goods) + np.asarray(bads)
    d = np.asarray(bads)
    keep = n > 0
    hl = float((((d - n * pd) ** 2) / (n * pd * (1 - pd)))[keep].sum())
    bands = []
    for ni, di, pi in zip(n, d, pd):
        a, bb = di + 0.5, ni - di + 0.5
        bands.append({
            "pvalue": repr(float(stats.beta.cdf(pi, a, bb))),
            "ci_lower": repr(float(stats.beta.ppf(alpha / 2, a, bb))),
            "ci_upper": repr(float(stats.beta.ppf(1 - alpha / 2, a, bb))),
        })
    return {
        "goods": [int(x) for x in goods],
        "bads": [int(x) for x in bads],
        "pd": [float(x) for x in pd],
        "alpha": alpha,
        "bands": bands,
        "hosmer_lemeshow": repr(hl),
        "hl_df": int(keep.sum()),
        "hl_pvalue": repr(float(stats.chi2.sf(hl, int(keep.sum())))),
    }


def scorecard_counts(k, n, strength):
    """n applications over k score bins; the bad rate falls with the bin by `strength`."""
    share = rng.dirichlet(np.full(k, 3.0))
    counts = rng.multinomial(n, share)
    rate = 1 / (1 + np.exp(-(-1.5 - strength * (np.arange(k) - k / 2) / k)))
    bads = rng.binomial(counts, rate)
    return counts - bads, bads


discrimination = []
for k, n, strength in [(2, 200, 2.0), (5, 900, 3.0), (10, 2500, 4.0), (10, 3000, 0.0),
                       (20, 4000, 6.0), (7, 60, 3.0), (12, 5000, -2.0)]:
    goods, bads = scorecard_counts(k, n, strength)
    discrimination.append(discrimination_case(goods, bads))
# empty bins and a bin holding only bads
discrimination.append(discrimination_case([0, 50, 0, 120, 300], [30, 20, 0, 10, 0]))

calibration = []
for k, n, alpha in [(5, 5000, 0.05), (10, 20000, 0.01), (8, 400, 0.1)]:
    goods, bads = scorecard_counts(k, n, 3.0)
    pd = np.clip(bads / np.maximum(goods + bads, 1) * rng.uniform(0.6, 1.4, k), 0.002, 0.9)
    calibration.append(calibration_case(goods, bads, pd, alpha))
# a band far above its PD (p-value far in the tail) and an empty band
calibration.append(calibration_case([9000, 0, 500], [1000, 0, 40], np.array([0.05, 0.2, 0.08]), 0.05))

json.dump({"discrimination": discrimination, "calibration": calibration},
          open(__file__.replace(".py", ".json"), "w"), indent=1)
