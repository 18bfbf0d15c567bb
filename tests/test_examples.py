"""Every example runs; those marked deterministic print exactly what PyTorch prints when only
their import lines are switched back to torch."""
import glob
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
