#!/usr/bin/env python3
"""bench/run.py: the mpc benchmark harness (`make bench`, `make bench QUICK=1`).

Builds every implementation (the .mp side with `build/mpc build` and
CFLAGS=-O2, the C side with `cc -O2`), runs the three implementations of
each metric interleaved (mpc, C, Python, mpc, C, Python, ...), checks what
each run printed, and prints one table. See bench/README.md for what is
measured and how.

usage: python3 bench/run.py [--quick] [--reps N] [--only WORKLOAD,...]
                            [--markdown FILE] [--no-compile]
Environment: CC (default cc), QUICK=1 (same as --quick), REPS=N.
Only the standard library is used.
"""
import argparse
import datetime
import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
OUT = os.path.join(ROOT, "build", "bench")
MPC = os.path.join(ROOT, "build", "mpc")
LIBMPR = os.path.join(ROOT, "build", "libmpr.a")
SNAPSHOT = os.path.join(OUT, "mpc-snapshot")
IMPLS = ("mpc", "c", "py")
IMPL_NAMES = {"mpc": "mpc", "c": "C", "py": "Python"}


# ---------------------------------------------------------------------------
# What is measured
# ---------------------------------------------------------------------------

class Metric:
    """One row of the table.

    params:   arguments of every implementation (key=value on the command
              line of the C and Python programs, substituted into the .mp).
    compiled: overrides for C and mpc (always the same for both, so mpc/C
              compares like with like); py: overrides for Python. The rate
              is per unit of work, so sizes may differ between the compiled
              side and Python to keep each run long enough to time and
              short enough to repeat.
    mpc_only: parameters only the .mp variant needs.
    base:     overrides that turn the run into its baseline (same program,
              no work): each sample is time(run) - time(baseline).
    units:    work units of a run, from its parameters; the program's
              RESULT line must report count=<units>.
    kind:     "cost" (time per unit, lower is better) or "rate" (units per
              second, higher is better); scale divides the displayed value.
    target:   (max mpc/C, min Python/mpc, text) on cost ratios, None = none.
    """

    def __init__(self, workload, name, unit, kind, scale, units, params,
                 compiled=None, py=None, mpc_only=None, base=None, target=None,
                 quick=None, note=""):
        self.workload, self.name, self.unit = workload, name, unit
        self.kind, self.scale, self.units = kind, scale, units
        self.params = params
        self.compiled = compiled or {}
        self.py = py or {}
        self.mpc_only = mpc_only or {}
        self.base = base or {}
        self.target = target
        self.quick = quick or {}
        self.note = note

    def args(self, impl, quick, baseline=False):
        p = dict(self.params)
        p.update(self.py if impl == "py" else self.compiled)
        if quick:
            q = self.quick
            p.update(q.get("all", {}))
            p.update(q.get("py", {}) if impl == "py" else q.get("compiled", {}))
        if impl == "mpc":
            p.update(self.mpc_only)
        if baseline:
            p.update(self.base)
        return p


def M(*a, **k):
    return Metric(*a, **k)


