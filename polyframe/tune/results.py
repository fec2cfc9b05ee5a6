"""What a study leaves behind: the best parameters, the best spec as YAML (ready for
``polyframe train``), a trials table (CSV), a JSON summary and PNG plots."""

from __future__ import annotations

import csv
import json
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyframe.errors import ConfigError
from polyframe.tune.apply import RunConfig, apply_values
from polyframe.tune.space import SearchSpace

#: Files written by :meth:`TuneResult.save` and :meth:`TuneResult.plot`.
SPEC_FILE, TRIALS_FILE, SUMMARY_FILE = "best_spec.yaml", "trials.csv", "best.json"
HISTORY_PNG, IMPORTANCE_PNG = "optimization_history.png", "param_importances.png"


def finished_states() -> tuple[Any, ...]:
    """Trial states that count towards ``trials``: complete and pruned."""
    from optuna.trial import TrialState

    return (TrialState.COMPLETE, TrialState.PRUNED)


@dataclass
class TuneResult:
    """The outcome of :func:`polyframe.tune`. ``study`` is the Optuna study itself."""

    study: Any
    best_params: dict[str, Any]
    best_value: float
    monitor: str
    best_spec: Any
    best_run: RunConfig
    epochs: int
    seed: int

    @classmethod
    def from_study(
        cls,
        study: Any,
        spec: Any,
        space: SearchSpace,
        base: RunConfig,
        epochs: int,
        seed: int,
        monitor: str,
    ) -> TuneResult:
        """Rebuild the best trial's spec and settings from its stored parameters."""
        from optuna.trial import TrialState

        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if not complete:
            counts = {s.name.lower(): 0 for s in TrialState}
            for t in study.get_trials(deepcopy=False):
                counts[t.state.name.lower()] += 1
            errors = {t.user_attrs["error"] for t in study.trials if "error" in t.user_attrs}
            raise ConfigError(
                f"study {study.study_name!r}: no trial completed ({counts['pruned']} pruned, "
                f"{counts['fail']} failed{': ' + '; '.join(sorted(errors)[:2]) if errors else ''})"
                "; widen the space, raise --epochs, or use --pruner none"
            )
        best = study.best_trial
        best_spec, run = apply_values(spec, space, best.params, base)
        return cls(
            study, dict(best.params), float(best.value), monitor, best_spec, run, epochs, seed
        )

    @property
    def counts(self) -> dict[str, int]:
        """How many trials ended in each state (``complete``, ``pruned``, ``fail``, ...)."""
        out: dict[str, int] = {}
        for t in self.study.get_trials(deepcopy=False):
            out[t.state.name.lower()] = out.get(t.state.name.lower(), 0) + 1
        return out

    def trial_rows(self) -> list[dict[str, Any]]:
        """One row per trial: number, state, value, epochs run, backend, seconds, parameters."""
        names: list[str] = []
        for t in self.study.trials:
            names += [k for k in t.params if k not in names]
        rows = []
        for t in self.study.trials:
            row = {
                "number": t.number,
                "state": t.state.name.lower(),
                self.monitor: t.value,
                "epochs": t.user_attrs.get("epochs"),
                "backend": t.user_attrs.get("backend", self.best_run.backend),
                "seconds": t.user_attrs.get("seconds"),
            }
            row.update({f"params.{k}": t.params.get(k) for k in names})
            rows.append(row)
        return rows

    def train_command(self, spec_path: str | Path) -> str:
        """The ``polyframe train`` command that trains the best spec with the best settings
        (on the whole training split, evaluated on the test split)."""
        run = self.best_run
        args = [
            "polyframe", "train", str(spec_path),
            "--backend", str(run.backend or self.best_params.get("backend", "all")),
            "--epochs", str(self.epochs), "--batch-size", str(run.batch_size),
            "--lr", repr(float(run.optimizer_args.get("lr", 2e-3))),
            "--optimizer", run.optimizer, "--seed", str(self.seed),
        ]  # fmt: skip
        return shlex.join(args)

    def to_dict(self, spec_path: str | Path | None = None) -> dict[str, Any]:
        """A JSON-ready summary."""
        opt = self.best_run.make_optimizer()
        extra = sorted(k for k in vars(opt) if k != "lr")
        out = {
            "study": self.study.study_name,
            "monitor": self.monitor,
            "best_value": self.best_value,
            "best_trial": self.study.best_trial.number,
            "best_params": self.best_params,
            "backend": self.best_run.backend,
            "optimizer": {"name": opt.name, **vars(opt)},
            "batch_size": self.best_run.batch_size,
            "epochs": self.epochs,
            "seed": self.seed,
            "trials": self.counts,
            "best_spec": self.best_spec.to_dict(),
        }
        if spec_path is not None:
            out["train_command"] = self.train_command(spec_path)
            if any(getattr(opt, k) != getattr(type(opt)(lr=opt.lr), k) for k in extra):
                out["train_note"] = (
                    f"polyframe train sets only --optimizer and --lr; build {opt!r} with "
                    "pf.Trainer to reproduce the other optimizer arguments"
                )
        return out

    def save(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``best_spec.yaml``, ``trials.csv`` and ``best.json`` into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "spec": out / SPEC_FILE,
            "trials": out / TRIALS_FILE,
            "summary": out / SUMMARY_FILE,
        }
        self.best_spec.to_yaml(paths["spec"])
        rows = self.trial_rows()
        with paths["trials"].open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        summary = self.to_dict(paths["spec"])
        paths["summary"].write_text(json.dumps(summary, indent=2, default=str) + "\n")
        return paths

    def plot(self, out_dir: str | Path) -> dict[str, Path]:
        """PNG plots through Optuna's matplotlib visualizations: the optimization history and
        the parameter importances (PED-ANOVA: needs no scikit-learn)."""
        import warnings

        if "matplotlib.pyplot" not in sys.modules:
            import matplotlib

            matplotlib.use("Agg")  # files only; never open a window
        import matplotlib.pyplot as plt
        import optuna

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        vis = optuna.visualization.matplotlib
        paths = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # these plots are marked experimental
            ax = vis.plot_optimization_history(self.study, target_name=self.monitor)
            paths["history"] = _save(plt, ax, out / HISTORY_PNG)
            if len(self.best_params) and self.counts.get("complete", 0) >= 2:
                evaluator = optuna.importance.PedAnovaImportanceEvaluator()
                ax = vis.plot_param_importances(
                    self.study, evaluator=evaluator, target_name=self.monitor
                )
                paths["importances"] = _save(plt, ax, out / IMPORTANCE_PNG)
        return paths


def _save(plt: Any, ax: Any, path: Path) -> Path:
    fig = ax.figure
    fig.set_size_inches(8, 5)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
