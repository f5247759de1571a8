#!/usr/bin/python3
"""Pool benchmark: jfork's Pool (fork and spawn start methods) against CPython's multiprocessing.Pool
(fork and spawn), measured in the same run on the same machine.

Run through bench/pool_run (it makes sure the jfork kernelspec is installed), or directly with a
Python that has jupyter_client (Debian's /usr/bin/python3):

    /usr/bin/python3 bench/pool_bench.py [--reps 15] [--tiny 100000] [--only fork,spawn,cpython]

jfork is driven as a user would drive it: cells sent to the real kernel over jupyter_client, times
taken inside the cells with System.nanoTime. CPython runs bench/pool_cpython.py with /usr/bin/python3.
Measures the targets of issue 4 (fork) and issue 7 (spawn): map(double, 10,000 ints) on 2 workers,
4 x count-primes-below-2,000,000 speedups (warm and cold code), pool creation + first result, spawn
start-up (2 workers ready), per-task overhead over 100,000 tiny tasks, the apply round trip, and an
allocation-heavy task (each item builds and drops 2 GB of garbage). Records the load average (the
machine is shared) and RSS. Prints a Markdown table and writes it to bench/results/pool.md.
Not part of the test suite.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kernel_bench import BenchError, Kernel, leftover_processes, log, proc_rss_mb, run_and_exit  # noqa: E402
from fork_bench import loadavg, run_cell  # noqa: E402
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel  # noqa: E402

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))

# Defined once. Each primes method is the same code under another name, so that "cold" really means
# never run in the kernel before the pool runs it.
JAVA_DEFS = r'''
double medianMs(long[] a) { long[] b = a.clone(); java.util.Arrays.sort(b); return b[b.length / 2] / 1e6; }
int countPrimes(int below) { int c = 0; outer: for (int n = 2; n < below; n++) { for (int d = 2; (long) d * d <= n; d++) if (n % d == 0) continue outer; c++; } return c; }
int countPrimesForkCold(int below) { int c = 0; outer: for (int n = 2; n < below; n++) { for (int d = 2; (long) d * d <= n; d++) if (n % d == 0) continue outer; c++; } return c; }
int countPrimesSpawnCold(int below) { int c = 0; outer: for (int n = 2; n < below; n++) { for (int d = 2; (long) d * d <= n; d++) if (n % d == 0) continue outer; c++; } return c; }
int countPrimesFirstRun(int below) { int c = 0; outer: for (int n = 2; n < below; n++) { for (int d = 2; (long) d * d <= n; d++) if (n % d == 0) continue outer; c++; } return c; }
long churn(int mb) { long s = 0; for (int i = 0; i < mb; i++) { byte[] b = new byte[1 << 20]; b[i % b.length] = 1; s += b.length; } return s; }
String peakRss(List<Integer> pids) {
    StringBuilder sb = new StringBuilder();
    for (int pid : pids) {
        try { for (String l : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + pid + "/status"))) if (l.startsWith("VmHWM:")) sb.append(sb.length() == 0 ? "" : ",").append(Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024); }
        catch (Exception e) { sb.append("?"); }
    }
    return sb.toString();
}
long threadCpuMs() { return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() / 1_000_000; }
long processCpuMs(List<Integer> pids) { long s = 0; for (int p : pids) s += ProcessHandle.of(p).flatMap(h -> h.info().totalCpuDuration()).map(d -> d.toMillis()).orElse(0L); return s; }
String cpuEach(List<Integer> pids, java.util.Map<Integer, Long> before) { StringBuilder sb = new StringBuilder(); for (int p : pids) sb.append(sb.length() == 0 ? "" : ",").append(ProcessHandle.of(p).flatMap(h -> h.info().totalCpuDuration()).map(d -> d.toMillis()).orElse(0L) - before.getOrDefault(p, 0L)); return sb.toString(); }
java.util.Map<Integer, Long> cpuNow(List<Integer> pids) { var m = new java.util.HashMap<Integer, Long>(); for (int p : pids) m.put(p, ProcessHandle.of(p).flatMap(h -> h.info().totalCpuDuration()).map(d -> d.toMillis()).orElse(0L)); return m; }
List<Integer> bounds = List.of(2_000_000, 2_000_000, 2_000_000, 2_000_000);
List<Integer> tenK = IntStream.range(0, 10_000).boxed().toList();
Pool.Fn<Integer, Integer> dbl = x -> x * 2;
Pool.Fn<Integer, Integer> inc = x -> x + 1;
'''

# %(m)s: start method; %(reps)d; %(tiny)d; %(rts)d
COMMON_CELL = r'''
{
    List<Integer> tiny = IntStream.range(0, %(tiny)d).boxed().toList();
    long[] cold = new long[%(reps)d];
    for (int i = 0; i < cold.length; i++) { long t = System.nanoTime(); Pool p = new Pool(2, "%(m)s"); List<Integer> r = p.map(dbl, tenK); p.close(); p.join(); cold[i] = System.nanoTime() - t; if (r.get(9_999) != 19_998) throw new AssertionError(); }
    System.out.println("R map10k_create_ms " + medianMs(cold));
    Pool wp = new Pool(2, "%(m)s");
    wp.map(dbl, tenK);
    long[] warm = new long[%(reps)d];
    for (int i = 0; i < warm.length; i++) { long t = System.nanoTime(); List<Integer> r = wp.map(dbl, tenK); warm[i] = System.nanoTime() - t; if (r.get(9_999) != 19_998) throw new AssertionError(); }
    System.out.println("R map10k_warm_ms " + medianMs(warm));
    long t1 = System.nanoTime(); List<Integer> big = wp.map(dbl, tiny); long mapNs = System.nanoTime() - t1;
    if (big.get(big.size() - 1) != 2 * (big.size() - 1)) throw new AssertionError();
    System.out.println("R map_tiny_us_per_item " + mapNs / 1e3 / tiny.size());
    long t2 = System.nanoTime(); int n = 0; for (int v : wp.imap(dbl, tiny, 1)) n++; long imapNs = System.nanoTime() - t2;
    if (n != tiny.size()) throw new AssertionError();
    System.out.println("R imap1_tiny_us_per_task " + imapNs / 1e3 / tiny.size());
    for (int i = 0; i < 200; i++) wp.apply(inc, i);
    long[] rt = new long[%(rts)d];
    for (int i = 0; i < rt.length; i++) { long t = System.nanoTime(); wp.apply(inc, i); rt[i] = System.nanoTime() - t; }
    System.out.println("R apply_rt_ms " + medianMs(rt));
    System.out.println("R pool " + wp);
    wp.terminate();
}
'''

FORK_START_CELL = r'''
{
    long[] first = new long[%(reps)d];
    for (int i = 0; i < first.length; i++) { long t = System.nanoTime(); Pool p = new Pool(2, "fork"); p.apply(inc, 1); first[i] = System.nanoTime() - t; p.terminate(); }
    System.out.println("R first_result_ms " + medianMs(first));
}
'''

SPAWN_START_CELL = r'''
{
    int runs = Math.max(3, %(reps)d / 3);
    long[] ready = new long[runs], first = new long[runs];
    for (int i = 0; i < runs; i++) {
        long t = System.nanoTime();
        Pool p = new Pool(2, "spawn");
        if (!p.spawnCore().awaitReady(60, TimeUnit.SECONDS)) throw new AssertionError("workers not ready");
        ready[i] = System.nanoTime() - t;
        p.terminate();
        t = System.nanoTime();
        Pool q = new Pool(2, "spawn");
        q.apply(inc, 1);
        first[i] = System.nanoTime() - t;
        q.terminate();
    }
    System.out.println("R ready2_ms " + medianMs(ready));
    System.out.println("R first_result_ms " + medianMs(first));
}
'''

FORK_PRIMES_CELL = r'''
{
    for (int b : bounds) countPrimes(b);          // the function runs in the kernel first: JIT-compiled there
    long k0 = threadCpuMs();
    long s0 = System.nanoTime(); List<Integer> seq = new ArrayList<>(); for (int b : bounds) seq.add(countPrimes(b)); long seqNs = System.nanoTime() - s0;
    long seqCpu = threadCpuMs() - k0;
    Pool pw = new Pool(2, "fork");
    long w0 = System.nanoTime(); List<Integer> warm = pw.map(b -> countPrimes(b), bounds, 1); long warmNs = System.nanoTime() - w0;
    String warmCpu = cpuEach(pw.workerPids(), java.util.Map.of());
    pw.terminate();
    Pool pc = new Pool(2, "fork");
    long c0 = System.nanoTime(); List<Integer> cold = pc.map(b -> countPrimesForkCold(b), bounds, 1); long coldNs = System.nanoTime() - c0;
    pc.terminate();
    if (!seq.equals(warm) || !seq.equals(cold)) throw new AssertionError(seq + " " + warm + " " + cold);
    System.out.println("R primes_seq_warm_ms " + seqNs / 1e6);
    System.out.println("R primes_seq_warm_cpu_ms " + seqCpu);
    System.out.println("R primes_pool_warm_ms " + warmNs / 1e6);
    System.out.println("R primes_pool_warm_worker_cpu_ms " + warmCpu);
    System.out.println("R primes_pool_cold_ms " + coldNs / 1e6);
}
'''

SPAWN_PRIMES_CELL = r'''
{
    Pool ps = new Pool(2, "spawn");
    if (!ps.spawnCore().awaitReady(60, TimeUnit.SECONDS)) throw new AssertionError("workers not ready");
    var cpu0 = cpuNow(ps.workerPids());
    long c0 = System.nanoTime(); List<Integer> cold = ps.map(b -> countPrimesSpawnCold(b), bounds, 1); long coldNs = System.nanoTime() - c0;
    String coldCpu = cpuEach(ps.workerPids(), cpu0);
    long k0 = threadCpuMs();
    long s0 = System.nanoTime(); List<Integer> seq = new ArrayList<>(); for (int b : bounds) seq.add(countPrimesFirstRun(b)); long seqNs = System.nanoTime() - s0;
    long seqCpu = threadCpuMs() - k0;
    if (!seq.equals(cold)) throw new AssertionError(seq + " " + cold);
    System.out.println("R primes_seq_first_ms " + seqNs / 1e6);
    System.out.println("R primes_seq_first_cpu_ms " + seqCpu);
    System.out.println("R primes_pool_cold_ms " + coldNs / 1e6);
    System.out.println("R primes_pool_cold_worker_cpu_ms " + coldCpu);
    long a0 = System.nanoTime(); List<Long> churned = ps.map(x -> churn(x), List.of(%(mb)d, %(mb)d), 1); long aNs = System.nanoTime() - a0;
    if (churned.get(0) != ((long) %(mb)d << 20)) throw new AssertionError(churned.toString());
    System.out.println("R churn_ms " + aNs / 1e6);
    System.out.println("R churn_worker_peak_rss_mb " + peakRss(ps.workerPids()));
    ps.terminate();
}
'''

FORK_CHURN_CELL = r'''
{
    churn(2); // the code once in the kernel: the worker then runs nothing for the first time
    Pool pf = new Pool(1, "fork");
    long a0 = System.nanoTime();
    String how;
    try { long v = pf.apply(x -> churn(x), %(mb)d); how = "completed " + v; }
    catch (jfork.pool.WorkerLostException e) { how = e.getMessage(); }
    long aNs = System.nanoTime() - a0;
    pf.terminate();
    System.out.println("R churn_ms " + aNs / 1e6);
    System.out.println("R churn_outcome " + how.replace('\n', ' '));
}
'''


def results(text):
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^R (\S+) (.*)$", text, re.M)}


def num(d, key):
    try:
        return float(d[key])
    except (KeyError, TypeError, ValueError):
        return None


def start_kernel(runtime_dir, log_dir, timeout):
    k = Kernel("jfork", runtime_dir, log_dir, timeout)
    k.start()
    k.kernel_info(what="start")
    k.wait_iopub()
    run_cell(k, "1+1", "first cell", timeout)
    run_cell(k, JAVA_DEFS, "definitions", timeout)
    return k


def measure_jfork(method, args, runtime_dir, log_dir, res, pids, errors):
    """One fresh kernel per start method, so that neither inherits the other's warmed-up code."""
    out = res.setdefault(method, {})
    k = start_kernel(runtime_dir, log_dir, args.timeout)
    pids.add(k.pid())
    params = {"m": method, "reps": args.reps, "tiny": args.tiny, "rts": args.round_trips, "mb": args.churn_mb}
    cells = [("start-up", FORK_START_CELL if method == "fork" else SPAWN_START_CELL),
             ("map and tiny tasks", COMMON_CELL),
             ("primes", FORK_PRIMES_CELL if method == "fork" else SPAWN_PRIMES_CELL)]
    if method == "fork":
        cells.append(("allocation-heavy", FORK_CHURN_CELL))
    try:
        for what, cell in cells:
            t0 = time.perf_counter()
            try:
                text, err, _ = run_cell(k, cell % params, "%s %s" % (method, what), args.cell_timeout)
                got = results(text)
                out.update(got)
                out["load " + what] = loadavg()
                log("jfork %s %s (%.0f s, load %s): %s" % (method, what, time.perf_counter() - t0, loadavg(), got))
                if err.strip():
                    log("  stderr: %s" % err.strip()[:600])
            except BenchError as e:
                errors.append("jfork %s %s: %s" % (method, what, str(e).replace("\n", " ")[:800]))
                log("jfork %s %s FAILED: %s" % (method, what, e))
        out["kernel_rss_mb"] = proc_rss_mb(k.pid())
    finally:
        k.shutdown()