METRICS = [
    # spawn: us per process; seq = one at a time, group = all at once.
    M("spawn", "one at a time", "us/proc", "cost", 1e-6,
      lambda p: p["n"] * p["rounds"] * (p["seq"] + p["group"]),
      dict(n=200, seq=1, group=0), compiled=dict(rounds=10), py=dict(rounds=2),
      base=dict(seq=0, group=0), target=(1.1, None, "mpc/C <= 1.1"),
      quick=dict(compiled=dict(rounds=3), py=dict(rounds=1))),
    M("spawn", "all at once", "us/proc", "cost", 1e-6,
      lambda p: p["n"] * p["rounds"] * (p["seq"] + p["group"]),
      dict(n=200, seq=0, group=1), compiled=dict(rounds=10), py=dict(rounds=2),
      base=dict(seq=0, group=0), target=(1.1, None, "mpc/C <= 1.1"),
      quick=dict(compiled=dict(rounds=3), py=dict(rounds=1))),
    # pipe
    M("pipe", "round trip", "us/trip", "cost", 1e-6,
      lambda p: p["rounds"] + p["messages"] * p["size"],
      dict(rounds=100000, messages=0, size=65536),
      base=dict(rounds=0, messages=0),
      target=(1.0, 10.0, "mpc/C <= 1, Py/mpc >= 10"),
      quick=dict(all=dict(rounds=10000))),
    M("pipe", "bulk 64 KiB", "GB/s", "rate", 1e9,
      lambda p: p["rounds"] + p["messages"] * p["size"],
      dict(rounds=0, messages=16384, size=65536), compiled=dict(messages=65536),
      base=dict(rounds=0, messages=0),
      quick=dict(compiled=dict(messages=16384), py=dict(messages=4096))),
    # queue: items per second.
    M("queue", "1 producer/1 consumer", "M items/s", "rate", 1e6,
      lambda p: p["producers"] * p["items"],
      dict(producers=1, consumers=1), compiled=dict(items=20000000),
      py=dict(items=1000000), base=dict(items=0),
      target=(1 / 0.7, 60.0, "mpc/C <= 1.43 (>= 0.7x), Py/mpc >= 60"),
      quick=dict(compiled=dict(items=5000000), py=dict(items=50000)),
      note="C: single-producer futex ring"),
    M("queue", "4 producers/4 consumers", "M items/s", "rate", 1e6,
      lambda p: p["producers"] * p["items"],
      dict(producers=4, consumers=4), compiled=dict(items=5000000),
      py=dict(items=250000), base=dict(items=0),
      target=(1.0, None, "mpc/C <= 1"),
      quick=dict(compiled=dict(items=1000000), py=dict(items=12500)),
      note="C: mutex+condvar ring"),
    # value: increments per second.
    M("value", "4 procs += 1", "M ops/s", "rate", 1e6,
      lambda p: p["procs"] * p["ops"],
      dict(procs=4), compiled=dict(ops=25000000), py=dict(ops=1000000),
      base=dict(ops=0), target=(1 / 0.8, None, "mpc/C <= 1.25 (>= 0.8x)"),
      quick=dict(compiled=dict(ops=5000000), py=dict(ops=50000))),
    # array: element updates per second.
    M("array", "atomic a[i] += 1", "M elem/s", "rate", 1e6,
      lambda p: p["n"] * p["passes"] * p["procs"],
      dict(n=10000000, procs=2, mode="atomic"), compiled=dict(passes=4),
      py=dict(passes=1), mpc_only=dict(mode_id=0), base=dict(passes=0),
      target=(1 / 0.8, None, "mpc/C <= 1.25 (>= 0.8x)"),
      quick=dict(all=dict(n=1000000), compiled=dict(passes=20))),
    M("array", "atomic a[i] = a[i] + 1", "M elem/s", "rate", 1e6,
      lambda p: p["n"] * p["passes"] * p["procs"],
      dict(n=10000000, procs=2, mode="atomic"), compiled=dict(passes=4),
      py=dict(passes=1), mpc_only=dict(mode_id=1), base=dict(passes=0),
      target=(1 / 0.8, None, "mpc/C <= 1.25 (>= 0.8x)"),
      quick=dict(all=dict(n=1000000), compiled=dict(passes=20)),
      note="Python: the same runs as the row above"),
    M("array", "raw (halves)", "M elem/s", "rate", 1e6,
      lambda p: p["n"] * p["passes"],
      dict(n=10000000, procs=2, mode="raw"), compiled=dict(passes=40),
      py=dict(passes=1), mpc_only=dict(mode_id=2), base=dict(passes=0),
      target=(1 / 0.8, None, "mpc/C <= 1.25 (>= 0.8x)"),
      quick=dict(all=dict(n=1000000), compiled=dict(passes=200)),
      note="mpc: a raw array (lock=False), bounds checked once per loop"),
    # pool: items mapped per second by a pool (Python's Pool.map, same
    # workers and chunksize; C: a fork pool over socketpairs).
    M("pool", "map 100,000 items", "ns/item", "cost", 1e-9,
      lambda p: p["items"],
      dict(workers=4, items=100000, chunk=1000), base=dict(items=0),
      target=(1.1, None, "mpc/C <= 1.1"),
      quick=dict(all=dict(items=20000, chunk=200)),
      note="4 workers, chunksize 1000; C: fork pool, int64 chunks"),
]


