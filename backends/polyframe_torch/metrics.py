"""Device-side metric counts in torch (confusion matrix, top-k hits, AUC score histograms);
``polyframe.metrics.compute`` turns them into metric values on the host."""

from __future__ import annotations

import torch

from polyframe.metrics import MetricPlan, custom_key, custom_metric


def zeros(plan: MetricPlan, device: torch.device) -> dict[str, torch.Tensor]:
    """Fresh int64 counters for ``plan`` (per output: keyed ``'<out>/<counter>'``)."""
    if hasattr(plan, "split"):  # polyframe.multi_io.OutputMetrics
        return {
            f"{name}/{k}": v
            for name, p in zip(plan.names, plan.plans, strict=True)
            for k, v in zeros(p, device).items()
        }
    c = plan.classes
    out = {}
    if plan.correct:
        out["correct"] = torch.zeros((), dtype=torch.int64, device=device)
    if plan.confusion:
        out["confusion"] = torch.zeros((c, c), dtype=torch.int64, device=device)
    if plan.ks:
        out["topk"] = torch.zeros(len(plan.ks), dtype=torch.int64, device=device)
    if plan.auc_bins:
        out["hist"] = torch.zeros((c, 2, plan.auc_bins), dtype=torch.int64, device=device)
    for name, shape in zip(plan.custom, plan.custom_shapes, strict=True):
        out[custom_key(name)] = torch.zeros(shape, dtype=torch.float32, device=device)
    return out


def _class_view(plan: MetricPlan, out: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """(labels, predictions) as int64 class ids, and logits (N, C)."""
    out = out.float().reshape(out.shape[0], -1)
    if plan.binary:
        labels = (y.reshape(-1) > 0.5).long()
        preds = (out[:, 0] > 0).long()
        return labels, preds, out
    labels = y.argmax(dim=1) if y.dim() == 2 else y.long()
    return labels, out.argmax(dim=1), out


def add_counts(
    plan: MetricPlan, acc: dict[str, torch.Tensor], out: torch.Tensor, y: torch.Tensor
) -> None:
    """Add one batch's counts to ``acc`` in place (no host sync); per output, ``out`` and
    ``y`` are lists in output order."""
    if hasattr(plan, "split"):  # polyframe.multi_io.OutputMetrics
        for p, sub, o, t in zip(plan.plans, plan.split(acc), out, y, strict=True):
            if sub:
                add_counts(p, sub, o, t)
        return
    for name in plan.custom:  # registered metrics: their pf.ops update, summed on the device
        acc[custom_key(name)].add_(custom_metric(name).update(y, out.float()).float())
    if not plan.builtin:
        return
    c = plan.classes
    labels, preds, logits = _class_view(plan, out, y)
    if plan.correct:
        acc["correct"].add_((preds == labels).sum())
    if plan.confusion:
        _count(acc["confusion"], labels * c + preds)
    if plan.ks:
        # rank of the label's logit = classes scoring strictly higher (ties count as hits)
        rank = (logits > logits.gather(1, labels[:, None])).sum(dim=1)
        acc["topk"].add_(torch.stack([(rank < k).sum() for k in plan.ks]))
    if plan.auc_bins:
        if plan.binary:
            p1 = torch.sigmoid(logits[:, 0])
            scores = torch.stack([1 - p1, p1], dim=1)
        else:
            scores = torch.softmax(logits, dim=1)
        b = plan.auc_bins
        bins = (scores * b).long().clamp_(0, b - 1)
        cls = torch.arange(c, device=out.device)
        pos = (labels[:, None] == cls[None, :]).long()
        idx = (cls[None, :] * 2 + pos) * b + bins
        _count(acc["hist"], idx.reshape(-1))


def _count(acc: torch.Tensor, idx: torch.Tensor) -> None:
    """``acc.flat[idx] += 1`` per index (``index_add_``: unlike ``bincount`` on CUDA, it needs
    no host read of the output size)."""
    acc.view(-1).index_add_(0, idx, torch.ones_like(idx))
