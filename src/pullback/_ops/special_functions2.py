"""More of torch.special: the Airy and Bessel functions of integer order and the classical orthogonal
polynomials (Chebyshev, shifted Chebyshev, Hermite, Laguerre, Legendre).

PyTorch declares none of these differentiable (their outputs never require grad), so each is an
elementwise primitive without a VJP: under vmap its batch dims go to the front, and that is all.
The Bessel functions call SciPy's ufuncs (imported when they first run); the polynomials are their
three-term recurrences on NumPy arrays, with PyTorch's integer-``n`` semantics: ``n`` is truncated
to an integer after type promotion, and a negative ``n`` gives 0.
"""
from .._backend import B
from ._api import public
from ._rules import is_tensor
from .elementwise import elementwise
from .functions import _invalid_combination
from . import elementwise as E
from . import special as S
from .special import _check_tensor, _written, _NUMBERS


def _scipy_unary(name):
    """The forward of ``scipy.special.<name>``, computed in float64 and rounded once to the input's
    dtype (SciPy's float32 loops are coarser than PyTorch's float32 kernels)."""
    def impl(x):
        import scipy.special
        fn = getattr(scipy.special, name) if name != "airy_ai" else (lambda v: scipy.special.airy(v)[0])
        return B.asarray(fn(x.astype(B.float64))).astype(x.dtype, copy=False)
    impl.__name__ = f"_{name}_impl"
    return impl


def _spherical_j0_impl(x):
    # j0(x) = sin(x) / x, 1 at 0
    with B.errstate(invalid="ignore", divide="ignore"):
        out = B.where(x == 0, 1.0, B.sin(x) / B.where(x == 0, 1.0, x))
    return out.astype(x.dtype, copy=False)


_UNARY = [  # (torch's name, forward, what)
    ("airy_ai", _scipy_unary("airy_ai"), "the Airy function Ai"),
    ("bessel_j0", _scipy_unary("j0"), "the Bessel function of the first kind of order 0"),
    ("bessel_j1", _scipy_unary("j1"), "the Bessel function of the first kind of order 1"),
    ("bessel_y0", _scipy_unary("y0"), "the Bessel function of the second kind of order 0"),
    ("bessel_y1", _scipy_unary("y1"), "the Bessel function of the second kind of order 1"),
    ("modified_bessel_i0", _scipy_unary("i0"), "the modified Bessel function of the first kind of order 0"),
    ("modified_bessel_i1", _scipy_unary("i1"), "the modified Bessel function of the first kind of order 1"),
    ("modified_bessel_k0", _scipy_unary("k0"), "the modified Bessel function of the second kind of order 0"),
    ("modified_bessel_k1", _scipy_unary("k1"), "the modified Bessel function of the second kind of order 1"),
    ("scaled_modified_bessel_k0", _scipy_unary("k0e"),
     "the exponentially scaled modified Bessel function of the second kind of order 0, exp(x) K0(x)"),
    ("scaled_modified_bessel_k1", _scipy_unary("k1e"),
     "the exponentially scaled modified Bessel function of the second kind of order 1, exp(x) K1(x)"),
    ("spherical_bessel_j0", _spherical_j0_impl, "the spherical Bessel function of the first kind of order 0"),
]