def sync_metric(mode, name, group, unit, per_round, compiled, py, quick_c, quick_py,
                note=""):
    """A row of the sync workload: one object (`mode=` of the C and Python
    programs). The .mp program has a group of processes per object; the
    other objects' groups get 0 processes. per_round: units per round."""
    groups = dict(lock_procs=0, sem_procs=0, barrier_procs=0, event_procs=0)
    groups[group[0]] = group[1]
    return M("sync", name, unit, "cost", 1e-9,
             lambda p: per_round * p["rounds"],
             dict(mode=mode), compiled=dict(rounds=compiled), py=dict(rounds=py),
             mpc_only=groups, base=dict(rounds=0),
             target=(1.1, None, "mpc/C <= 1.1"),
             quick=dict(compiled=dict(rounds=quick_c), py=dict(rounds=quick_py)),
             note=note)


METRICS += [
    # sync: ns per acquire/release pair, per phase, per set -> wake.
    sync_metric("lock", "Lock, 2 procs", ("lock_procs", 2), "ns/pair", 2,
                10000000, 1000000, 2000000, 300000,
                note="C: process-shared pthread mutex"),
    sync_metric("sem", "Semaphore(2), 4 procs", ("sem_procs", 4), "ns/pair", 4,
                4000000, 100000, 1000000, 30000,
                note="C: process-shared sem_t (sem_wait/sem_post)"),
    sync_metric("barrier", "Barrier(4) phase", ("barrier_procs", 4), "ns/phase", 1,
                30000, 4000, 10000, 1000,
                note="C: process-shared pthread barrier"),
    sync_metric("event", "Event ping-pong", ("event_procs", 1), "ns/wake", 2,
                100000, 20000, 20000, 4000,
                note="C: futex flag with a waiter count"),
    # select: ns per message, 4 producers on their own pipes, one consumer.
    M("select", "4 pipes -> 1", "ns/msg", "cost", 1e-9,
      lambda p: 4 * p["items"],
      {}, compiled=dict(items=100000), py=dict(items=20000), base=dict(items=0),
      target=(1.1, None, "mpc/C <= 1.1"),
      quick=dict(compiled=dict(items=25000), py=dict(items=5000)),
      note="C: poll over 4 socketpairs, buffered reads"),
    # exc: ns per iteration of a try; raise: against the loop that raises
    # nothing.
    M("exc", "raise + catch", "ns/raise", "cost", 1e-9,
      lambda p: p["iters"],
      dict(throw=1), compiled=dict(iters=50000000), py=dict(iters=4000000),
      base=dict(throw=0), target=(1.1, None, "mpc/C <= 1.1"),
      quick=dict(compiled=dict(iters=10000000), py=dict(iters=1000000)),
      note="C: setjmp/longjmp and a handler stack; minus the loop without the raise"),
    M("exc", "try, no raise", "ns/iter", "cost", 1e-9,
      lambda p: p["iters"],
      dict(throw=0), compiled=dict(iters=300000000), py=dict(iters=30000000),
      base=dict(iters=0), target=(1.1, None, "mpc/C <= 1.1"),
      quick=dict(compiled=dict(iters=100000000), py=dict(iters=5000000)),
      note="C: a setjmp per try"),
]

WORKLOADS = ["spawn", "pipe", "queue", "value", "array", "pool", "sync", "select", "exc",
             "compile"]


# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------

def log(msg):
    print(msg, file=sys.stderr, flush=True)


def newer(target, *sources):
    """True if target exists and is newer than every source."""
    if not os.path.exists(target):
        return False
    t = os.path.getmtime(target)
    return all(not os.path.exists(s) or os.path.getmtime(s) <= t for s in sources)


def sh(argv, env=None, cwd=None):
    """Runs a build command; (ok, output)."""
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=env, cwd=cwd, text=True)
    return r.returncode == 0, r.stdout


