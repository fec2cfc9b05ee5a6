"""A benchmark result as a markdown report: the headline ratio table, then the details."""

from __future__ import annotations

from typing import Any

_OTHERS = ("tuned", "docs", "keras")
_LABEL = {
    "polyframe": "polyframe",
    "tuned": "native tuned",
    "docs": "native docs",
    "keras": "Keras 3 fit",
}


_INTRO = {
    "suites": "Median step time (ms) and median per-window ratio polyframe / other (< 1: "
    "polyframe faster; ✗: target missed, <= 1.05 vs native, <= 1.0 vs Keras 3).",
    "overhead": "The overhead curve: median step time (us) of polyframe and of the native "
    "loop, the median per-round difference (what polyframe adds per step, us) and the median "
    "per-window ratio (✗: above the 1.05 target).",
    "spec": "polyframe on every backend (median step time over the windows, min–max; first "
    "step = build and compile; peak RSS of the worker process).",
}


def _ms(group: dict[str, Any], impl: str) -> str:
    r = group["implementations"].get(impl)
    return f"{r['step_ms']['median']:.2f}" if r else "–"


def _ratio(group: dict[str, Any], other: str) -> str:
    r = group["ratios"].get(f"polyframe/{other}")
    if r is None:
        return "–"
    met = group["targets"][f"polyframe/{other}"]["met"]
    return f"{r['median']:.3f}" + ("" if met else " ✗")


def headline(result: dict[str, Any]) -> str:
    """The table of median step times (ms) and polyframe / other ratios per suite and backend
    (✗ marks a missed target: <= 1.05 vs native, <= 1.0 vs Keras); for the overhead curve,
    its table (:mod:`polyframe.bench.overhead`); for a user's spec, the backends' table and
    the fastest one (:mod:`polyframe.bench.spec_report`)."""
    mode = result.get("mode", "suites")
    if mode == "overhead":
        from polyframe.bench.overhead import table

        return table(result)
    if mode == "spec":
        from polyframe.bench.spec_report import table

        return table(result)
    lines = [
        "| suite | backend | polyframe ms | tuned ms | docs ms | Keras ms "
        "| polyframe/tuned | polyframe/docs | polyframe/keras |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for g in result["groups"]:
        cells = [
            g["suite"],
            g["backend"],
            *(_ms(g, i) for i in ("polyframe", *_OTHERS)),
            *(_ratio(g, o) for o in _OTHERS),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cpu_table(result: dict[str, Any]) -> str:
    """Median per-window ratios of process CPU time (every thread): what each implementation
    costs in work, nearly untouched by other processes competing for the cores."""
    lines = [
        "| suite | backend | CPU polyframe/tuned | CPU polyframe/docs | CPU polyframe/keras |",
        "|---|---|---:|---:|---:|",
    ]
    for g in result["groups"]:
        cells = [g["suite"], g["backend"]]
        for o in _OTHERS:
            r = g.get("cpu_ratios", {}).get(f"polyframe/{o}")
            cells.append(f"{r['median']:.3f}" if r else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _details(result: dict[str, Any]) -> list[str]:
    lines = [
        "| suite | backend | implementation | step ms (min–max) | steps/s | samples/s "
        "| GFLOP/s | % of peak | first step s | peak RSS MB | version |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for g in result["groups"]:
        for name, r in g["implementations"].items():
            s = r["step_ms"]
            lines.append(
                f"| {g['suite']} | {g['backend']} | {_LABEL.get(name, name)} "
                f"| {s['median']:.2f} ({s['min']:.2f}–{s['max']:.2f}) | {r['steps_per_s']:.0f} "
                f"| {r['samples_per_s']:.0f} | {r['gflops']:.1f} | {100 * r['peak_fraction']:.0f} "
                f"| {r['first_step_s']:.2f} | {r['peak_rss_mb']:.0f} | {r['version']} |"
            )
    return lines


def markdown(result: dict[str, Any]) -> str:
    """The whole report: machine, headline table, details, import and training times."""
    m, c = result["machine"], result["config"]
    out = [
        "# polyframe bench",
        "",
        f"{result['created']} · {m['cpu']}, {m['cores']} cores, {m['threads']} threads · "
        f"float32 matmul peak {m['matmul_peak_gflops']:.0f} GFLOP/s · load average "
        f"{m['load_before']} before, {m['load_after']} after · {c['rounds']} interleaved "
        f"windows per implementation, {c['warmup_steps']}+ warm-up steps · "
        f"{result['elapsed_s']:.0f} s"
        + (f" · every worker with {m['allocator']}" if m.get("allocator") else ""),
        "",
        _INTRO[result.get("mode", "suites")],
        "",
        headline(result),
        "",
        "CPU-time ratios (process CPU seconds per window, all threads: the work done, nearly "
        "untouched by other processes competing for the cores):",
        "",
        cpu_table(result),
        "",
        "## Details",
        "",
        *_details(result),
    ]
    if "import" in result:
        imp = result["import"]
        loaded = ", ".join(imp["frameworks_loaded"]) or "none"
        out += [
            "",
            f"`import polyframe`: {imp['median_ms']:.0f} ms median (min "
            f"{imp['min_ms']:.0f} ms; target 150 ms); frameworks loaded: {loaded}.",
        ]
    if result.get("train"):
        out += [
            "",
            "## `polyframe train` on digits: time to 97% test accuracy",
            "",
            "| backend | reached | fit s | epochs | test accuracy | whole process s |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for t in result["train"]:
            if "seconds" not in t:
                out.append(f"| {t['backend']} | no ({t.get('error', '')[:60]}) | | | | |")
                continue
            out.append(
                f"| {t['backend']} | {'yes' if t['reached'] else 'no'} "
                f"| {t['seconds']:.2f} | {t['epochs']} | {t['test_accuracy']:.4f} "
                f"| {t['process_s']:.1f} |"
            )
    return "\n".join(out) + "\n"
