#!/usr/bin/python3
"""Fork benchmark: fork + child _exit + waitpid round trip in the jfork kernel vs C and CPython.

Run through bench/fork_run (it makes sure the jfork kernelspec is installed), or directly with a
Python that has jupyter_client (Debian's /usr/bin/python3):

    /usr/bin/python3 bench/fork_bench.py [--n 200] [--big-xmx 3g] [--stress 2000] ...

Measures (issue 3, "Benchmark"):
1. round trip (os.fork(); child os._exit(0); os.waitpid) timed INSIDE a cell with System.nanoTime,
   median/p90 of N after a warm-up, at the kernel's default heap (fresh kernel), with ~500 MB of
   live heap (default flags) and with ~2 GB of live heap (a second kernelspec whose -Xmx is raised),
   and the kernel's VmRSS each time;
2. the same round trip for a C program (bench/fork_rt.c, compiled to a temp dir) and CPython
   (/usr/bin/python3) touching the same RSS;
3. how many MB a forked child can allocate before it needs a GC (it hangs, the kernel's hang
   detector kills it): default flags, with and without System.gc() in the kernel before the fork;
4. 2,000 sequential forks in one cell while two threads of the cell allocate garbage: completed,
   hung, median round trip; %ps afterwards.
Prints a Markdown table and writes it to bench/results/fork.md. Not part of the test suite.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kernel_bench import (BenchError, Kernel, kernel_java_and_flags, leftover_processes, log, pct, run_and_exit,  # noqa: E402
                          proc_rss_mb)
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel  # noqa: E402

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
BIG_KERNEL = "jfork-bigheap"

# Java defined once per kernel. Each method forks from the cell thread, as user code does.
JAVA_DEFS = r'''
String jforkRoundTrips(int n) {
    long[] ns = new long[n];
    StringBuilder bad = new StringBuilder();
    for (int i = 0; i < n; i++) {
        long t0 = System.nanoTime();
        int p = os.fork();
        if (p == 0) os._exit(0);
        var st = os.waitpid(p, 0).status();
        ns[i] = System.nanoTime() - t0;
        if (!st.exited() || st.exitCode() != 0) bad.append(' ').append(p).append('=').append(st);
    }
    StringBuilder sb = new StringBuilder("RT");
    for (long v : ns) sb.append(' ').append(v);
    return sb.append("\nBAD").append(bad).toString();
}
byte[][] jforkKeep;
void jforkAllocate(int mb) {
    jforkKeep = new byte[mb][];
    for (int i = 0; i < mb; i++) { jforkKeep[i] = new byte[1 << 20]; java.util.Arrays.fill(jforkKeep[i], (byte) 1); }
    System.gc();
}
void jforkChildAlloc(int max) {
    java.util.List<byte[]> kept = new java.util.ArrayList<>();
    for (int i = 1; i <= max; i++) { kept.add(new byte[1 << 20]); System.out.println("MB " + i); }
}
String jforkEden() {
    for (var p : java.lang.management.ManagementFactory.getMemoryPoolMXBeans())
        if (p.getName().contains("Eden")) return "eden used " + (p.getUsage().getUsed() >> 20) + " of " + (p.getUsage().getCommitted() >> 20) + " MB";
    return "eden ?";
}
'''

# The child allocates 1 MB chunks, printing each, until it needs a GC and hangs (then the kernel kills it).
CHILD_ALLOC_CELL = r'''
jforkChildAlloc(2);   // the same code once in the kernel: nothing new to load or link in the child
if (%(gc)s) System.gc();
System.err.println("PARENT " + jforkEden());
int jforkCa = os.fork();
if (jforkCa == 0) { jforkChildAlloc(100_000); os._exit(0); }
System.err.println("STATUS " + os.waitpid(jforkCa, 0).status());
'''

# Same code as kernel/src/test/java/jfork/kernel/ForkStressTest.java.
STRESS_CELL = r'''
String jforkStress(int n) throws Exception {
    var stop = new java.util.concurrent.atomic.AtomicBoolean();
    var allocated = new java.util.concurrent.atomic.AtomicLong();
    Thread[] garbage = new Thread[2];
    for (int t = 0; t < garbage.length; t++) {
        garbage[t] = new Thread(() -> {
            byte[][] ring = new byte[64][];
            long bytes = 0;
            for (int k = 0; !stop.get(); k++) { ring[k & 63] = new byte[16 * 1024 + (k & 15) * 1024]; bytes += ring[k & 63].length; }
            allocated.addAndGet(bytes);
        }, "garbage-" + t);
        garbage[t].start();
    }
    long gc0 = 0;
    for (var g : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) gc0 += g.getCollectionCount();
    int retries0 = jfork.process.Forker.get().retries();
    long[] ns = new long[n];
    int completed = 0, notNormal = 0, forkFailed = 0;
    StringBuilder bad = new StringBuilder();
    long tAll = System.nanoTime();
    try {
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            int p;
            try {
                p = os.fork();
            } catch (RuntimeException e) {
                forkFailed++;
                bad.append(" fork#").append(i).append('=').append(e.getMessage());
                ns[i] = System.nanoTime() - t0;
                continue;
            }
            if (p == 0) os._exit(0);
            var st = os.waitpid(p, 0).status();
            ns[i] = System.nanoTime() - t0;
            if (st.exited() && st.exitCode() == 0) completed++;
            else { notNormal++; bad.append(' ').append(p).append('=').append(st); }
        }
    } finally {
        stop.set(true);
        for (Thread t : garbage) t.join();
    }
    long gc1 = 0;
    for (var g : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) gc1 += g.getCollectionCount();
    long[] sorted = ns.clone();
    java.util.Arrays.sort(sorted);
    return "STRESS n=" + n + " completed=" + completed + " notNormal=" + notNormal + " forkFailed=" + forkFailed
            + " medianNs=" + sorted[n / 2] + " p90Ns=" + sorted[(int) (n * 0.9)] + " maxNs=" + sorted[n - 1]
            + " totalNs=" + (System.nanoTime() - tAll) + " gcs=" + (gc1 - gc0) + " allocatedMB=" + (allocated.get() >> 20)
            + " retries=" + (jfork.process.Forker.get().retries() - retries0) + "\nBAD" + bad;
}
'''

PY_RT = r'''
import os, sys, time
def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
target, n, warm = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
extra = max(0, target - int(rss_mb()))
buf = bytearray(extra << 20)
for i in range(0, len(buf), 4096):
    buf[i] = 1
def rt():
    t0 = time.perf_counter_ns()
    p = os.fork()
    if p == 0:
        os._exit(0)
    _, st = os.waitpid(p, 0)
    if not (os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0):
        sys.exit("bad child status %d" % st)
    return (time.perf_counter_ns() - t0) / 1e6
for _ in range(warm):
    rt()
ms = [rt() for _ in range(n)]
print("rss_mb=%.1f n=%d ms=%s" % (rss_mb(), n, ",".join("%.4f" % v for v in ms)))
'''


def anon_huge_mb(pid):
    """AnonHugePages of a process (MB): how much of its RSS transparent huge pages back."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("AnonHugePages:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def loadavg():
    return "%.2f, %.2f, %.2f" % os.getloadavg()