def mp_variant_text(workload, params):
    """The .mp source of one variant: a generator's output (spawn) or the
    template with its `# param:NAME` lines rewritten."""
    gen = os.path.join(BENCH, workload, "gen.py")
    if os.path.exists(gen):
        spec = importlib.util.spec_from_file_location(f"gen_{workload}", gen)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod.generate(params)
    src = open(os.path.join(BENCH, workload, f"{workload}.mp")).read()
    out = []
    for line in src.splitlines(keepends=True):
        m = re.search(r"#\s*param:(\w+)\s*$", line)
        if m:
            key = m.group(1)
            if key not in params:
                raise KeyError(f"{workload}.mp: no value for param:{key}")
            line = re.sub(r"(?<![\w.])\d+(?![\w.])", str(params[key]), line, count=1)
        out.append(line)
    return "".join(out)


def key_of(params):
    s = " ".join(f"{k}={params[k]}" for k in sorted(params))
    return hashlib.sha1(s.encode()).hexdigest()[:10]


class Builder:
    def __init__(self, cc):
        self.cc = cc
        self.errors = {}            # (workload, impl, key) -> message

    def c_binary(self, workload):
        src = os.path.join(BENCH, workload, f"{workload}.c")
        exe = os.path.join(OUT, workload, f"{workload}-c")
        if newer(exe, src):
            return exe
        os.makedirs(os.path.dirname(exe), exist_ok=True)
        ok, out = sh([self.cc, "-O2", "-Wall", "-Wextra", "-o", exe, src, "-lpthread"])
        if not ok:
            self.errors[(workload, "c", "")] = out
            return None
        return exe

    def mp_binary(self, workload, params):
        """Builds the .mp variant for params; the path, or None."""
        key = key_of(params)
        d = os.path.join(OUT, workload)
        os.makedirs(d, exist_ok=True)
        mp = os.path.join(d, f"{workload}-{key}.mp")
        exe = os.path.join(d, f"{workload}-{key}")
        text = mp_variant_text(workload, params)
        if not os.path.exists(mp) or open(mp).read() != text:
            with open(mp, "w") as f:
                f.write(text)
        if (workload, "mpc", key) in self.errors:
            return None
        deps = [mp, MPC, LIBMPR, os.path.join(ROOT, "runtime", "mpr.h")]
        if newer(exe, *deps):
            return exe
        if not os.path.exists(MPC):
            self.errors[(workload, "mpc", key)] = "build/mpc does not exist"
            return None
        env = dict(os.environ, CFLAGS="-O2", CC=self.cc)
        # The C is kept beside the program, for reading and profiling.
        sh([MPC, "compile", mp, "-o", mp[:-3] + ".c"], env=env)
        ok, out = sh([MPC, "build", mp, "-o", exe], env=env)
        if not ok:
            self.errors[(workload, "mpc", key)] = out
            if os.path.exists(exe):
                os.unlink(exe)
            return None
        return exe


def command(builder, metric, impl, quick, baseline):
    """argv of one run, or (None, reason)."""
    p = metric.args(impl, quick, baseline)
    w = metric.workload
    if impl == "py":
        argv = [sys.executable, os.path.join(BENCH, w, f"{w}.py")]
        return argv + [f"{k}={v}" for k, v in p.items()], None
    if impl == "c":
        exe = builder.c_binary(w)
        if not exe:
            return None, "C build failed"
        return [exe] + [f"{k}={v}" for k, v in p.items()], None
    exe = builder.mp_binary(w, p)
    if not exe:
        return None, "mpc build failed"
    return [exe], None


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------

def run_timed(argv, timeout, logpath=None, env=None):
    """Runs argv in its own process group; returns (seconds, exit status,
    stdout, rusage). On timeout the whole group is killed and status is
    None. Stray processes left in the group are killed afterwards."""
    with open(logpath or os.devnull, "w") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err,
                             start_new_session=True, env=env)
        timed_out = []

        def kill():
            timed_out.append(True)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        # Read stdout in a thread so a chatty program cannot block on a
        # full pipe; wait4 gives this child's own resource usage.
        chunks = []
        reader = threading.Thread(target=lambda: chunks.append(p.stdout.read()))
        reader.start()
        _, status, ru = os.wait4(p.pid, 0)
        t1 = time.perf_counter()
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        reader.join(5)
        out = chunks[0].decode(errors="replace") if chunks else ""
    return t1 - t0, (None if timed_out else p.returncode), out, ru


def cpu_secs(ru):
    """User + system time of a waited-for child and the descendants it
    waited for (all of a benchmark's processes)."""
    return ru.ru_utime + ru.ru_stime


