"""Fits the (2, 3) rational for Mills' ratio used by the float32 GELU kernel (pullback/_ops/gelu.py)
and reports its errors.

Mills' ratio m(a) = (1 - Phi(a)) / phi(a) = sqrt(pi / 2) erfcx(a / sqrt(2)) is fitted on [0, 6] by
N(a) / D(a) (D(0) = 1) for the absolute error of the tail phi(a) N(a) / D(a): the linearised
problem phi (N - m D) / D_prev = 0 is solved by least squares, reweighted by each point's error
(Lawson) towards the minimax fit, keeping the best iterate. The coefficients are printed with D
made monic, and as the continued fraction the kernel evaluates.

    python tools/fit_gelu32.py
"""
import numpy as np
import scipy.special as sp


def fit_rational(z, f, weight, m, n, iterations=300):
    lawson = np.ones_like(z)
    previous = np.ones_like(z)
    best = None
    for _ in range(iterations):
        columns = np.concatenate([z[:, None] ** np.arange(m + 1), -(f[:, None] * z[:, None] ** np.arange(1, n + 1))],
                                 axis=1) * (weight / previous)[:, None]
        root = np.sqrt(lawson)
        c, *_ = np.linalg.lstsq(columns * root[:, None], f * weight / previous * root, rcond=None)
        p, q = c[:m + 1], np.concatenate([[1.0], c[m + 1:]])
        previous = np.polyval(q[::-1], z)
        error = np.abs(weight * (np.polyval(p[::-1], z) / previous - f))
        if best is None or error.max() < best[0]:
            best = (error.max(), p, q)
        lawson = lawson * error
        lawson /= lawson.mean()
    return best


def main():
    a = np.linspace(0.0, 6.0, 30001)
    mills = np.sqrt(np.pi / 2) * sp.erfcx(a / np.sqrt(2))
    phi = np.exp(-a * a / 2) / np.sqrt(2 * np.pi)
    error, p, q = fit_rational(a, mills, phi, 2, 3)
    print(f"fit error of the tail (float64): {error:.2e}")
    print("numerator P0, P1, P2:", ", ".join(repr(float(c)) for c in p / q[-1]))
    print("monic denominator Q0, Q1, Q2:", ", ".join(repr(float(c)) for c in (q / q[-1])[:-1]))
    print("denominator's largest real root:", max(r.real for r in np.roots(q[::-1])))
    # The same rational as the continued fraction S / (a + B + K2 / (a + D + K1 / (a + E))), from the
    # Euclidean algorithm: D(a) = N(a) (alpha a + beta) + (zeta a + eta), N(a) = (zeta a + eta) (gamma a + delta) + eps.
    numerator, denominator = (p / q[-1])[::-1], (q / q[-1])[::-1]
    (alpha, beta), (zeta, eta) = np.polydiv(denominator, numerator)
    (gamma, delta), (eps,) = np.polydiv(numerator, np.array([zeta, eta]))
    constants = dict(E=eta / zeta, K1=eps / (zeta * gamma), D=delta / gamma, K2=1 / (gamma * alpha), B=beta / alpha,
                     S=1 / alpha)
    print("continued fraction:", ", ".join(f"{k}={float(v)!r}" for k, v in constants.items()))

    from pullback._ops.gelu import _gelu32  # the kernel as committed, in float32
    x = np.linspace(-9, 9, 2_000_001).astype(np.float32)
    exact_cdf = sp.ndtr(x.astype(np.float64))
    out, slope = _gelu32(x)
    exact_slope = exact_cdf + x * np.exp(-x.astype(np.float64) ** 2 / 2) / np.sqrt(2 * np.pi)
    print(f"float32: gelu abs error {np.abs(out - x * exact_cdf).max():.2e}, "
          f"slope abs error {np.abs(slope - exact_slope).max():.2e}")


if __name__ == "__main__":
    main()
