#!/usr/bin/env python3
"""Turns criterion's results into a Markdown table of medians and ratios and an SVG bar
chart, for the workload groups of benches/peers.rs, encoding.rs and middleware.rs (group
names starting with a digit).

Usage (from the workspace root, after `cargo bench -p prom-kit-benches`):
    python3 benches/report.py [--criterion target/criterion] [--memory memory.txt] \
        [--scrape scrape.txt] [--preamble notes.md] [--instructions FILE] \
        [--markdown benches/RESULTS.md] [--svg benches/results.svg] [--title TEXT]

`--memory` takes the output of `cargo bench -p prom-kit-benches --bench memory` (the
per-library table, `Family` and `CompactFamily` by how their series share label values,
and prom-kit's bytes per series by family size), `--instructions` the committed
instruction counts (`benches/instructions.json`, the default), `--scrape` that of
`--bench scrape_memory` (included as it is), `--preamble` Markdown put under the title
(the machine, the framework versions). Groups named `9_scaling_*` hold one entry per size
(`function/size`) and are shown per series, as a table and as bars.
Ratios compare each entry with prom-kit's default path in its group (`prom_kit`,
else `prom_kit_text`, else `prom_kit_str`; the table names it), so a ratio above 1
means slower than prom-kit.
"""

import argparse
import json
import os
import re
from html import escape


def load(criterion):
    groups = {}
    for group in sorted(os.listdir(criterion)):
        if not group[:1].isdigit():
            continue
        entries = {}
        root = os.path.join(criterion, group)
        for bench in sorted(os.listdir(root)):
            candidates = [(bench, os.path.join(root, bench, "new", "estimates.json"))]
            # Parameterized benchmarks (`function/size`) sit one level deeper.
            if os.path.isdir(os.path.join(root, bench)):
                for param in sorted(os.listdir(os.path.join(root, bench))):
                    candidates.append((f"{bench}/{param}", os.path.join(root, bench, param, "new", "estimates.json")))
            for name, path in candidates:
                if os.path.exists(path):
                    with open(path) as f:
                        entries[name] = json.load(f)["median"]["point_estimate"]
        if entries:
            groups[group] = entries
    return groups


def is_scaling(group):
    return group.startswith("9_scaling")


def scaling_markdown(group, entries):
    encode = "encode" in group
    lines = [f"## {group}", ""]
    if encode:
        lines += ["| format / series | median per scrape | per series |", "|---|---:|---:|"]
    else:
        lines += ["| lookup / family size | median per lookup |", "|---|---:|"]
    def key(item):
        function, size = item[0].rsplit("/", 1)
        return (function, int(size))
    for name, ns in sorted(entries.items(), key=key):
        if encode:
            size = int(name.rsplit("/", 1)[1])
            lines.append(f"| {name} | {human(ns)} | {human(ns / size)} |")
        else:
            lines.append(f"| {name} | {human(ns)} |")
    lines.append("")
    return lines


def human(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.2f} ns"


# The prom-kit entry each group's ratios are taken against: its default path.
PREFERRED_REFERENCES = ("prom_kit", "prom_kit_text", "prom_kit_str")


def reference(entries):
    """The name of the entry the group's ratios are taken against, or None."""
    for name in PREFERRED_REFERENCES:
        if name in entries:
            return name
    ours = sorted(name for name in entries if name.startswith("prom_kit"))
    return ours[0] if ours else None


# What one benchmark of each instruction-count group does: an update benchmark runs 1,000
# operations, a middleware one 100 requests, an encoding one a whole exposition.
PER_RUN = {"updates": 1000, "middleware": 100}


def instructions_markdown(counts):
    """Instructions per operation from the committed baseline (benches/instructions.json),
    with each path set against its reference: the middleware against the framework
    without it, an encoding against its floor."""
    lines = ["## Instructions per operation (callgrind)", "",
             "Counted under valgrind by `benches/benches/instructions.rs` (identical from run",
             "to run; `.ci/instructions` holds every path to `benches/instructions.json`).", ""]
    by_group = {}
    for name, total in counts.items():
        group, bench = name.split("::", 1)
        by_group.setdefault(group, {})[bench] = total / PER_RUN.get(group.split("_")[0], 1)
    titles = {"updates": "per operation", "middleware": "per request",
              "encoding": "per exposition (10k counters + 1k histograms)",
              "encoding_1m": "per exposition (1M counters + 100k histograms)"}
    for group in ("updates", "middleware", "encoding", "encoding_1m"):
        entries = by_group.get(group)
        if not entries:
            continue
        lines += [f"### {group} ({titles[group]})", "", "| path | instructions | against |", "|---|---:|---:|"]
        for bench, value in entries.items():
            against = ""
            if group == "middleware" and not bench.endswith("_none"):
                framework = bench.rsplit(" ", 1)[1].split("_")[0]
                none = entries.get(f"per_request {framework}_none")
                if none:
                    against = f"{value - none:+,.0f} over no layer"
            if group.startswith("encoding") and "floor" not in bench:
                floor = next((v for b, v in entries.items() if "floor" in b), None)
                if floor:
                    against = f"{value / floor:.2f}x the floor"
            shown = f"{value:,.0f}" if value >= 100 else f"{value:.1f}"
            lines.append(f"| {bench} | {shown} | {against} |")
        lines.append("")
    return lines