def measure_cpython(method, args, res, errors):
    cmd = ["/usr/bin/python3", os.path.join(BENCH_DIR, "pool_cpython.py"), method, "--reps", str(args.reps),
           "--tiny", str(args.tiny), "--round-trips", str(args.round_trips), "--churn-mb", str(args.churn_mb)]
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.cell_timeout)
        if p.returncode != 0:
            raise BenchError("exit %d: %s" % (p.returncode, p.stderr[-800:]))
        res["py " + method] = json.loads(p.stdout.strip().splitlines()[-1])
        log("CPython %s (%.0f s): %s" % (method, time.perf_counter() - t0, res["py " + method]))
    except (BenchError, subprocess.TimeoutExpired, ValueError, IndexError) as e:
        errors.append("CPython %s: %s" % (method, str(e)[:800]))
        log("CPython %s FAILED: %s" % (method, e))


def ms(v, digits=1):
    return "—" if v is None else ("%." + str(digits) + "f ms") % v


def us(v):
    return "—" if v is None else "%.1f us" % v


def mark(ok):
    return "" if ok is None else (" ✅" if ok else " ❌")


def at_most(v, limit):
    return None if v is None or limit is None else v <= limit


def ceiling_row(row, label, seq_cpu, worker_cpu, where):
    """The speedup the pool would give with both CPUs to itself: sequential CPU / the busiest worker's CPU."""
    try:
        workers = [float(x) for x in worker_cpu.split(",")]
    except (AttributeError, ValueError):
        return
    if not seq_cpu or not workers or max(workers) <= 0:
        return
    cells = ["", ""]
    cells[0 if where == "" else 1] = "%.0f ms → %s ms (%.2fx)" % (seq_cpu, " / ".join("%.0f" % w for w in workers),
                                                               seq_cpu / max(workers))
    row("… CPU time (%s): kernel thread, sequential → each worker process (JIT and GC threads included); "
        "sequential / busiest worker = the speedup with two idle CPUs" % label, cells[0], cells[1], "", "", "explains")