def parse_result(out):
    for line in out.splitlines():
        if line.startswith("RESULT "):
            return dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
    return None


class Cell:
    """Samples of one implementation for one metric."""

    def __init__(self):
        self.samples = []           # seconds of work (run - baseline)
        self.cpu = []               # CPU seconds of the process tree, same
        self.units = None
        self.fail = None

    def value(self, metric, secs):
        if secs <= 0:
            return float("nan")
        if metric.kind == "cost":
            return secs / self.units / metric.scale
        return self.units / secs / metric.scale

    def cost(self, secs):
        return secs / self.units


def verify(metric, impl, quick, status, out, baseline):
    """None if the run is good, else why not."""
    if status is None:
        return "timeout"
    res = parse_result(out)
    if status != 0:
        return f"exit status {status}" + (" (check=FAIL)" if res and res.get("check") == "FAIL" else "")
    if res is None:
        return "no RESULT line"
    if res.get("check") != "ok":
        return f"check={res.get('check')}"
    want = metric.units(metric.args(impl, quick, baseline))
    if str(res.get("count")) != str(want):
        return f"count={res.get('count')}, expected {want}"
    return None


def run_metric(builder, metric, quick, reps, timeout, cache, logdir):
    cells = {}
    cmds = {}
    for impl in IMPLS:
        cells[impl] = Cell()
        full, why = command(builder, metric, impl, quick, False)
        base, why2 = command(builder, metric, impl, quick, True)
        if full is None or base is None:
            cells[impl].fail = why or why2
            continue
        cells[impl].units = metric.units(metric.args(impl, quick, False))
        cmds[impl] = (full, base)
    # Python runs identical to a previous metric's are not repeated (they
    # take long); C runs are, so that mpc/C pairs runs made together.
    todo = []
    for impl, (full, base) in cmds.items():
        key = (impl, tuple(full), tuple(base))
        if impl == "py" and key in cache:
            cells[impl] = cache[key]
        else:
            todo.append(impl)
            cache[key] = cells[impl]
    # Warm-up: one baseline run of each (page cache, dynamic loader).
    for impl in todo:
        run_timed(cmds[impl][1], timeout)
    tag = re.sub(r"\W+", "_", f"{metric.workload}_{metric.name}").strip("_")
    for rep in range(reps):
        for impl in todo:
            cell = cells[impl]
            if cell.fail:
                continue
            full, base = cmds[impl]
            lp = os.path.join(logdir, f"{tag}-{impl}-{rep}")
            tb, sb, ob, rb = run_timed(base, timeout, lp + "-base.err")
            why = verify(metric, impl, quick, sb, ob, True)
            if why is None:
                tf, sf, of, rf = run_timed(full, timeout, lp + ".err")
                why = verify(metric, impl, quick, sf, of, False)
                if why:
                    open(lp + ".out", "w").write(of)
            else:
                open(lp + "-base.out", "w").write(ob)
                why = "baseline: " + why
            if why:
                cell.fail = f"FAIL: {why} (see {os.path.relpath(lp, ROOT)}.*)"
                log(f"  {metric.workload} {metric.name} {impl}: {cell.fail}")
                continue
            cell.samples.append(tf - tb)
            cell.cpu.append(cpu_secs(rf) - cpu_secs(rb))
            log(f"  {metric.workload:6} {metric.name:26} {impl:4} rep {rep + 1}: "
                f"{fmt(cell.value(metric, tf - tb))} {metric.unit} "
                f"({tf:.3f}s - {tb:.3f}s)")
    return cells


# ---------------------------------------------------------------------------
# Compile workload
# ---------------------------------------------------------------------------