def run_cell(k, code, what, timeout):
    _, _, reply, _, msgs = k.execute(code, timeout=timeout, what=what)
    out = "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")
    err = "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream" and m["content"]["name"] == "stderr")
    result = [m["content"]["data"].get("text/plain") for m in msgs if m["msg_type"] == "execute_result"]
    c = reply["content"]
    if c.get("status") != "ok":
        raise BenchError("%s: %s %s %s\nstdout: %s\nstderr: %s" % (what, c.get("status"), c.get("ename"), c.get("evalue"),
                                                                   out[-2000:], err[-2000:]))
    return out, err, (result[0] if result else None)


def unquote(result):
    """JShell shows a String result quoted, with escapes: turn it back into text."""
    if result and result.startswith('"') and result.endswith('"'):
        return json.loads(result)
    return result or ""


def jfork_round_trips(k, n, timeout):
    text, _, _ = run_cell(k, "System.out.println(jforkRoundTrips(%d));" % n, "%d round trips" % n, timeout)
    m = re.search(r"^RT((?: \d+)*)$", text, re.M)
    bad = re.search(r"^BAD(.*)$", text, re.M)
    if not m:
        raise BenchError("unexpected round-trip result: %r" % text[:500])
    ms = [int(v) / 1e6 for v in m.group(1).split()]
    if bad and bad.group(1).strip():
        raise BenchError("children that did not exit 0: %s" % bad.group(1).strip()[:500])
    return ms