def markdown(groups, memory, title, scaling_memory=None, scrape="", preamble="", instructions=None, sharing=None):
    lines = [f"# {title}", ""]
    if preamble:
        lines += [preamble.strip(), ""]
    if instructions:
        lines += instructions_markdown(instructions)
    lines += ["Median time per operation (criterion); ratio = time / the named prom-kit entry's time.", ""]
    for group, entries in groups.items():
        if is_scaling(group):
            lines += scaling_markdown(group, entries)
            continue
        name_of_base = reference(entries)
        base = entries[name_of_base] if name_of_base else None
        lines += [f"## {group}", "", f"| benchmark | median | ratio to {name_of_base or 'prom-kit'} |", "|---|---:|---:|"]
        for name, ns in sorted(entries.items(), key=lambda kv: kv[1]):
            ratio = f"{ns / base:.2f}x" if base else "–"
            lines.append(f"| {name} | {human(ns)} | {ratio} |")
        lines.append("")
    if memory:
        lines += ["## 6_memory_bytes_per_series", "", "| library | bytes per series |", "|---|---:|"]
        for name, value in memory:
            lines.append(f"| {name} | {value:.1f} |")
        lines.append("")
    if sharing:
        lines += ["## 6_memory_by_value_sharing", "",
                  "| label values (100,000 series) | `Family` bytes per series | `CompactFamily` bytes per series | saved |",
                  "|---|---:|---:|---:|"]
        for row in sharing:
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    if scaling_memory:
        lines += ["## 9_scaling_memory", "",
                  "| series in the family | `Family` bytes per series | `CompactFamily` bytes per series |",
                  "|---:|---:|---:|"]
        for size in sorted(scaling_memory):
            row = scaling_memory[size]
            cells = [f"{row[kind]:.1f}" if kind in row else "–" for kind in ("family", "compact")]
            lines.append(f"| {size} | {cells[0]} | {cells[1]} |")
        lines.append("")
    if scrape:
        lines += ["## 10_scrape_1m_series", "", "```", scrape.strip(), "```", ""]
    return "\n".join(lines)


def svg(groups, title):
    """One horizontal bar chart per group, bars scaled to the group's slowest entry."""
    width, bar, gap, label = 900, 16, 4, 260
    rows = []
    y = 40
    for group, entries in groups.items():
        if is_scaling(group) and "encode" in group:
            # Per series: flat bars mean a flat per-series cost.
            entries = {name: ns / int(name.rsplit("/", 1)[1]) for name, ns in entries.items()}
            group = f"{group} (per series)"
        rows.append(f'<text x="10" y="{y}" font-weight="bold">{escape(group)}</text>')
        y += 10
        slowest = max(entries.values())
        for name, ns in sorted(entries.items(), key=lambda kv: kv[1]):
            length = max(1.0, (width - label - 120) * ns / slowest)
            color = "#2b7bb9" if name.startswith("prom_kit") else ("#999" if name.startswith(("floor", "baseline", "no_")) else "#e08a3c")
            rows.append(f'<text x="10" y="{y + bar - 4}" font-size="12">{escape(name)}</text>')
            rows.append(f'<rect x="{label}" y="{y}" width="{length:.1f}" height="{bar}" fill="{color}"/>')
            rows.append(f'<text x="{label + length + 6:.1f}" y="{y + bar - 4}" font-size="12">{escape(human(ns))}</text>')
            y += bar + gap
        y += 20
    header = f'<text x="10" y="20" font-size="16" font-weight="bold">{escape(title)}</text>'
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" font-family="sans-serif">'
            f'<rect width="100%" height="100%" fill="white"/>{header}{"".join(rows)}</svg>\n')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--criterion", default="target/criterion")
    parser.add_argument("--memory")
    parser.add_argument("--scrape")
    parser.add_argument("--preamble")
    parser.add_argument("--instructions", default="benches/instructions.json")
    parser.add_argument("--markdown", default="benches/RESULTS.md")
    parser.add_argument("--svg", default="benches/results.svg")
    parser.add_argument("--title", default="prom-kit benchmarks")
    args = parser.parse_args()
    groups = load(args.criterion)
    memory, scaling_memory, sharing = [], {}, []
    if args.memory:
        with open(args.memory) as f:
            for line in f:
                if line.startswith("sharing | "):
                    sharing.append([cell.strip() for cell in line.split("|")[1:]])
                    continue
                match = re.match(r"scaling (compact )?(\d+) series ([\d.]+) bytes/series", line)
                if match:
                    kind = "compact" if match.group(1) else "family"
                    scaling_memory.setdefault(int(match.group(2)), {})[kind] = float(match.group(3))
                    continue
                match = re.match(r"(\S+)\s+([\d.]+) bytes/series", line)
                if match:
                    memory.append((match.group(1), float(match.group(2))))
    scrape = open(args.scrape).read() if args.scrape else ""
    preamble = open(args.preamble).read() if args.preamble else ""
    with open(args.markdown, "w") as f:
        instructions = None
        if args.instructions and os.path.exists(args.instructions):
            with open(args.instructions) as counts:
                instructions = json.load(counts)
        f.write(markdown(groups, memory, args.title, scaling_memory, scrape, preamble, instructions, sharing))
    with open(args.svg, "w") as f:
        f.write(svg(groups, args.title))
    print(f"{len(groups)} groups -> {args.markdown}, {args.svg}")


if __name__ == "__main__":
    main()