def run_compile(builder, quick, reps, timeout, logdir):
    """mpc check, mpc compile and cc -O0 -c on a generated program,
    interleaved; cc runs in the first repetition only (it takes minutes on
    the full-size program)."""
    lines = 20000 if quick else 1000000
    d = os.path.join(OUT, "compile")
    os.makedirs(d, exist_ok=True)
    mp = os.path.join(d, f"big-{lines}.mp")
    gen = os.path.join(BENCH, "compile", "gen.py")
    if not newer(mp, gen):
        subprocess.run([sys.executable, gen, str(lines), mp], check=True,
                       stdout=subprocess.DEVNULL)
    nlines = sum(1 for _ in open(mp, "rb"))
    size = os.path.getsize(mp)
    cfile = mp[:-3] + ".c"
    obj = mp[:-3] + ".o"
    inc = os.path.join(ROOT, "runtime")
    # A copy of build/mpc taken when the run started: the tree may be
    # rebuilt while the benchmark runs.
    mpc = SNAPSHOT if os.path.exists(SNAPSHOT) else MPC
    steps = {
        "check": [mpc, "check", mp],
        "compile": [mpc, "compile", mp, "-o", cfile],
        "cc": [builder.cc, "-O0", "-c", "-I", inc, "-o", obj, cfile],
    }
    res = {k: {"secs": [], "rss": [], "fail": None} for k in steps}
    if not os.path.exists(mpc):
        for k in steps:
            res[k]["fail"] = "build/mpc does not exist"
    for rep in range(reps):
        for k, argv in steps.items():
            r = res[k]
            if r["fail"] or (k == "cc" and res["compile"]["fail"]):
                r["fail"] = r["fail"] or "no C (mpc compile failed)"
                continue
            if k == "cc" and rep > 0:
                continue
            lp = os.path.join(logdir, f"compile-{k}-{rep}.err")
            secs, status, _, ru = run_timed(argv, timeout, lp)
            if status != 0:
                r["fail"] = f"FAIL: exit status {status} (see {os.path.relpath(lp, ROOT)})"
                log(f"  compile {k}: {r['fail']}")
                continue
            r["secs"].append(secs)
            r["rss"].append(ru.ru_maxrss * 1024)
            log(f"  compile {k:8} rep {rep + 1}: {secs:.3f}s, peak {ru.ru_maxrss * 1024 / 1e6:.0f} MB")
    cbytes = os.path.getsize(cfile) if os.path.exists(cfile) else 0
    clines = sum(1 for _ in open(cfile, "rb")) if cbytes else 0
    return dict(lines=nlines, size=size, clines=clines, cbytes=cbytes, steps=res)


# ---------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------

def fmt(x):
    if x != x:
        return "nan"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def summarize(metric, cells):
    row = {"workload": metric.workload, "metric": metric.name, "unit": metric.unit,
           "note": metric.note}
    for impl in IMPLS:
        c = cells[impl]
        if c.fail or not c.samples:
            row[impl] = {"fail": c.fail or "no samples"}
            continue
        vals = [c.value(metric, s) for s in c.samples]
        row[impl] = {"median": statistics.median(vals), "min": min(vals),
                     "max": max(vals), "n": len(vals), "units": c.units,
                     "samples": c.samples}

    def ratio(a, b, what="samples"):
        ca, cb = cells[a], cells[b]
        if ca.fail or cb.fail or not ca.samples or not cb.samples:
            return None
        # Cost ratios of runs paired by repetition (interleaved in time).
        xs, ys = getattr(ca, what), getattr(cb, what)
        rs = [ca.cost(x) / cb.cost(y) for x, y in zip(xs, ys) if y > 0]
        return statistics.median(rs) if rs else None

    row["mpc/C"] = ratio("mpc", "c")
    row["mpc/C cpu"] = ratio("mpc", "c", "cpu")
    row["Py/mpc"] = ratio("py", "mpc")
    status = ""
    if metric.target:
        max_c, min_py, text = metric.target
        met = True
        if max_c is not None:
            met = met and row["mpc/C"] is not None and row["mpc/C"] <= max_c
        if min_py is not None:
            met = met and row["Py/mpc"] is not None and row["Py/mpc"] >= min_py
        status = ("met" if met else "MISSED") + f" ({text})"
    if any("fail" in row[i] for i in IMPLS):
        status = (status + "; " if status else "") + "FAIL"
    row["status"] = status
    return row


def cell_text(c):
    if "fail" in c:
        return "FAIL" if c["fail"].startswith("FAIL") else "n/a"
    return f"{fmt(c['median'])} [{fmt(c['min'])}-{fmt(c['max'])}]"


