"""Offline oracle for tests/ncx2_oracle.rs: the noncentral chi-square CDF, survival function
and the noncentrality inversion in 50-digit arithmetic (mpmath), written to ncx2_oracle.json.
Not part of the build; rerun by hand (python3 tests/data/ncx2_oracle.py) to extend the cases.

Each tail is the Poisson mixture summed over the whole range of the mixing index that holds
mass above 1e-80, with the stable recurrences (P top-down, Q bottom-up) in 50 digits, so
neither tail is a difference of nearly equal numbers."""
import json
import mpmath as mp

mp.mp.dps = 50


def tails(df, lam, t):
    df, lam, t = mp.mpf(df), mp.mpf(lam), mp.mpf(t)
    a0, x, m = df / 2, t / 2, lam / 2
    lnw = lambda j: (-m + j * mp.log(m) - mp.loggamma(j + 1)) if m > 0 else (0 if j == 0 else -mp.inf)
    lnt = lambda a: a * mp.log(x) - x - mp.loggamma(a + 1)
    # SF: Q(a0 + j, x) from the bottom up, until past the Poisson mode the terms are below
    # 1e-60 of the sum (Q grows with j, so the upper tail's terms peak above the mode).
    Q = mp.gammainc(a0, x, mp.inf, regularized=True)
    sf = mp.mpf(0)
    j = 0
    while True:
        term = mp.exp(lnw(j)) * Q
        sf += term
        Q += mp.exp(lnt(a0 + j))
        if j > m and lnw(j) < -184 and term <= mp.mpf(10) ** -60 * sf:
            break
        j += 1
    top = j
    # CDF: P(a0 + j, x) from the top down (P falls with j, so the same range holds its mass).
    P = mp.gammainc(a0 + top, 0, x, regularized=True)
    cdf = mp.mpf(0)
    for j in range(top, -1, -1):
        cdf += mp.exp(lnw(j)) * P
        if j > 0:
            P += mp.exp(lnt(a0 + j - 1))
    return cdf, sf


cases = []
for df in [1, 3, 19, 60, 197]:
    for lam in [0.5, 5, 60, 700, 4000]:
        mean, sd = df + lam, (2 * (df + 2 * lam)) ** 0.5
        for k in [-9, -3, -1, 0, 2, 5, 12, 30]:
            t = mean + k * sd
            if t <= 0:
                t = mean * 10.0 ** k / 10
            if t <= 0:
                continue
            cdf, sf = tails(df, lam, t)
            cases.append({"df": df, "lambda": lam, "t": float(t),
                          "cdf": mp.nstr(cdf, 20), "sf": mp.nstr(sf, 20)})
# The deep lower tail where the previous walk lost accuracy (found by comparison).
cdf, sf = tails(197, 1.0192168946903066, 0.4194736372889296)
cases.append({"df": 197, "lambda": 1.0192168946903066, "t": 0.4194736372889296,
              "cdf": mp.nstr(cdf, 20), "sf": mp.nstr(sf, 20)})

inversions = []
for df, t in [(1, 3.0), (3, 0.37657996812239347), (19, 25.0), (19, 400.0), (19, 3100.0),
              (60, 2000.0), (197, 260.0), (9, 32.15)]:
    for target in ["0.975", "0.025"]:
        tgt = mp.mpf(target)
        if tails(df, 0, t)[0] <= tgt:
            lam = mp.mpf(0)
        else:
            lam = mp.findroot(lambda l: tails(df, l, t)[0] - tgt, (mp.mpf(1e-6), mp.mpf(4 * t + 50)),
                              solver="illinois", tol=mp.mpf(10) ** -40, verify=False)
        inversions.append({"df": df, "t": t, "target": float(target), "lambda": mp.nstr(lam, 20)})

json.dump({"tails": cases, "inversions": inversions}, open(__file__.replace(".py", ".json"), "w"), indent=1)
print(len(cases), "tails,", len(inversions), "inversions")
