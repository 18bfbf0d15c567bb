"""A picture of the backward graph: Graphviz DOT text, and rendering through the ``dot`` program."""
import os
import shutil
import subprocess

from .graph import AccumulateGrad, SavedTensor


def _shape(shape):
    return "(" + ", ".join(str(s) for s in shape) + ")"


def _quote(text):
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped + '"'


def to_dot(tensor, params=None, show_saved=False):
    """The backward graph of ``tensor`` as Graphviz DOT text.

    Backward nodes are boxes named as PyTorch names them (``MulBackward0``); leaves are the
    Tensors that receive gradients, labelled with their name in ``params`` (a dict name ->
    Tensor, e.g. ``dict(model.named_parameters())``) and their shape; the output is labelled with
    its shape. With ``show_saved``, each node's saved values appear as ovals.

    Example::

        >>> print(pullback.autograd.graph.to_dot((x * w).sum(), params={"w": w}))
    """
    names = {id(t): name for name, t in (params or {}).items()}
    lines = ["digraph {",
             '  graph [rankdir=BT size="12,12"]',
             "  node [fontname=monospace fontsize=10 height=0.2 shape=box style=filled]"]
    out_id = f"out{id(tensor)}"
    lines.append(f"  {out_id} [label={_quote(_shape(tensor.shape))} fillcolor=darkolivegreen1]")
    root = tensor.grad_fn
    if root is None:
        if tensor.requires_grad:
            lines.append(f"  {out_id} [label={_quote(names.get(id(tensor), '') + ' ' + _shape(tensor.shape))} "
                         "fillcolor=lightblue]")
        lines.append("}")
        return "\n".join(lines) + "\n"
    seen = set()
    stack = [root]
    lines.append(f"  n{id(root)} -> {out_id}")
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            var = node.variable
            label = f"{names.get(id(var), '')}\n{_shape(var.shape)}".lstrip("\n")
            lines.append(f"  n{id(node)} [label={_quote(label)} fillcolor=lightblue]")
            continue
        lines.append(f"  n{id(node)} [label={_quote(node.name())} fillcolor=lightgrey]")
        if show_saved and getattr(node, "saved", None):
            for name, value in (node.saved.items() if isinstance(node.saved, dict) else enumerate(node.saved)):
                items = value if isinstance(value, tuple) else (value,)
                for k, v in enumerate(items):
                    if isinstance(v, SavedTensor):
                        sid = f"s{id(node)}_{name}_{k}"
                        lines.append(f"  {sid} [label={_quote(f'{name} {_shape(v.shape)}')} shape=oval fillcolor=orange]")
                        lines.append(f"  {sid} -> n{id(node)} [style=dashed arrowhead=none]")
        for child in node.next_nodes:
            if child is not None:
                lines.append(f"  n{id(child)} -> n{id(node)}")
                stack.append(child)
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(tensor, path, params=None, show_saved=False):
    """Writes the graph picture to ``path`` (``.svg``, ``.png``, ``.pdf``, or ``.dot`` for the
    text) using Graphviz's ``dot`` program; returns the path written."""
    text = to_dot(tensor, params, show_saved)
    fmt = os.path.splitext(path)[1].lstrip(".").lower() or "svg"
    if fmt == "dot":
        with open(path, "w") as f:
            f.write(text)
        return path
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError("Rendering needs Graphviz's `dot` program, which is not installed: install it with "
                           "`apt-get install graphviz` (Debian/Ubuntu) or `brew install graphviz` (macOS), or call "
                           "render(tensor, 'graph.dot') for the DOT text.")
    subprocess.run([dot, f"-T{fmt}", "-o", path], input=text, text=True, check=True)
    return path
