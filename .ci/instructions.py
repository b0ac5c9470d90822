"""Compares gungraun's JSON summary (one benchmark a line) with the committed baseline.

Usage: instructions.py SUMMARY BASELINE [--update]

A path may grow by its tolerance before the check fails: 5 % for the update paths
(their counts move by under 1 % from run to run), 15 % for encoding (the per-process
hash seed changes the shards' order and the hash tables' probes: up to +6 % seen
between runs of one binary). Shrinking never fails; it is reported, so that the baseline can be
lowered with the change that earned it.
"""

import json
import sys

TOLERANCE = {"encoding": 0.15}
DEFAULT_TOLERANCE = 0.05


def measured(path):
    counts = {}
    with open(path) as summary:
        for line in summary:
            if not line.strip():
                continue
            bench = json.loads(line)
            name = bench["module_path"].removeprefix("instructions::")
            if bench.get("id"):
                name += " " + bench["id"]
            counts[name] = bench["profiles"][0]["data"]["total"]["metrics"]["Ir"]["values"]["new"]
    return counts


def main():
    summary, baseline_path = sys.argv[1], sys.argv[2]
    update = len(sys.argv) > 3 and sys.argv[3] == "--update"
    counts = measured(summary)
    if not counts:
        sys.exit("no benchmark results in the summary")
    if update:
        with open(baseline_path, "w") as out:
            json.dump(dict(sorted(counts.items())), out, indent=2)
            out.write("\n")
        print(f"wrote {len(counts)} instruction counts to {baseline_path}")
        return
    with open(baseline_path) as f:
        baseline = json.load(f)
    failures = []
    print(f"{'path':<44} {'baseline':>12} {'now':>12} {'change':>8}")
    for name in sorted(set(counts) | set(baseline)):
        if name not in baseline:
            failures.append(f"{name}: no baseline (run .ci/instructions --update)")
            continue
        if name not in counts:
            failures.append(f"{name}: in the baseline but not measured")
            continue
        old, new = baseline[name], counts[name]
        change = (new - old) / old
        print(f"{name:<44} {old:>12} {new:>12} {change:>+8.1%}")
        group = name.split("::")[0]
        if change > TOLERANCE.get(group, DEFAULT_TOLERANCE):
            failures.append(f"{name}: {old} -> {new} instructions ({change:+.1%})")
    if failures:
        print("\n".join(["instruction counts grew past their tolerance:"] + failures))
        sys.exit(1)


main()
