"""The allocator thresholds set at import (pullback._malloc): freed activation-sized blocks are
reused instead of being trimmed back to the OS and faulted in again on the next step."""
import subprocess
import sys
import textwrap

import pytest

LOOP = textwrap.dedent("""
    import os, resource, sys
    import numpy as np
    import pullback
    def step():
        # several 2 MiB temporaries freed together, as one forward+backward step does
        parts = [np.ones(512 * 1024, dtype=np.float32) for _ in range(6)]
        total = parts[0] + parts[1]
        del parts
        return float(total[0])
    for _ in range(5):
        step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(50):
        step()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    print(pullback._malloc.TUNED, faults)
""")


def _run(env_extra):
    import os
    env = dict(os.environ, **env_extra)
    out = subprocess.run([sys.executable, "-c", LOOP], capture_output=True, text=True, env=env, check=True)
    tuned, faults = out.stdout.split()
    return tuned == "True", int(faults)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt tuning is glibc-only")
def test_repeated_steps_reuse_freed_memory():
    tuned, faults = _run({})
    assert tuned
    # one step touches 7 x 512 pages; untuned glibc faults most of them in again every step
    assert faults < 200, faults


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt tuning is glibc-only")
def test_opt_out_leaves_the_allocator_alone():
    tuned, faults = _run({"PULLBACK_MALLOC_TUNING": "0"})
    assert not tuned
    # the behaviour the tuning exists to prevent: pages faulted in again on every step
    assert faults > 50 * 512, faults
