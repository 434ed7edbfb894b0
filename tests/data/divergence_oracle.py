"""Offline oracle for tests/divergence_family.rs: the divergence family of psimon's
src/stats/family.rs computed with scipy, written to divergence_oracle.json. Not part of the
build; rerun by hand (pip install scipy; python3 tests/data/divergence_oracle.py).

Values come from scipy's own functions on the +0.5-smoothed shares (STATISTICS.md sec. 1):
  Jensen-Shannon  scipy.spatial.distance.jensenshannon(p, q) ** 2        (nats)
  Hellinger       sqrt(power_divergence(p, q, lambda_="freeman-tukey") / 8)
  KL(p||q)        scipy.special.rel_entr(p, q).sum()   (and the same with p, q swapped)
  chi-square      power_divergence(p, q, lambda_="pearson")  (q the expected shares)
The standard errors are the delta method's with the gradient taken numerically (central
differences of those same scipy functions), not from psimon's formulas, so the test checks
psimon's hand-derived gradients. The p-values are scipy.stats.chi2.sf of n_eff 2 D / f''(1)."""
import json
import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr
from scipy.stats import chi2, power_divergence, norm


def js(p, q):
    return jensenshannon(p, q) ** 2


def hellinger(p, q):
    return np.sqrt(power_divergence(p, q, lambda_="freeman-tukey").statistic / 8.0)


def kl_pq(p, q):
    return rel_entr(p, q).sum()


def kl_qp(p, q):
    return rel_entr(q, p).sum()


def chi_square(p, q):
    return power_divergence(p, q, lambda_="pearson").statistic


MEASURES = {
    "jensen_shannon": (js, 8.0),
    "hellinger": (hellinger, 8.0),
    "kl_pq": (kl_pq, 2.0),
    "kl_qp": (kl_qp, 2.0),
    "chi_square": (chi_square, 1.0),
}


def grad(f, p, q, which, h=1e-7):
    """Central differences off the simplex: power_divergence needs equal sums, so both
    arguments are perturbed along a direction that keeps their sums equal (e_i - e_j is
    enough for the delta method, which only sees the tangent space)."""
    k = len(p)
    g = np.zeros(k)
    for i in range(1, k):
        d = np.zeros(k)
        d[i], d[0] = h, -h
        if which == 0:
            g[i] = (f(p + d, q) - f(p - d, q)) / (2 * h)
        else:
            g[i] = (f(p, q + d) - f(p, q - d)) / (2 * h)
    return g  # relative to coordinate 0; constants drop out of the centred variance


def centred(w, v):
    m = (w * v).sum()
    return (w * (v - m) ** 2).sum()


def case(cid, x, y, second_fixed=False, alpha=0.05):
    x, y = np.array(x, float), np.array(y, float)
    kept = (x + y) > 0
    xk, yk = x[kept], y[kept]
    k = int(kept.sum())
    X, Y = xk.sum(), yk.sum()
    p = (xk + 0.5) / (X + 0.5 * k)
    q = (yk + 0.5) / (Y + 0.5 * k)
    n_eff = X if second_fixed else X * Y / (X + Y)
    z = norm.isf(alpha / 2)
    out = {}
    for name, (f, scale) in MEASURES.items():
        v = float(f(p, q))
        var = centred(p, grad(f, p, q, 0)) / X
        if not second_fixed:
            var += centred(q, grad(f, p, q, 1)) / Y
        se = float(np.sqrt(var))
        d = v * v if name == "hellinger" else v
        stat = n_eff * scale * d
        out[name] = {
            "value": v,
            "se": se,
            "ci_lower": max(v - z * se, 0.0),
            "ci_upper": v + z * se,
            "chi2_stat": stat,
            "chi2_df": k - 1,
            "chi2_pvalue": float(chi2.sf(stat, k - 1)),
        }
    return {
        "id": cid,
        "first": x.tolist(),
        "second": y.tolist(),
        "second_fixed": second_fixed,
        "alpha": alpha,
        "expected": out,
    }


CASES = [
    case("moderate_shift", [120, 200, 340, 210, 130], [150, 250, 300, 180, 120]),
    case("large_shift", [400, 300, 200, 80, 20], [50, 150, 300, 300, 200]),
    case("empty_bins_both_and_one", [0, 35, 0, 120, 45], [0, 60, 12, 100, 28]),
    case("baseline_fixed", [130, 95, 80, 45], [2500, 2500, 2500, 2500], second_fixed=True),
    case("goods_bads", [3200, 2800, 2100, 1400, 500], [60, 90, 110, 140, 150]),
    case("small_windows_alpha_10", [8, 3, 5, 1], [4, 6, 6, 4], alpha=0.10),
    case("many_bins", list(range(5, 105, 5)), list(range(100, 0, -5))),
]

if __name__ == "__main__":
    import os
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "divergence_oracle.json")
    with open(path, "w") as fh:
        json.dump({"cases": CASES}, fh, indent=1)
        fh.write("\n")
