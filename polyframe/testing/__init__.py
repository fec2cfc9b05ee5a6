"""Conformance checks for user definitions: :func:`check_layer`, :func:`check_loss`,
:func:`check_metric` run polyframe's own checks (numpy reference, finite-difference gradients,
parameter and spec round trips) on every installed backend and return a readable report."""

from polyframe.testing.arrays import as_native as as_native
from polyframe.testing.check_layer import check_layer as check_layer
from polyframe.testing.check_loss import check_loss as check_loss
from polyframe.testing.check_loss import check_metric as check_metric
from polyframe.testing.report import Report as Report
