"""A pytest plugin for mutation runs only (``-p tests.mutation_plugin`` in the ``[mutmut]`` section of setup.cfg;
bench/mutation.py runs them). It changes the order of the tests, never what they check:

- the tests a mutant is put through run fastest first (durations from mutmut's own stats run, ``mutmut-stats.json``
  in the mutants/ folder), so that a mutant a quick test catches does not first wait for the slow ones (mutmut
  stops at the first failure);
- torch is imported when the plugin loads, i.e. once in mutmut's fork server, not in every mutant's test process
  (the autouse fixture of conftest.py imports it for every test).
"""

import json

try:
    import torch  # noqa: F401
except ImportError:  # the tests that need torch skip or fail on their own
    pass


def pytest_collection_modifyitems(session, config, items):
    try:
        with open("mutmut-stats.json") as f:
            durations = json.load(f)["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return  # the stats run itself: keep the collection order
    items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))