def table(rows, compile_res, md=False):
    head = ["workload", "metric", "unit", "mpc", "C", "Python", "mpc/C", "Py/mpc",
            "mpc/C cpu", "target"]
    body = []
    for r in rows:
        body.append([r["workload"], r["metric"], r["unit"], cell_text(r["mpc"]),
                     cell_text(r["c"]), cell_text(r["py"]),
                     fmt(r["mpc/C"]) if r["mpc/C"] is not None else "-",
                     fmt(r["Py/mpc"]) if r["Py/mpc"] is not None else "-",
                     fmt(r["mpc/C cpu"]) if r["mpc/C cpu"] is not None else "-",
                     r["status"] or "-"])
    lines = []
    if not body:
        pass
    elif md:
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "|".join("---" for _ in head) + "|")
        lines += ["| " + " | ".join(b) + " |" for b in body]
    else:
        w = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
        lines.append("  ".join(h.ljust(w[i]) for i, h in enumerate(head)))
        lines.append("  ".join("-" * w[i] for i in range(len(head))))
        lines += ["  ".join(x.ljust(w[i]) for i, x in enumerate(b)) for b in body]
    notes = [f"{r['workload']} {r['metric']}: {r['note']}" for r in rows if r["note"]]
    fails = [f"{r['workload']} {r['metric']} {IMPL_NAMES[i]}: {r[i]['fail']}"
             for r in rows for i in IMPLS if "fail" in r[i]]
    if compile_res:
        if lines:
            lines.append("")
        lines += compile_table(compile_res, md)
        for k, s in compile_res["steps"].items():
            if s["fail"]:
                fails.append(f"compile {k}: {s['fail']}")
    if notes:
        lines.append("")
        lines += [("- " if md else "  ") + n for n in notes]
    if fails:
        lines.append("")
        lines += [("- " if md else "  ") + f for f in fails]
    return "\n".join(lines)


def compile_table(cr, md):
    st = cr["steps"]

    def med(k, what):
        v = st[k][what]
        return statistics.median(v) if v and not st[k]["fail"] else None

    def spread(k):
        v = st[k]["secs"]
        return f"[{fmt(min(v))}-{fmt(max(v))}]" if v and not st[k]["fail"] else ""

    rows = []
    n, size = cr["lines"], cr["size"]
    chk, cmp_, cc = med("check", "secs"), med("compile", "secs"), med("cc", "secs")
    head = ["compile", "value", "target"]

    def add(name, val, target, ok):
        rows.append([name, val, target + ("" if ok is None else (" met" if ok else " MISSED"))])

    src = f"{n} lines, {size / 1e6:.1f} MB; emitted C {cr['clines']} lines, {cr['cbytes'] / 1e6:.1f} MB"
    rows.append(["input", src, "-"])
    if chk:
        add("mpc check", f"{fmt(n / chk / 1e6)} M lines/s ({fmt(chk)} s) {spread('check')}",
            ">= 1 M lines/s", n / chk >= 1e6)
    else:
        add("mpc check", "FAIL" if st["check"]["fail"] else "n/a", ">= 1 M lines/s", None)
    if cmp_:
        add("mpc compile", f"{fmt(n / cmp_ / 1e6)} M lines/s ({fmt(cmp_)} s) {spread('compile')}",
            "-", None)
    if cc:
        add("cc -O0 -c (emitted C)", f"{fmt(cc)} s {spread('cc')}", "-", None)
    if cmp_ and cc:
        add("mpc compile / cc -O0", f"{100 * cmp_ / cc:.2f} %", "< 5 %", cmp_ / cc < 0.05)
    for k in ("check", "compile", "cc"):
        rss = med(k, "rss")
        if rss:
            label = {"check": "mpc check", "compile": "mpc compile", "cc": "cc -O0"}[k]
            tgt = "< 20x source" if k != "cc" else "-"
            add(f"peak memory, {label}", f"{rss / 1e6:.0f} MB = {rss / size:.1f}x source",
                tgt, (rss / size < 20) if k != "cc" else None)
    if md:
        out = ["| " + " | ".join(head) + " |", "|---|---|---|"]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        return out
    w = [max(len(x[i]) for x in [head] + rows) for i in range(3)]
    out = ["  ".join(h.ljust(w[i]) for i, h in enumerate(head)),
           "  ".join("-" * w[i] for i in range(3))]
    return out + ["  ".join(x.ljust(w[i]) for i, x in enumerate(r)) for r in rows]


