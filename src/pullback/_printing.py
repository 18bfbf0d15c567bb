"""Tensor printing, following PyTorch's default format (precision 4, threshold 1000,
edgeitems 3, linewidth 80) so that tutorial output reads the same.

The rules mirror ``torch/_tensor_str.py`` behaviour: one formatter per tensor picks integer mode
(``4.``), fixed point or scientific notation from the nonzero finite values, and pads every
element to the widest.
"""
import math

from ._backend import B
from . import _dtype as D
from .autograd import forward_ad


class PrintOptions:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


PRINT_OPTS = PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """Sets printing options, as ``torch.set_printoptions``.

    Args:
        precision: digits after the decimal point (default 4).
        threshold: total elements above which the output is summarized (default 1000).
        edgeitems: items shown at each edge when summarizing (default 3).
        linewidth: characters per line (default 80).
        profile: ``'default'``, ``'short'`` or ``'full'``.
        sci_mode: force (True) or forbid (False) scientific notation; None decides per tensor.
    """
    if profile == "default":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 4, 1000, 3, 80
    elif profile == "short":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 2, 1000, 2, 80
    elif profile == "full":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 4, math.inf, 3, 80
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        p = PRINT_OPTS.precision
        flat = values.reshape(-1)
        if not floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        finite = flat[B.isfinite(flat) & (flat != 0)]
        if finite.size == 0:
            return
        absolute = B.abs(finite.astype(B.float64))
        lo, hi = float(absolute.min()), float(absolute.max())
        self.int_mode = bool(B.all(finite == B.ceil(finite)))
        items = finite.astype(B.float64).tolist()
        if self.int_mode:
            if hi / lo > 1000.0 or hi > 1.0e8:
                self.sci_mode = True
                widths = (len(f"{v:.{p}e}") for v in items)
            else:
                widths = (len(f"{v:.0f}") + 1 for v in items)
        else:
            if hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4:
                self.sci_mode = True
                widths = (len(f"{v:.{p}e}") for v in items)
            else:
                widths = (len(f"{v:.{p}f}") for v in items)
        self.max_width = max(self.max_width, max(widths))
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode

    def format(self, value):
        p = PRINT_OPTS.precision
        if self.floating:
            if self.sci_mode:
                s = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                s = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    s += "."
            else:
                s = f"{value:.{p}f}"
        else:
            s = f"{value}"
        return (self.max_width - len(s)) * " " + s


def _summarized(a):
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return B.concatenate((a[:e], a[-e:])) if a.shape[0] > 2 * e else a
    if a.shape[0] > 2 * e:
        rows = [a[i] for i in range(e)] + [a[i] for i in range(len(a) - e, len(a))]
    else:
        rows = list(a)
    return B.stack([_summarized(r) for r in rows])


def _vector_str(a, indent, summarize, fmt):
    element_length = fmt.max_width + 2
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / element_length)))
    e = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        data = [fmt.format(v) for v in a[:e].tolist()] + [" ..."] + [fmt.format(v) for v in a[-e:].tolist()]
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _array_str(a, indent, summarize, fmt):
    # Explicit stack of pending pieces would obscure this; the depth is the tensor's rank.
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    e = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        parts = ([_array_str(a[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."]
                 + [_array_str(a[i], indent + 1, summarize, fmt) for i in range(len(a) - e, len(a))])
    else:
        parts = [_array_str(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _data_str(a, indent):
    summarize = a.size > PRINT_OPTS.threshold
    if a.dtype == B.float16:
        a = a.astype(B.float32)
    floating = a.dtype.kind == "f"
    fmt = _Formatter(_summarized(a) if summarize else a, floating)
    return _array_str(a, indent, summarize, fmt)


def _add_suffixes(body, suffixes, indent):
    parts = [body]
    last_line_len = len(body) - body.rfind("\n") + 1
    for suffix in suffixes:
        # Wrap where PyTorch wraps: measure "dtype=pullback.int32" as torch's "dtype=torch.int32".
        width = len(suffix.replace("pullback.", "torch."))
        if last_line_len + width + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + width
        else:
            parts.append(", " + suffix)
            last_line_len += width + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t, prefix="tensor("):
    """The PyTorch-style text of a Tensor."""
    indent = len(prefix)
    a = t._data
    dt = t.dtype
    default = dt in (D.get_default_dtype(), D.int64, D.bool)
    suffixes = []
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append("size=" + str(tuple(a.shape)))
        if dt is not D.get_default_dtype():
            suffixes.append("dtype=" + repr(dt))
        body = "[]"
    else:
        if not default:
            suffixes.append("dtype=" + repr(dt))
        body = _data_str(a, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    tangents = t.__dict__.get("_fw_grads")
    if tangents:
        tangent = tangents.get(forward_ad.current_level())
        if tangent is not None:
            suffixes.append("tangent=" + tensor_repr(tangent))
    return _add_suffixes(prefix + body, suffixes, indent)