def native_round_trips(cmd, n, warmup, timeout):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    m = re.search(r"rss_mb=([\d.]+) n=\d+ ms=([\d.,]+)", p.stdout)
    if p.returncode != 0 or not m:
        raise BenchError("%s failed (exit %d): %s" % (cmd[0], p.returncode, (p.stderr or p.stdout)[-500:]))
    return float(m.group(1)), [float(v) for v in m.group(2).split(",")]


def summary(ms):
    return {"p50": statistics.median(ms), "p90": pct(ms, 90), "n": len(ms)}


def fmt_rt(s, target=None):
    if not s:
        return "—"
    text = "%.2f / %.2f ms" % (s["p50"], s["p90"])
    if target is not None:
        text += " ✅" if s["p50"] <= target else " ❌"
    return text


def make_big_spec(base_spec, xmx, spec_root):
    argv = [a for a in base_spec.argv if not a.startswith("-Xmx")]
    java, flags = kernel_java_and_flags(argv)
    i = argv.index(flags[0]) if flags else 1
    argv.insert(i, "-Xmx" + xmx)
    d = os.path.join(spec_root, "kernels", BIG_KERNEL)
    os.makedirs(d, exist_ok=True)
    spec = {"argv": argv, "display_name": "Java (jfork, -Xmx%s, bench)" % xmx, "language": "java",
            "interrupt_mode": base_spec.interrupt_mode, "metadata": {"debugger": False}}
    with open(os.path.join(d, "kernel.json"), "w") as f:
        json.dump(spec, f, indent=1)
    return argv


def start_kernel(name, runtime_dir, log_dir, timeout, env_extra=None):
    saved = {}
    for key, val in (env_extra or {}).items():
        saved[key] = os.environ.get(key)
        os.environ[key] = val
    try:
        k = Kernel(name, runtime_dir, log_dir, timeout)
        k.start()
    finally:
        for key, val in saved.items():
            if val is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = val
    k.kernel_info(what="start")
    k.wait_iopub()
    run_cell(k, "1+1", "first cell", timeout)
    run_cell(k, JAVA_DEFS, "definitions", timeout)
    return k


def measure_rt_series(k, label, args, res, alloc_mb=0):
    """Warm-up, optional live heap, N round trips; res[label] = summary + rss + load."""
    if alloc_mb:
        t0 = time.perf_counter()
        run_cell(k, "jforkAllocate(%d)" % alloc_mb, "allocate %d MB" % alloc_mb, args.timeout * 4)
        log("%s: %d MB allocated and kept in %.1f s" % (label, alloc_mb, time.perf_counter() - t0))
    jfork_round_trips(k, args.warmup, args.timeout * 4)
    ms = jfork_round_trips(k, args.n, args.timeout * 10)
    s = summary(ms)
    s["rss"] = proc_rss_mb(k.pid())
    s["thp"] = anon_huge_mb(k.pid())
    s["load"] = loadavg()
    res[label] = s
    log("%s: jfork p50 %.2f ms, p90 %.2f ms, RSS %.0f MB, load %s" % (label, s["p50"], s["p90"], s["rss"], s["load"]))


