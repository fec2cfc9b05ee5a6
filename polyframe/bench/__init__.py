"""The benchmark harness behind ``polyframe bench``: polyframe against hand-written native
loops and Keras 3, each in its own process, interleaved, compared as ratios within one run.

>>> result = pf.bench.run(suite="mlp", backend="torch", against="tuned")  # doctest: +SKIP

Importing this module imports no framework; the workers do.
"""

from polyframe.bench import report as report
from polyframe.bench.plot import plot as plot
from polyframe.bench.report import markdown as markdown
from polyframe.bench.runner import run as run
from polyframe.bench.schema import SCHEMA as SCHEMA
from polyframe.bench.schema import validate as validate
from polyframe.bench.suites import SUITES as SUITES
from polyframe.bench.suites import Suite as Suite
from polyframe.bench.suites import register_suite as register_suite
