"""Reference gradients (moved into the package: :mod:`polyframe.testing.finite_differences`)."""

from polyframe.testing.finite_differences import EPS as EPS
from polyframe.testing.finite_differences import reference_gradients as reference_gradients