def _unary_public(prim, name, what):
    error_name = "special_" + name

    def fn(input, *, out=None):
        _check_tensor(input, error_name)
        return _written(out, prim.bind((input,), {}), error_name, (input,))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""Returns {what}, elementwise (integer and bool inputs give the default float dtype).
    Not differentiable, as in PyTorch: the result never requires grad.

    Args:
        input (Tensor): the input.
        out (Tensor, optional): the Tensor to write the result into.

    Example::

        >>> pullback.special.{name}(pullback.tensor([0.5, 1.0]))
    """
    return fn


for _name, _impl, _what in _UNARY:
    _prim = elementwise(_name, _impl, out_dtype="float")  # no vjp: PyTorch's outputs never require grad
    globals()[_name] = _prim
    public("special." + _name)(_unary_public(_prim, _name, _what))


# ------------------------------------------------------------------ orthogonal polynomials
# Each family: p_0, p_1 and the step p_{k+1} = step(x, k, p_k, p_{k-1}).
def _two_x(x, k, p, q):
    return 2 * x * p - q


_FAMILIES = {
    "chebyshev_polynomial_t": (lambda x: x, _two_x, "the Chebyshev polynomial of the first kind T_n"),
    "chebyshev_polynomial_u": (lambda x: 2 * x, _two_x, "the Chebyshev polynomial of the second kind U_n"),
    "chebyshev_polynomial_v": (lambda x: 2 * x - 1, _two_x, "the Chebyshev polynomial of the third kind V_n"),
    "chebyshev_polynomial_w": (lambda x: 2 * x + 1, _two_x, "the Chebyshev polynomial of the fourth kind W_n"),
    "hermite_polynomial_h": (lambda x: 2 * x, lambda x, k, p, q: 2 * x * p - 2 * k * q,
                             "the physicists' Hermite polynomial H_n"),
    "hermite_polynomial_he": (lambda x: x, lambda x, k, p, q: x * p - k * q,
                              "the probabilists' Hermite polynomial He_n"),
    "laguerre_polynomial_l": (lambda x: 1 - x, lambda x, k, p, q: ((2 * k + 1 - x) * p - k * q) / (k + 1),
                              "the Laguerre polynomial L_n"),
    "legendre_polynomial_p": (lambda x: x, lambda x, k, p, q: ((2 * k + 1) * x * p - k * q) / (k + 1),
                              "the Legendre polynomial P_n"),
}
for _kind in "tuvw":  # T*_n(x) = T_n(2x - 1), and so on
    _first, _step, _what = _FAMILIES["chebyshev_polynomial_" + _kind]
    _FAMILIES["shifted_chebyshev_polynomial_" + _kind] = (
        _first, _step, "the shifted Chebyshev polynomial " + _what.split("polynomial ")[1].replace("_n", "*_n")
        + " = " + _what.split("polynomial ")[1] + "(2x - 1)")
_SHIFTED = frozenset(name for name in _FAMILIES if name.startswith("shifted"))


def _polynomial_impl(name):
    first, step, _ = _FAMILIES[name]

    def impl(x, n):
        x, n = B.broadcast_arrays(B.asarray(x), B.asarray(n))
        result_dtype, dtype = x.dtype, B.float64  # in float64: float32 recurrences lose digits near roots
        x = x.astype(dtype)
        with B.errstate(invalid="ignore", over="ignore"):
            order = n.astype(B.int64) if n.dtype.kind == "f" else n.astype(B.int64, copy=False)
            if name in _SHIFTED:
                x = 2 * x - 1
            out = B.zeros(x.shape, dtype)               # n < 0: 0
            out[order == 0] = 1
            top = int(order.max()) if order.size else 0
            if top >= 1:
                previous, current = B.ones(x.shape, dtype), B.asarray(first(x), dtype=dtype)
                out = B.where(order == 1, current, out)
                for k in range(1, top):
                    previous, current = current, B.asarray(step(x, k, current, previous), dtype=dtype)
                    out = B.where(order == k + 1, current, out)
        return B.asarray(out, dtype=dtype).astype(result_dtype, copy=False)
    impl.__name__ = f"_{name}_impl"
    return impl


def _polynomial_public(prim, name, what):
    error_name = "special_" + name
    signatures = ("(Tensor x, Tensor n, *, Tensor out = None)", "(Number x, Tensor n, *, Tensor out = None)",
                  "(Tensor x, Number n, *, Tensor out = None)")

    def fn(x, n, *, out=None):
        if not (is_tensor(x) or is_tensor(n)) or not all(is_tensor(a) or isinstance(a, _NUMBERS) for a in (x, n)):
            raise _invalid_combination(error_name, (x, n), signatures)
        return _written(out, prim.bind((x, n), {}), error_name, tuple(a for a in (x, n) if is_tensor(a)))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""Returns {what}(x), elementwise, with broadcasting and PyTorch's type promotion (the
    result is floating point). ``n`` is truncated to an integer; a negative ``n`` gives 0. Not
    differentiable, as in PyTorch: the result never requires grad.

    Args:
        x (Tensor or Number): the points.
        n (Tensor or Number): the degrees.
        out (Tensor, optional): the Tensor to write the result into.

    Example::

        >>> pullback.special.{name}(pullback.tensor([0.5, 2.0]), 3)
    """
    return fn


for _name, (_first, _step, _what) in _FAMILIES.items():
    _prim = elementwise(_name, _polynomial_impl(_name), inputs="x n", broadcasting=True, out_dtype="float")
    globals()[_name] = _prim
    public("special." + _name)(_polynomial_public(_prim, _name, _what))


# ------------------------------------------------------------ regularized incomplete gamma
def _gammainc_impl(name):
    def impl(a, x):
        import scipy.special
        out = getattr(scipy.special, name)(a.astype(B.float64), x.astype(B.float64))  # SciPy's float32 loop is coarser
        return B.asarray(out).astype(B.result_type(a, x), copy=False)
    impl.__name__ = f"_{name}_impl"
    return impl


def _no_input_derivative(name):
    def rule(g):
        raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
    return rule


def _gamma_density(x, a):
    # d/dx P(a, x) = x^(a - 1) e^-x / Gamma(a)
    return E.exp((a - 1) * E.log(x) - x - S.lgamma(a))


igamma_ = elementwise("igamma", _gammainc_impl("gammainc"), inputs="a x", broadcasting=True,
                      out_dtype=S._float_only("igamma_cpu"),
                      vjp=(_no_input_derivative("igamma"), lambda g, a, x: g * _gamma_density(x, a)))
igammac_ = elementwise("igammac", _gammainc_impl("gammaincc"), inputs="a x", broadcasting=True,
                       out_dtype=S._float_only("igammac_cpu"),
                       vjp=(_no_input_derivative("igammac"), lambda g, a, x: -g * _gamma_density(x, a)))

for _names, _prim, _what in [
        (("igamma", "special.gammainc"), igamma_, "the regularized lower incomplete gamma function P(input, other)"),
        (("igammac", "special.gammaincc"), igammac_,
         "the regularized upper incomplete gamma function Q(input, other) = 1 - P(input, other)")]:
    for _name in _names:
        public(_name, method="." not in _name, inplace="." not in _name)(
            S._binary(_prim, _name, _what + " (differentiable in ``other`` only, as in PyTorch)", "other",
                      (False, False), example="[1.0, 2.0]), pullback.tensor([0.5, 3.0]"))
