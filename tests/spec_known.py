"""Known differences from torch, listed in a JSON file: the bookkeeping shared by the spec tests.

A list maps ``name|kind|index`` to the difference seen. It is strict both ways: a case that fails
unlisted fails its test, and a listed case that now passes fails it too, so the list only shrinks.

``PULLBACK_SPEC_RECORD=1`` rewrites, at exit, the entries of the tests this run ran from what it
saw, and keeps the others (so ``-k max_pool2d`` re-records only max_pool2d); read the diff after.
"""
import atexit
import json
import os
import warnings

RECORD = os.environ.get("PULLBACK_SPEC_RECORD") == "1"


class KnownFailures:
    """The known-failure list in ``tests/<filename>``."""

    def __init__(self, filename):
        self.filename = filename
        self.path = os.path.join(os.path.dirname(__file__), filename)
        with open(self.path) as f:
            self.known = {tuple(k.split("|")): reason for k, reason in json.load(f).items()}
        self._recorded = {}
        self._ran = set()  # key prefixes whose cases all ran: record mode rewrites exactly those
        if RECORD:
            atexit.register(self._write)

    def _write(self):
        def ran(key):
            return any(key[:n] in self._ran for n in range(1, len(key) + 1))

        kept = {"|".join(k): reason for k, reason in self.known.items() if not ran(k)}
        with open(self.path, "w") as f:
            json.dump(dict(sorted({**kept, **self._recorded}.items())), f, indent=0)
            f.write("\n")

    def check_all(self, name, kind, cases, check, skip=()):
        """Runs ``check(index, case)`` on every case; fails naming each unexpected failure and each
        listed case that now passes. ``skip`` lists exceptions meaning "nothing to compare"."""
        self._ran.add((name, kind))
        problems = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for index, case in enumerate(cases):
                problem = self._check_one((name, kind, str(index)), lambda: check(index, case), skip)
                if problem:
                    problems.append(f"sample {index}: {problem}\n    {repr(case)[:300]}")
        assert RECORD or not problems, "\n".join(problems)

    def check_case(self, key, run, skip=()):
        """Runs ``run()`` for the single case ``key`` (a tuple of strings), strictly as check_all."""
        self._ran.add(tuple(key))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            problem = self._check_one(tuple(key), run, skip)
        assert RECORD or not problem, problem

    def _check_one(self, key, run, skip):
        try:
            run()
        except skip:
            return None
        except Exception as e:  # noqa: BLE001  (every difference is reported, none swallowed)
            self._recorded["|".join(key)] = f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
            return None if key in self.known else f"{type(e).__name__}: {str(e)[:300]}"
        if key in self.known:
            return f"now passes: remove {'|'.join(key)!r} from {self.filename}"
        return None
