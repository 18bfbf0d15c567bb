"""The public API table: each public function declares, where it is defined, the names it is
exported under (``pullback.<name>``) and the Tensor methods and in-place variants it serves::

    @public(method=True, inplace=True)
    def sin(input, *, out=None):
        ...

``pullback/__init__.py`` exports every entry and ``_methods.py`` installs the methods (each
in-place variant ``name_`` runs the function and writes the result into ``self``): neither keeps a
list by hand, so adding an op is its primitive's declaration and its public function.
"""

EXPORTS = {}   # name -> function: pullback.<name>
NAMESPACES = {"linalg": {}, "special": {}}  # "linalg.solve" -> NAMESPACES["linalg"]["solve"]: pullback.linalg.solve
METHODS = {}   # name -> function: Tensor.<name> (called with the Tensor as its first argument)
INPLACE = {}   # name -> function: Tensor.<name>_ (the out-of-place function it writes back)


def public(names=None, *, method=False, inplace=False, export=True, method_form=None):
    """Declares the decorated function public.

    Args:
        names: the names it is known by (a string or a tuple; default: the function's own name).
            Aliases (``negative`` for ``neg``) are listed here. A dotted name (``"linalg.solve"``)
            is exported from that submodule (``pullback.linalg.solve``) and is never a method.
        method: also a Tensor method under the same names (True), or under the given name(s).
        inplace: also an in-place Tensor method ``<name>_`` for each method name.
        export: exported as ``pullback.<name>`` (False for a method-only function, such as a
            method form with another signature: ``Tensor.flip(*dims)``).
        method_form: the function the methods are instead, where they differ from the exported
            function only in how their errors are worded (PyTorch names ``self`` differently).
    """
    def declare(fn):
        own = (fn.__name__,) if names is None else (names,) if isinstance(names, str) else tuple(names)
        flat = tuple(name for name in own if "." not in name)
        for name in own:
            if "." in name:
                space, _, short = name.partition(".")
                _add(NAMESPACES[space], short, fn)
            elif export:
                _add(EXPORTS, name, fn)
        method_names = () if not method else flat if method is True else \
            (method,) if isinstance(method, str) else tuple(method)
        for name in method_names:
            _add(METHODS, name, fn if method_form is None else method_form)
            if inplace:
                _add(INPLACE, name + "_", fn)
        return fn
    return declare


def _add(table, name, fn):
    if name in table and table[name] is not fn:
        raise ValueError(f"{name!r} is declared public twice: {table[name].__qualname__} and {fn.__qualname__}")
    table[name] = fn
