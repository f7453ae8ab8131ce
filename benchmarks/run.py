"""Run the course benchmarks, print a table and merge the figures into benchmarks/results.json.

Every figure is measured in this run on this machine; each speedup's baseline is timed alongside.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import landscape  # noqa: E402

RESULTS = HERE / "results.json"
#: (key, bar description, check) for the figures that have a bar to meet.
BARS = {
    "landscape_speedup_n50": (">= 50x", lambda v: v >= 50),
    "landscape_speedup_n1000": (">= 200x", lambda v: v >= 200),
}


def machine() -> dict[str, str | int]:
    import os

    return {"python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.machine(), "cores": os.cpu_count() or 0}


def main() -> int:
    suites = [("landscape", landscape.run)]
    results: dict[str, object] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for name, run in suites:
        start = time.perf_counter()
        print(f"running {name} ...", flush=True)
        results.update(run())
        print(f"  {time.perf_counter() - start:.1f} s", flush=True)
    results["machine"] = machine()
    results["measured_at"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")

    print(f"\n{'figure':<34} {'value':>12}  bar")
    failed = []
    for key in sorted(k for k, v in results.items() if isinstance(v, (int, float))):
        bar, ok = BARS.get(key, ("", None))
        verdict = "" if ok is None else ("met" if ok(results[key]) else "NOT MET")
        if verdict == "NOT MET":
            failed.append(key)
        print(f"{key:<34} {results[key]:>12.4g}  {bar} {verdict}")
    print(f"\nwrote {RESULTS}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