def machine():
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    rev = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return {"nproc": os.cpu_count(), "model": model, "kernel": platform.release(),
            "commit": rev.stdout.strip() or "?",
            "python": platform.python_version(),
            "cc": subprocess.run([os.environ.get("CC") or "cc", "--version"],
                                 stdout=subprocess.PIPE, text=True).stdout.splitlines()[0]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", default=os.environ.get("QUICK") not in (None, "", "0"))
    ap.add_argument("--reps", type=int, default=int(os.environ.get("REPS") or 0))
    ap.add_argument("--only", default=os.environ.get("ONLY", ""))
    ap.add_argument("--markdown", default=os.path.join(OUT, "results.md"))
    ap.add_argument("--timeout", type=float, default=0)
    args = ap.parse_args()
    quick = args.quick
    reps = args.reps or (2 if quick else 5)
    timeout = args.timeout or (60 if quick else 600)
    only = [w for w in args.only.split(",") if w] or WORKLOADS
    cc = os.environ.get("CC") or "cc"
    os.makedirs(OUT, exist_ok=True)
    logdir = os.path.join(OUT, "logs")
    shutil.rmtree(logdir, ignore_errors=True)
    os.makedirs(logdir)

    mach = machine()
    started = datetime.datetime.now().astimezone()
    cmdline = "make bench" + (" QUICK=1" if quick else "") + \
        (f" REPS={args.reps}" if args.reps else "")
    load0 = os.getloadavg()[0]
    header = (f"{started:%Y-%m-%d %H:%M %Z}; {mach['nproc']} x {mach['model']}; "
              f"Linux {mach['kernel']}; {mach['cc']}; Python {mach['python']}; "
              f"commit {mach['commit']}; {reps} interleaved repetitions; `{cmdline}`")
    log(f"bench: {header}")

    if os.path.exists(MPC):
        shutil.copy2(MPC, SNAPSHOT)
    builder = Builder(cc)
    metrics = [m for m in METRICS if m.workload in only]
    # Build everything first, so that the runs are not interleaved with builds.
    log("bench: building")
    for m in metrics:
        for impl in IMPLS:
            for b in (False, True):
                command(builder, m, impl, quick, b)
    for (w, impl, key), msg in builder.errors.items():
        p = os.path.join(logdir, f"build-{w}-{impl}-{key or 'c'}.log")
        open(p, "w").write(msg)
        log(f"bench: {impl} build of {w} failed (see {os.path.relpath(p, ROOT)}):")
        log("  " + "\n  ".join(msg.strip().splitlines()[:8]))

    rows, cache = [], {}
    for m in metrics:
        log(f"bench: {m.workload} / {m.name}")
        rows.append(summarize(m, run_metric(builder, m, quick, reps, timeout, cache, logdir)))
    compile_res = None
    if "compile" in only:
        log("bench: compile")
        compile_res = run_compile(builder, quick, 1 if quick else min(reps, 3), timeout, logdir)

    header += (f"; load average {load0:.1f} at the start, "
               f"{os.getloadavg()[0]:.1f} at the end")
    text = table(rows, compile_res)
    print()
    print(f"mpc benchmarks: {header}")
    print("mpc/C and Py/mpc are ratios of the time per unit of work (runs paired")
    print("by repetition, median): mpc/C < 1 means mpc is faster than C, Py/mpc")
    print("is how many times faster mpc is than Python. Values: median [min-max].")
    print("mpc/C cpu: the same ratio on CPU time (user + system, all processes),")
    print("less sensitive to other load on the machine; the targets use wall time.")
    print()
    print(text)
    md = (f"Run: {header}\n\n" + table(rows, compile_res, md=True) + "\n")
    with open(args.markdown, "w") as f:
        f.write(md)
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump({"header": header, "machine": mach, "rows": rows,
                   "compile": compile_res}, f, indent=1, default=str)
    log(f"bench: markdown in {os.path.relpath(args.markdown, ROOT)}, "
        f"logs in {os.path.relpath(logdir, ROOT)}")
    bad = any("FAIL" in r["status"] for r in rows) or (
        compile_res and any(s["fail"] for s in compile_res["steps"].values()))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