def table(res, args):
    f, s = res.get("fork", {}), res.get("spawn", {})
    pf, ps = res.get("py fork", {}), res.get("py spawn", {})
    rows = ["| measure | jfork fork | jfork spawn | CPython fork | CPython spawn | target |", "|---|---|---|---|---|---|"]

    def row(what, jf, js, cf, cs, target):
        rows.append("| %s | %s | %s | %s | %s | %s |" % (what, jf, js, cf, cs, target))

    # issue 4: map(double, 10,000 ints)
    fw, sw, pfw, psw = num(f, "map10k_warm_ms"), num(s, "map10k_warm_ms"), pf.get("map10k_warm_ms"), ps.get("map10k_warm_ms")
    # The issue's target is the map (fork); creating the pool is its separate "Pool creation + first
    # result" measure, reported, as is everything spawn does here (issue 7's targets are start-up and
    # the round trip).
    row("`map(double, 10,000 ints)`, 2 workers, on an existing pool (median of %d)" % args.reps,
        ms(fw) + mark(at_most(fw, pfw)), ms(sw), ms(pfw), ms(psw),
        "fork: ≤ CPython `Pool(2).map` (fork); spawn: reported")
    fc, sc, pfc, psc = num(f, "map10k_create_ms"), num(s, "map10k_create_ms"), pf.get("map10k_create_ms"), ps.get("map10k_create_ms")
    row("`Pool(2)` + `map(double, 10,000 ints)` + close + join (median of %d): two forks of the kernel and their "
        "exits included" % args.reps, ms(fc), ms(sc), ms(pfc), ms(psc), "reported")
    # issue 4: primes
    seq, warm, cold = num(f, "primes_seq_warm_ms"), num(f, "primes_pool_warm_ms"), num(f, "primes_pool_cold_ms")
    spd = seq / warm if seq and warm else None
    row("4 × count primes below 2,000,000, fork, function run in the kernel first: sequential in the kernel → Pool(2) "
        "(speedup)", "%s → %s (**%.2fx**)%s" % (ms(seq, 0), ms(warm, 0), spd, mark(spd >= 1.8)) if spd else "—",
        "", "n/a", "n/a", "≥ 1.8x")
    ceiling_row(row, "fork, warm", num(f, "primes_seq_warm_cpu_ms"), f.get("primes_pool_warm_worker_cpu_ms"), "")
    cspd = seq / cold if seq and cold else None
    row("… cold (the pool runs a function never run in the kernel; sequential as above)",
        "%s (%.2fx)" % (ms(cold, 0), cspd) if cspd else "—", "", "n/a", "n/a", "reported")
    sseq, scold = num(s, "primes_seq_first_ms"), num(s, "primes_pool_cold_ms")
    sspd = sseq / scold if sseq and scold else None
    row("4 × count primes below 2,000,000, spawn, cold code: sequential in the kernel (first run) → Pool(2) (speedup)",
        "", "%s → %s (**%.2fx**)%s" % (ms(sseq, 0), ms(scold, 0), sspd, mark(sspd >= 1.8)) if sspd else "—",
        "n/a", "n/a", "≥ 1.8x")
    ceiling_row(row, "spawn, cold", num(s, "primes_seq_first_cpu_ms"), s.get("primes_pool_cold_worker_cpu_ms"), "spawn")
    pp = res.get("py fork", {}).get("primes_speedup"), res.get("py spawn", {}).get("primes_speedup")
    bound = res.get("py fork", {}).get("primes_below") or res.get("py spawn", {}).get("primes_below")
    if any(pp):
        row("CPython, same run: 4 × count primes below %s (pure Python is too slow for 2,000,000), sequential → Pool(2) "
            "speedup: what this machine's load allows" % format(bound or 0, ","), "", "",
            "%.2fx" % pp[0] if pp[0] else "—", "%.2fx" % pp[1] if pp[1] else "—", "context")
    # latency
    row("Pool(2) creation + first `apply` result (median)", ms(num(f, "first_result_ms")), ms(num(s, "first_result_ms")),
        ms(pf.get("first_result_ms")), ms(ps.get("first_result_ms")), "reported")
    r2 = num(s, "ready2_ms")
    row("spawn start-up: `Pool(2)` until both workers are ready (median; CPython: until both ran their initializer)",
        "n/a", ms(r2, 0) + mark(at_most(r2, 1000.0)), ms(pf.get("ready2_ms")), ms(ps.get("ready2_ms")), "≤ 1.0 s (spawn)")
    # per task
    row("per item, `map(double, %s tiny items)` (default chunks)" % format(args.tiny, ","),
        us(num(f, "map_tiny_us_per_item")), us(num(s, "map_tiny_us_per_item")),
        us(pf.get("map_tiny_us_per_item")), us(ps.get("map_tiny_us_per_item")), "reported")
    row("per task, `imap(double, %s tiny items, chunksize 1)`" % format(args.tiny, ","),
        us(num(f, "imap1_tiny_us_per_task")), us(num(s, "imap1_tiny_us_per_task")),
        us(pf.get("imap1_tiny_us_per_task")), us(ps.get("imap1_tiny_us_per_task")), "reported")
    srt = num(s, "apply_rt_ms")
    row("`apply(inc, i)` round trip on a ready pool (median of %d)" % args.round_trips,
        ms(num(f, "apply_rt_ms"), 3), ms(srt, 3) + mark(at_most(srt, 1.0)), ms(pf.get("apply_rt_ms"), 3),
        ms(ps.get("apply_rt_ms"), 3), "≤ 1 ms (spawn)")
    # allocation-heavy
    fo = f.get("churn_outcome", "")
    fork_ok = ("garbage collection" in fo and "spawn" in fo) if fo else None
    fork_cell = ("reported after %s: *%s*" % (ms(num(f, "churn_ms"), 0), fo[:160] + ("…" if len(fo) > 160 else ""))
                 if fo else "—") + mark(fork_ok)
    sch = num(s, "churn_ms")
    spawn_cell = ("completed in %s (worker peak RSS %s MB)" % (ms(sch, 0), s.get("churn_worker_peak_rss_mb", "?"))
                  if sch else "—") + mark(sch is not None)
    row("allocation-heavy: each item builds and drops %d MB of garbage (fork: 1 item; spawn and CPython: 2 items, 2 workers)"
        % args.churn_mb, fork_cell, spawn_cell,
        "completed in %s" % ms(pf.get("churn_ms"), 0) if pf.get("churn_ok") else "—",
        "completed in %s" % ms(ps.get("churn_ms"), 0) if ps.get("churn_ok") else "—",
        "spawn completes; fork reported clearly, no hang")
    row("kernel RSS (VmRSS) at the end of its section", "%.0f MB" % f["kernel_rss_mb"] if "kernel_rss_mb" in f else "—",
        "%.0f MB" % s["kernel_rss_mb"] if "kernel_rss_mb" in s else "—", "", "", "reported")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=15, help="repetitions of the map and latency measurements")
    ap.add_argument("--tiny", type=int, default=100_000, help="tiny tasks for the per-task overhead")
    ap.add_argument("--round-trips", type=int, default=2000)
    ap.add_argument("--churn-mb", type=int, default=2048, help="garbage per item of the allocation-heavy task")
    ap.add_argument("--only", default="fork,spawn,cpython", help="comma-separated subset of fork,spawn,cpython")
    ap.add_argument("--timeout", type=float, default=60.0, help="timeout of short cells, seconds")
    ap.add_argument("--cell-timeout", type=float, default=400.0, help="timeout of measurement cells, seconds")
    ap.add_argument("--out", default=os.path.join(BENCH_DIR, "results", "pool.md"))
    args = ap.parse_args()
    only = set(args.only.split(","))
    try:
        spec = KernelSpecManager().get_kernel_spec("jfork")
    except NoSuchKernel:
        sys.exit("error: no jfork kernelspec visible to jupyter_client; run bench/pool_run")
    log("kernel jfork: %s" % " ".join(spec.argv))
    runtime_dir = tempfile.mkdtemp(prefix="jfork-pool-bench-rt-")
    log_dir = tempfile.mkdtemp(prefix="jfork-pool-bench-logs-")
    os.environ["JUPYTER_RUNTIME_DIR"] = runtime_dir
    load_start = loadavg()
    started = time.perf_counter()
    res, errors, pids = {}, [], set()
    for method in ("fork", "spawn"):
        if method in only:
            try:
                measure_jfork(method, args, runtime_dir, log_dir, res, pids, errors)
            except (BenchError, OSError) as e:
                errors.append("jfork %s: %s" % (method, e))
                log("jfork %s FAILED: %s" % (method, e))
    if "cpython" in only:
        for method in ("fork", "spawn"):
            measure_cpython(method, args, res, errors)
    time.sleep(0.5)
    leftovers = leftover_processes(runtime_dir, pids)
    load_end = loadavg()

    import jupyter_client
    header = [
        "# jfork Pool benchmark (fork and spawn) against CPython's multiprocessing",
        "",
        "- Date: %s" % datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "- Machine: %d CPUs (nproc), %s %s" % (os.cpu_count() or 0, platform.system(), platform.release()),
        "- **Load average** (1/5/15 min) at start: %s; at end: %s. The machine is shared with other builds: "
        "compare within this run, and read the speedups against the load." % (load_start, load_end),
        "- jfork kernelspec: `%s` (one fresh kernel per start method); spawn workers: `%s`" % (
            " ".join(spec.argv), "java -XX:+UseSerialGC … jfork.pool.SpawnWorker"),
        "- CPython: /usr/bin/python3 %s, bench/pool_cpython.py" % res.get("py fork", {}).get("python", "?"),
        "- jfork times are taken inside cells (System.nanoTime), CPython's with time.perf_counter; no client latency.",
        "- Client: jupyter_client %s on Python %s" % (jupyter_client.__version__, platform.python_version()),
        "",
    ]
    notes = ["", "## Notes", ""]
    for method in ("fork", "spawn"):
        d = res.get(method, {})
        loads = ["%s: %s" % (k[5:], v) for k, v in d.items() if k.startswith("load ")]
        if loads:
            notes.append("- jfork %s: load average after each section: %s" % (method, "; ".join(loads)))
        if d.get("pool"):
            notes.append("- jfork %s pool after the tiny-task runs: `%s`" % (method, d["pool"]))
    for method in ("fork", "spawn"):
        if res.get("py " + method):
            notes.append("- CPython %s: load average at its end: %s" % (method, res["py " + method].get("load")))
    for e in errors:
        notes.append("- FAILED %s" % e)
    notes.append("- Processes left behind after the kernels shut down: %s" % ("none" if not leftovers else "; ".join(leftovers)))
    notes.append("- Total bench time: %.0f s" % (time.perf_counter() - started))
    text = "\n".join(header + table(res, args) + notes) + "\n"
    print(text)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(text)
    log("wrote %s" % args.out)
    shutil.rmtree(runtime_dir, ignore_errors=True)
    return 2 if leftovers else (1 if errors else 0)


if __name__ == "__main__":
    run_and_exit(main)
