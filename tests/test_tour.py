"""The main job, ``python -m pullback``, runs every tutorial section and all its checks pass."""
import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..")


def test_tour_runs_and_every_check_passes(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.path.abspath(os.path.join(ROOT, "src")))
    result = subprocess.run([sys.executable, "-m", "pullback"], capture_output=True, text=True, env=env, timeout=300,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    passed, failed = last.split(",")
    assert int(passed.split()[0]) >= 17 and failed.strip() == "0 failed"
    assert "final accuracy" in result.stdout and "Hidden activation shape: pullback.Size([32, 64])" in result.stdout
    assert "Match: True" in result.stdout
    assert "grad can be implicitly created only for scalar outputs" in result.stdout
    assert (tmp_path / "pullback_gradient_penalty.dot").read_text().startswith("digraph {")


def test_tour_reports_a_failure_with_exit_status_1(tmp_path):
    code = ("import pullback.__main__ as t\n"
            "t.SECTIONS = [lambda: t.check('deliberately wrong', False)]\n"
            "raise SystemExit(t.main())\n")
    env = dict(os.environ, PYTHONPATH=os.path.abspath(os.path.join(ROOT, "src")))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60,
                            cwd=tmp_path)
    assert result.returncode == 1
    assert "0 passed, 1 failed" in result.stdout
