"""The report of :func:`polyframe.testing.check_layer` and friends: one row per check."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Check:
    """One check on one backend (``backend='-'`` for backend-free checks): the measured
    ``error`` against ``tolerance``, whether it passed, and a note."""

    backend: str
    name: str
    error: float
    tolerance: float
    ok: bool
    note: str = ""


@dataclass
class Report:
    """Every check of one definition; ``str(report)`` is a readable table."""

    subject: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(c.ok for c in self.checks)

    @property
    def backends(self) -> list[str]:
        """The backends checked."""
        return sorted({c.backend for c in self.checks} - {"-"})

    def add(self, backend: str, name: str, error: float, tolerance: float, note: str = "") -> None:
        """Record a check that passes when ``error <= tolerance``."""
        ok = bool(error <= tolerance)  # NaN fails
        self.checks.append(Check(backend, name, float(error), float(tolerance), ok, note))

    def failures(self) -> list[Check]:
        """The checks that failed."""
        return [c for c in self.checks if not c.ok]

    def __str__(self) -> str:
        lines = [f"{self.subject}: {'all checks passed' if self.ok else 'FAILED'}"]
        for c in self.checks:
            mark = "ok  " if c.ok else "FAIL"
            lines.append(
                f"  {mark} {c.backend:<10} {c.name:<22} {c.error:9.2e} <= {c.tolerance:.0e}"
                + (f"  ({c.note})" if c.note else "")
            )
        return "\n".join(lines)
