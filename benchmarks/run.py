"""Run the course benchmarks, print a table and merge the figures into benchmarks/results.json.

Every figure is measured in this run on this machine; each speedup's baseline is timed alongside.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import browser  # noqa: E402
import interactive  # noqa: E402
import landscape  # noqa: E402
import notebooks  # noqa: E402

RESULTS = HERE / "results.json"
#: (key, bar description, check) for the figures that have a bar to meet.
#: A bar whose key is missing from the results (its suite failed to measure it) is not met.
BARS = {
    "landscape_speedup_n50": (">= 50x", lambda v: v >= 50),
    "landscape_speedup_n1000": (">= 200x", lambda v: v >= 200),
    "widget_latency_ms_median": ("< 50 ms", lambda v: v < 50),
    "explorer_drag_updates_per_s": (">= 10 pictures/s", lambda v: v >= 10),
    "explorer_browser_latency_ms_p95": ("< 150 ms", lambda v: v < 150),
    "course_exec_over_floor": ("<= 2.0", lambda v: v <= 2.0),
    "slides_build_s": ("`make slides` succeeds", lambda v: v > 0),
}
SUITES = {"landscape": landscape.run, "interactive": interactive.run, "browser": browser.run,
          "notebooks": notebooks.run}


def machine() -> dict[str, object]:
    return {"python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.machine(), "cores": os.cpu_count() or 0,
            # Other processes slow every figure down: the 1/5/15-minute load averages at the end.
            "load_average": [round(load, 2) for load in os.getloadavg()]}


def main(argv: list[str]) -> int:
    """``run.py`` runs every suite and rewrites results.json; ``run.py NAME ...`` runs only those
    suites and merges their figures into it (for development: a full run is the one to report)."""
    unknown = [name for name in argv if name not in SUITES]
    if unknown:
        print(f"unknown suite(s) {unknown}; the suites are {sorted(SUITES)}", file=sys.stderr)
        return 2
    chosen = argv or list(SUITES)
    results: dict[str, object] = {}
    if argv and RESULTS.exists():
        results = json.loads(RESULTS.read_text())
    for name, run in ((name, SUITES[name]) for name in chosen):
        start = time.perf_counter()
        print(f"running {name} ... (load average {os.getloadavg()[0]:.2f})", flush=True)
        results.update(run())
        print(f"  {time.perf_counter() - start:.1f} s", flush=True)
    results["machine"] = machine()
    results["measured_at"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")

    print(f"\n{'figure':<34} {'value':>12}  bar")
    for key in sorted(results):
        value = results[key]
        if isinstance(value, dict) and all(isinstance(v, (int, float)) for v in value.values()):
            for part, number in value.items():
                print(f"{key + '.' + part:<34} {number:>12.4g}")
        elif isinstance(value, (int, float)):
            bar, ok = BARS.get(key, ("", None))
            verdict = "" if ok is None else ("met" if ok(value) else "NOT MET")
            print(f"{key:<34} {value:>12.4g}  {bar} {verdict}")
        elif key.endswith("_error") and value:
            print(f"{key:<34} {value}")
    print(f"\nwrote {RESULTS}\n")
    failed = []
    for key, (bar, ok) in BARS.items():
        value = results.get(key)
        met = isinstance(value, (int, float)) and ok(value)
        if not met:
            failed.append(key)
        shown = "missing" if value is None else f"{value:.4g}"
        print(f"bar {'met    ' if met else 'NOT MET'}  {key} {bar} (measured: {shown})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
