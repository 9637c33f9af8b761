#!/usr/bin/env python3
"""bench/curves.py: cost curves (`make bench-curves`, `make bench-curves QUICK=1`).

How the cost of mpc grows beside C's and Python's as one size grows:

  spawn  processes started and joined all at once: 1 to 1,000
  queue  producers = consumers: 1 to 16, on one queue of ints
  size   one message over a one-way pipe: 8 B to 64 MiB

Each point is a row of bench/run.py (the same programs, the same
interleaving, baseline subtraction and result checks), so a point here
and a row of `make bench` measure alike. Prints one markdown table per
curve and writes an SVG plot per curve, drawn by gnuplot, into
bench/curves/ (the data and the gnuplot script stay in
build/bench/curves/).

usage: python3 bench/curves.py [--quick] [--reps N] [--only spawn,queue,size]
                               [--plots DIR]
Only the standard library is used; gnuplot draws the plots
(`make bench-curves` installs it when missing).
"""
import argparse
import datetime
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("bench_run", os.path.join(HERE, "run.py"))
run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run)

DATA = os.path.join(run.OUT, "curves")


# ---------------------------------------------------------------------------
# The curves: each point a run.Metric
# ---------------------------------------------------------------------------

def spawn_point(n, quick):
    # rounds keep n * rounds near a fixed number of processes per run
    total_c, total_py = (400, 100) if quick else (2000, 300)
    return run.M("spawn", f"{n} at once", "us/proc", "cost", 1e-6,
                 lambda p: p["n"] * p["rounds"] * (p["seq"] + p["group"]),
                 dict(n=n, seq=0, group=1),
                 compiled=dict(rounds=max(1, total_c // n)),
                 py=dict(rounds=max(1, total_py // n)),
                 base=dict(seq=0, group=0))


def queue_point(k, quick):
    total_c, total_py = (1000000, 20000) if quick else (4000000, 100000)
    return run.M("queue", f"{k}/{k}", "M items/s", "rate", 1e6,
                 lambda p: p["producers"] * p["items"],
                 dict(producers=k, consumers=k),
                 compiled=dict(items=max(1, total_c // k)),
                 py=dict(items=max(1, total_py // k)),
                 base=dict(items=0))


def size_point(size, quick):
    # bytes per run, and at most this many messages (small sizes)
    bytes_c, bytes_py, most = ((64 << 20, 16 << 20, 50000) if quick
                               else (256 << 20, 64 << 20, 200000))
    msgs = lambda total: max(2, min(most, total // size))
    return run.M("pipe", f"{size} B", "MB/s", "rate", 1e6,
                 lambda p: p["rounds"] + p["messages"] * p["size"],
                 dict(rounds=0, size=size),
                 compiled=dict(messages=msgs(bytes_c)),
                 py=dict(messages=msgs(bytes_py)),
                 base=dict(rounds=0, messages=0))


def human_bytes(n):
    for unit, k in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= k:
            return f"{n // k} {unit}"
    return f"{n} B"


# name: (x label, points, point builder, y label, y of a row's impl value)
CURVES = {
    "spawn": ("processes started at once", [1, 10, 100, 1000], spawn_point,
              "us per process", lambda x, v: v),
    "queue": ("producers = consumers", [1, 2, 4, 8, 16], queue_point,
              "ns per item", lambda x, v: 1e3 / v),
    "size": ("message size (bytes)", [8, 64, 512, 4096, 32768, 262144, 2 << 20,
                                     16 << 20, 64 << 20], size_point,
             "us per message", lambda x, v: x / v),
}


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

def write_table(name, xlabel, ylabel, rows):
    print(f"\n### {name}: {ylabel} by {xlabel}\n")
    print(f"| {xlabel} | mpc | C | Python | mpc/C | Py/mpc |")
    print("|---|---|---|---|---|---|")
    for x, row in rows:
        cells = []
        for impl in run.IMPLS:
            c = row[impl]
            cells.append(run.fmt(c["y"]) if "y" in c else c.get("fail", "-"))
        ratio = lambda r: run.fmt(r) if r is not None else "-"
        label = human_bytes(x) if name == "size" else str(x)
        print(f"| {label} | {' | '.join(cells)} | {ratio(row['mpc/C'])} | "
              f"{ratio(row['Py/mpc'])} |")


def write_plot(name, xlabel, ylabel, rows, plots):
    """gnuplot: one line per implementation, log-log; returns the SVG path
    or None."""
    os.makedirs(DATA, exist_ok=True)
    dat = os.path.join(DATA, f"{name}.dat")
    with open(dat, "w") as f:
        f.write("# x mpc C Python (NaN: no value)\n")
        for x, row in rows:
            ys = [row[i].get("y", float("nan")) for i in run.IMPLS]
            f.write(f"{x} " + " ".join(f"{y:.6g}" for y in ys) + "\n")
    if not shutil.which("gnuplot"):
        run.log(f"curves: gnuplot not found: no plot for {name} (data in {dat})")
        return None
    os.makedirs(plots, exist_ok=True)
    svg = os.path.join(plots, f"{name}.svg")
    gp = os.path.join(DATA, f"{name}.gp")
    lines = [
        "set terminal svg size 640,400 dynamic font 'sans,11'",
        f"set output '{svg}'",
        f"set title '{name}: {ylabel} (lower is better)'",
        f"set xlabel '{xlabel}'",
        f"set ylabel '{ylabel}'",
        "set logscale xy",
        "set grid",
        "set key top left",
        "set datafile missing 'nan'",
        f"plot '{dat}' using 1:2 with linespoints title 'mpc', "
        f"'' using 1:3 with linespoints title 'C', "
        f"'' using 1:4 with linespoints title 'Python'",
    ]
    with open(gp, "w") as f:
        f.write("\n".join(lines) + "\n")
    r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if r.returncode != 0:
        run.log(f"curves: gnuplot failed for {name}: {r.stderr.strip()}")
        return None
    return svg


def measure(name, quick, reps, timeout, builder, cache, logdir):
    xlabel, xs, point, ylabel, y_of = CURVES[name]
    rows = []
    for x in xs:
        metric = point(x, quick)
        cells = run.run_metric(builder, metric, quick, reps, timeout, cache, logdir)
        row = run.summarize(metric, cells)
        for impl in run.IMPLS:
            if "median" in row[impl]:
                row[impl]["y"] = y_of(x, row[impl]["median"])
        rows.append((x, row))
    return xlabel, ylabel, rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    default=os.environ.get("QUICK") not in (None, "", "0"))
    ap.add_argument("--reps", type=int, default=int(os.environ.get("REPS") or 0))
    ap.add_argument("--only", default=os.environ.get("ONLY", ""))
    ap.add_argument("--plots", default=os.path.join(HERE, "curves"))
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()
    reps = args.reps or (1 if args.quick else 3)
    names = [n for n in args.only.split(",") if n] or list(CURVES)
    for n in names:
        if n not in CURVES:
            sys.exit(f"curves: unknown curve '{n}' (have: {', '.join(CURVES)})")
    builder = run.Builder(os.environ.get("CC", "cc"))
    logdir = os.path.join(DATA, "logs")
    os.makedirs(logdir, exist_ok=True)
    load0 = os.getloadavg()[0]
    results = {n: measure(n, args.quick, reps, args.timeout, builder, {}, logdir)
               for n in names}
    load1 = os.getloadavg()[0]
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    m = run.machine()
    print(f"mpc cost curves: {when}; {m['nproc']} x {m['model']}; Linux {m['kernel']}; "
          f"{m['cc']}; Python {m['python']}; commit {m['commit']}; {reps} interleaved "
          f"repetitions per point; `make bench-curves{' QUICK=1' if args.quick else ''}`; "
          f"load average {load0:.1f} at the start, {load1:.1f} at the end")
    print("Values: medians; mpc/C and Py/mpc: paired ratios of the time per unit "
          "of work, as in `make bench`.")
    for n, (xlabel, ylabel, rows) in results.items():
        write_table(n, xlabel, ylabel, rows)
        svg = write_plot(n, xlabel, ylabel, rows, args.plots)
        if svg:
            print(f"\n![{n}]({os.path.relpath(svg, HERE)})")
    failed = [(n, x) for n, (_, _, rows) in results.items() for x, row in rows
              if any("fail" in row[i] for i in run.IMPLS)]
    if failed:
        run.log(f"curves: failed points: {failed}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