def measure_child_alloc(k, args, res):
    runs = []
    for gc_first in (False, True):
        for rep in range(args.child_alloc_reps):
            out, err, _ = run_cell(k, CHILD_ALLOC_CELL % {"gc": "true" if gc_first else "false"},
                                   "child allocation", args.timeout * 4)
            mbs = [int(x) for x in re.findall(r"^MB (\d+)$", out, re.M)]
            # the first two lines come from the warm-up call in the kernel
            child_mb = max(mbs[2:]) if len(mbs) > 2 else 0
            parent = re.search(r"PARENT (.*)", err)
            status = re.search(r"STATUS (.*)", err)
            hung = " hung (" in err
            runs.append({"gc": gc_first, "mb": child_mb, "eden": parent.group(1) if parent else "?",
                         "status": status.group(1) if status else "?", "hung": hung})
            log("child allocation (System.gc() first: %s): %d MB, then %s; parent %s; hang reported: %s"
                % (gc_first, child_mb, runs[-1]["status"], runs[-1]["eden"], hung))
    res["child_alloc"] = runs


def measure_stress(k, args, res):
    run_cell(k, STRESS_CELL, "stress definitions", args.timeout)
    t0 = time.perf_counter()
    text, err, _ = run_cell(k, "System.out.println(jforkStress(%d));" % args.stress, "fork stress", args.stress_timeout)
    wall = time.perf_counter() - t0
    m = re.search(r"STRESS (.*)", text)
    if not m:
        raise BenchError("unexpected stress result: %r / stderr %r" % (text[:500], err[-500:]))
    st = {kv.split("=")[0]: int(kv.split("=")[1]) for kv in m.group(1).split()}
    st["wall"] = wall
    st["bad"] = re.search(r"^BAD(.*)$", text, re.M).group(1).strip()
    st["hung_reported"] = len(re.findall(r"child \d+ hung \(", err))
    st["stderr"] = err.strip()
    st["load"] = loadavg()
    time.sleep(0.3)
    _, _, ps = run_cell(k, "%ps", "%ps after the stress", args.timeout)
    rows = (ps or "").splitlines()[1:]
    live = [r for r in rows if not re.search(r"\b(exited with code|killed by)\b", r)]
    st["ps_live"] = live
    kids = subprocess.run(["pgrep", "-P", str(k.pid())], capture_output=True, text=True).stdout.split()
    st["os_children"] = kids
    res["stress"] = st
    log("stress: %s; %%ps live rows: %d; OS children of the kernel: %s; hung reported: %d; load %s"
        % (m.group(1), len(live), kids or "none", st["hung_reported"], st["load"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200, help="round trips per measurement")
    ap.add_argument("--warmup", type=int, default=20, help="round trips before each measurement")
    ap.add_argument("--mid-mb", type=int, default=500, help="live heap of the middle case (default flags)")
    ap.add_argument("--big-mb", type=int, default=2048, help="live heap of the large case (raised -Xmx)")
    ap.add_argument("--big-xmx", default="3g", help="-Xmx of the kernelspec used for the large case")
    ap.add_argument("--stress", type=int, default=2000)
    ap.add_argument("--stress-timeout", type=float, default=900)
    ap.add_argument("--child-alloc-reps", type=int, default=3)
    ap.add_argument("--no-backtrace", action="store_true",
                    help="do not set JFORK_HANG_BACKTRACE for the stress kernel (gdb backtraces of hung children)")
    ap.add_argument("--only", default="rt,native,child,stress", help="comma-separated subset of rt,native,child,stress")
    ap.add_argument("--timeout", type=float, default=60.0, help="base per-cell timeout, seconds")
    ap.add_argument("--out", default=os.path.join(BENCH_DIR, "results", "fork.md"))
    args = ap.parse_args()
    only = set(args.only.split(","))

    try:
        base_spec = KernelSpecManager().get_kernel_spec("jfork")
    except NoSuchKernel:
        sys.exit("error: no jfork kernelspec visible to jupyter_client (JUPYTER_DATA_DIR=%s); run bench/fork_run"
                 % os.environ.get("JUPYTER_DATA_DIR", "unset"))
    log("kernel jfork: %s" % " ".join(base_spec.argv))
    spec_root = tempfile.mkdtemp(prefix="jfork-fork-bench-spec-")
    big_argv = make_big_spec(base_spec, args.big_xmx, spec_root)
    os.environ["JUPYTER_PATH"] = spec_root + (os.pathsep + os.environ["JUPYTER_PATH"] if os.environ.get("JUPYTER_PATH") else "")
    runtime_dir = tempfile.mkdtemp(prefix="jfork-fork-bench-rt-")
    log_dir = tempfile.mkdtemp(prefix="jfork-fork-bench-logs-")
    os.environ["JUPYTER_RUNTIME_DIR"] = runtime_dir
    log("runtime dir %s, kernel logs in %s" % (runtime_dir, log_dir))

    load_start = loadavg()
    started = time.perf_counter()
    res, errors, pids = {}, [], set()

    def section(name, fn):
        try:
            fn()
        except (BenchError, subprocess.TimeoutExpired, OSError) as e:
            errors.append("%s: %s" % (name, str(e).replace("\n", " ")[:1500]))
            log("%s FAILED: %s" % (name, e))

    if "rt" in only or "child" in only:
        def default_kernel():
            k = start_kernel("jfork", runtime_dir, log_dir, args.timeout)
            pids.add(k.pid())
            try:
                if "rt" in only:
                    section("default heap", lambda: measure_rt_series(k, "default", args, res))
                if "child" in only:
                    section("child allocation", lambda: measure_child_alloc(k, args, res))
                if "rt" in only:
                    section("%d MB heap" % args.mid_mb, lambda: measure_rt_series(k, "mid", args, res, args.mid_mb))
            finally:
                k.shutdown()
        section("default kernel", default_kernel)
    if "rt" in only:
        def big_kernel():
            k = start_kernel(BIG_KERNEL, runtime_dir, log_dir, args.timeout)
            pids.add(k.pid())
            try:
                section("default heap, -Xmx%s" % args.big_xmx, lambda: measure_rt_series(k, "big0", args, res))
                section("%d MB heap" % args.big_mb, lambda: measure_rt_series(k, "big", args, res, args.big_mb))
            finally:
                k.shutdown()
        section("big kernel", big_kernel)
    native = {}
    if "native" in only:
        cbin = os.path.join(tempfile.mkdtemp(prefix="jfork-fork-bench-c-"), "fork_rt")
        cc = subprocess.run(["gcc", "-O2", "-o", cbin, os.path.join(BENCH_DIR, "fork_rt.c")], capture_output=True, text=True)
        if cc.returncode != 0:
            errors.append("gcc: " + cc.stderr[-500:])
        for label in ("default", "mid", "big"):
            target = int(round(res[label]["rss"])) if label in res else {"default": 150, "mid": 650, "big": 2300}[label]
            for lang, cmd in (("c", [cbin]), ("py", ["/usr/bin/python3", "-c", PY_RT])):
                if lang == "c" and cc.returncode != 0:
                    continue
                def one(lang=lang, cmd=cmd, label=label, target=target):
                    rss, ms = native_round_trips(cmd + [str(target), str(args.n), str(args.warmup)], args.n, args.warmup,
                                                 args.timeout * 10)
                    s = summary(ms)
                    s["rss"] = rss
                    s["load"] = loadavg()
                    native[(lang, label)] = s
                    log("%s at %d MB: p50 %.2f ms, p90 %.2f ms, RSS %.0f MB" % (lang, target, s["p50"], s["p90"], rss))
                section("%s %s" % (lang, label), one)
    if "stress" in only:
        def stress_kernel():
            env = {} if args.no_backtrace else {"JFORK_HANG_BACKTRACE": "1"}
            k = start_kernel("jfork", runtime_dir, log_dir, args.timeout, env)
            pids.add(k.pid())
            try:
                jfork_round_trips(k, args.warmup, args.timeout * 4)
                section("stress", lambda: measure_stress(k, args, res))
            finally:
                k.shutdown()
                res["stress_log"] = k.log_path
        section("stress kernel", stress_kernel)
    time.sleep(0.5)
    leftovers = leftover_processes(runtime_dir, pids)
    load_end = loadavg()

    # ---- table --------------------------------------------------------------------------------------
    def rss(s):
        return "%.0f MB" % s["rss"] if s else "—"

    cases = [("default", "default heap (fresh kernel, default flags)", 5.0),
             ("mid", "~%d MB live heap (default flags, -Xmx1g)" % args.mid_mb, None),
             ("big0", "default heap, kernel started with -Xmx%s" % args.big_xmx, None),
             ("big", "~%d MB live heap (kernel started with **-Xmx%s**)" % (args.big_mb, args.big_xmx), 10.0)]
    table = ["| fork + `_exit` + waitpid, median / p90 of %d | jfork (RSS) | C (RSS) | CPython (RSS) | target |" % args.n,
             "|---|---|---|---|---|"]
    for label, desc, target in cases:
        if label not in res and label != "big0":
            table.append("| %s | failed | — | — | %s |" % (desc, "≤ %g ms" % target if target else "—"))
            continue
        if label not in res:
            continue
        jf = res[label]
        native_label = {"big0": None}.get(label, label)
        c = native.get(("c", native_label))
        py = native.get(("py", native_label))
        table.append("| %s | %s (%s) | %s (%s) | %s (%s) | %s |" % (
            desc, fmt_rt(jf, target), rss(jf), fmt_rt(c), rss(c), fmt_rt(py), rss(py),
            "≤ %g ms median" % target if target else "—"))
    st = res.get("stress")
    if st:
        ok = st["completed"] == args.stress and st["notNormal"] == 0 and st["forkFailed"] == 0 and not st["ps_live"] \
            and not st["os_children"]
        table.append("| %d sequential forks in one cell, 2 threads allocating garbage: completed / not exited normally "
                     "/ fork failed | %d / %d / %d %s | | | %d / 0 / 0 |"
                     % (args.stress, st["completed"], st["notNormal"], st["forkFailed"], "✅" if ok else "❌", args.stress))
        table.append("| … children reported \"hung\" by the kernel (stderr) / transparent retries (hung before STARTED) "
                     "| %d / %d | | | 0 left hanging |" % (st["hung_reported"], st["retries"]))
        table.append("| … left afterwards: `%%ps` live rows / OS children of the kernel | %d / %d %s | | | 0 / 0 |"
                     % (len(st["ps_live"]), len(st["os_children"]), "✅" if not st["ps_live"] and not st["os_children"] else "❌"))
        table.append("| … round trip median / p90 / max | %.2f / %.2f / %.1f ms | | | reported |"
                     % (st["medianNs"] / 1e6, st["p90Ns"] / 1e6, st["maxNs"] / 1e6))
        table.append("| … whole cell; GCs during it; garbage allocated | %.1f s; %d GCs; %d MB | | | — |"
                     % (st["wall"], st["gcs"], st["allocatedMB"]))
    else:
        table.append("| %d-fork stress | failed | | | %d / 0 |" % (args.stress, args.stress))

    ca = res.get("child_alloc", [])
    child_lines = []
    if ca:
        for gc_first in (False, True):
            runs = [r for r in ca if r["gc"] == gc_first]
            child_lines.append("- %s: child allocated %s MB (1 MB chunks) before it hung; kernel before the fork: %s; "
                               "child then: %s; hang reported in the cell: %s" % (
                                   "System.gc() in the kernel just before the fork" if gc_first else "no GC before the fork",
                                   ", ".join(str(r["mb"]) for r in runs), "; ".join(r["eden"] for r in runs),
                                   ", ".join(sorted(set(r["status"] for r in runs))),
                                   ", ".join("yes" if r["hung"] else "no" for r in runs)))

    import jupyter_client
    java, jflags = kernel_java_and_flags(base_spec.argv)
    header = [
        "# jfork fork benchmark",
        "",
        "- Date: %s" % datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "- Machine: %d CPUs (nproc), %s %s; THP %s" % (os.cpu_count() or 0, platform.system(), platform.release(), thp()),
        "- **Load average** (1/5/15 min) at start: %s; at end: %s (other builds share this machine: numbers are noisy)"
        % (load_start, load_end),
        "- jfork kernelspec: `%s`" % " ".join(base_spec.argv),
        "- Large case: the same argv with `-Xmx%s` instead of the default `-Xmx`" % args.big_xmx,
        "- jfork times are taken inside the cell with System.nanoTime around `os.fork()` … `os.waitpid(p, 0)` (the child "
        "runs `os._exit(0)`), so they include the kernel's VM-idle wait, pipes, the STARTED handshake and the reap, but "
        "no client latency. %d warm-up round trips before each series. C: bench/fork_rt.c (gcc -O2, malloc + touch); "
        "CPython: %s, bytearray touched; both top up their own RSS to the jfork kernel's." % (args.warmup, "/usr/bin/python3"),
        "- Client: jupyter_client %s on Python %s" % (jupyter_client.__version__, platform.python_version()),
        "",
    ]
    notes = ["", "## Child allocation before it needs a GC (default flags: `%s`)" % " ".join(
        f for f in jflags if f.startswith("-X") and not f.startswith("-XX:Shared")), ""]
    notes += child_lines or ["- not measured"]
    if ca:
        mbs = [r["mb"] for r in ca]
        notes += ["", "**A forked child can allocate about %d-%d MB before it would need a GC** (min-max of %d runs; the "
                  "upper end right after a GC in the kernel)." % (min(mbs), max(mbs), len(mbs))]
    notes += ["", "## Notes", ""]
    for label, desc, _ in cases:
        if label in res:
            notes.append("- %s: load %s during the series; kernel RSS %.0f MB, of which %.0f MB in transparent huge "
                         "pages (AnonHugePages)" % (desc, res[label]["load"], res[label]["rss"], res[label].get("thp", float("nan"))))
    if st:
        notes.append("- stress: non-normal children: %s" % (st["bad"] or "none"))
        if st["stderr"]:
            notes.append("- stress cell stderr (first 1500 chars): `%s`" % st["stderr"][:1500].replace("\n", " ⏎ "))
        notes.append("- stress kernel ran with JFORK_HANG_BACKTRACE=%s; kernel log: %s" % (
            "1" if not args.no_backtrace else "unset", res.get("stress_log")))
    for e in errors:
        notes.append("- FAILED %s" % e)
    notes.append("- Processes left behind after shutdown: %s" % ("none" if not leftovers else "; ".join(leftovers)))
    notes.append("- Total bench time: %.0f s" % (time.perf_counter() - started))
    text = "\n".join(header + table + notes) + "\n"
    print(text)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    log("wrote %s" % args.out)
    shutil.rmtree(runtime_dir, ignore_errors=True)
    shutil.rmtree(spec_root, ignore_errors=True)
    return 2 if leftovers else (1 if errors else 0)


def thp():
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            return f.read().strip()
    except OSError:
        return "?"


if __name__ == "__main__":
    run_and_exit(main)
