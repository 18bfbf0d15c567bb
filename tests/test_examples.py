"""Every example runs; those marked deterministic print exactly what PyTorch prints when only
their import lines are switched back to torch."""
import glob
import re
import os
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..")
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "*.py")))
ENV = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))

try:
    import torch  # noqa: F401
    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False

IMPORTS = [("import pullback as torch", "import torch"), ("import pullback.nn as nn", "import torch.nn as nn"),
           ("from pullback.autograd.functional import", "from torch.autograd.functional import")]


def _run(code):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("path", EXAMPLES, ids=[os.path.basename(p) for p in EXAMPLES])
def test_example_runs_with_only_its_imports_changed(path):
    source = open(path).read()
    imports = [line for line in source.splitlines() if "import" in line]
    assert all("torch" not in line or "pullback" in line for line in imports)
    out = _run(source)
    assert out.strip()
    if "final accuracy" in out:
        assert float(out.strip().splitlines()[-1].split()[-1]) >= 0.95
    if source.startswith("# deterministic") and HAVE_TORCH:
        torch_source = source
        for ours, theirs in IMPORTS:
            torch_source = torch_source.replace(ours, theirs)
        assert _run(torch_source).replace("torch.", "pullback.") == out


def _compiled_source(source):
    """The example with each of its top-level functions compiled (``@torch.compile``)."""
    return re.sub(r"^def ", "@torch.compile\ndef ", source, flags=re.M)


@pytest.mark.parametrize("path", EXAMPLES, ids=[os.path.basename(p) for p in EXAMPLES])
def test_example_prints_the_same_with_its_functions_compiled(path):
    """pullback.compile on every function an example defines: identical output (a function that
    cannot be replayed runs eagerly, with a warning on stderr)."""
    source = open(path).read()
    assert _run(_compiled_source(source)) == _run(source)


def test_train_spirals_compiled_trains_identically():
    path = os.path.join(ROOT, "examples", "train_spirals.py")
    eager = subprocess.run([sys.executable, path], capture_output=True, text=True, env=ENV, timeout=300)
    compiled = subprocess.run([sys.executable, "-W", "error::UserWarning", path, "--compile"], capture_output=True,
                              text=True, env=ENV, timeout=300)
    assert compiled.returncode == 0, compiled.stderr
    assert compiled.stdout == eager.stdout
