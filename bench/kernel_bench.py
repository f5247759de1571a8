#!/usr/bin/python3
"""Kernel-protocol benchmark: jfork vs ipykernel, measured in the same run.

Run through bench/run (it makes sure the jfork kernelspec is installed), or directly with a Python
that has jupyter_client (Debian's /usr/bin/python3):

    /usr/bin/python3 bench/kernel_bench.py [--kernels jfork,python3] [--cells 200] ...

Measures per kernel: cold start to kernel_info_reply and to the first cell result (median of N),
trivial-cell execute->idle latency p50/p95, a 10,000-line print cell, interrupt of a busy loop
(+ CPU used afterwards), restart time and RSS; plus the raw JShell.eval floor (bench/JShellFloor.java).
Prints a Markdown table and writes it to bench/results/kernel.md. Not part of the test suite.
"""
import argparse
import datetime
import gc
import os
import platform
import queue
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quiet debugpy when ipykernel is imported

try:
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
except ImportError:
    sys.exit("error: this Python (%s) cannot import jupyter_client; run with /usr/bin/python3 "
             "(Debian's python3-jupyter-client) or via bench/run" % sys.executable)

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
CLK_TCK = os.sysconf("SC_CLK_TCK")

CODE = {
    "jfork": {
        "trivial": "1+1",
        "lines": 'for (int i = 0; i < 10000; i++) System.out.println("line " + i);',
        "loop": "while (true) {}",
    },
    "python3": {
        "trivial": "1+1",
        "lines": 'for i in range(10000): print("line", i)',
        "loop": "while True: pass",
    },
}
N_LINES = 10000
LINE_RE = re.compile(r"^line (\d+)$")


class BenchError(Exception):
    pass


def log(msg):
    print("[bench] " + msg, file=sys.stderr, flush=True)


def pct(values, p):
    """Percentile with linear interpolation between closest ranks (same as JShellFloor.java)."""
    s = sorted(values)
    if not s:
        return float("nan")
    if len(s) == 1:
        return s[0]
    rank = p / 100.0 * (len(s) - 1)
    lo = int(rank)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (rank - lo)


def proc_cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        data = f.read()
    fields = data[data.rindex(")") + 2:].split()  # fields after "pid (comm) "; utime is field 14 overall
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise BenchError("no VmRSS for pid %d" % pid)


class Kernel:
    """One kernel started with KernelManager plus a blocking client, with timeouts on every wait."""

    def __init__(self, name, runtime_dir, log_dir, timeout):
        self.name = name
        self.timeout = timeout
        self.log_path = os.path.join(log_dir, "%s.log" % name)
        self.km = KernelManager(kernel_name=name)
        self.km.connection_file = os.path.join(
            runtime_dir, "kernel-%s-%d-%d.json" % (name, os.getpid(), time.monotonic_ns()))
        self.kc = None
        self.logf = None
        self._last_info = None
        self.pids = set()

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self):
        """Starts the kernel and its channels; returns time.perf_counter() taken just before start_kernel()."""
        # Kept open for the kernel's lifetime: restart_kernel() relaunches with the same arguments.
        self.logf = open(self.log_path, "ab")
        t0 = time.perf_counter()
        self.km.start_kernel(stdout=self.logf, stderr=self.logf)
        self.pids.add(self.pid())
        self.kc = self.km.client()
        self.kc.start_channels()
        return t0

    def pid(self):
        prov = getattr(self.km, "provisioner", None)
        proc = getattr(prov, "process", None) if prov is not None else None
        if proc is None:
            proc = getattr(self.km, "kernel", None)
        if proc is None or getattr(proc, "pid", None) is None:
            raise BenchError("cannot find the pid of kernel %s" % self.name)
        return proc.pid

    def shutdown(self):
        if self.kc is not None:
            try:
                self.kc.stop_channels()
            except Exception:
                pass
        try:
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=False)
        except Exception as e:
            log("%s: graceful shutdown failed (%s); killing" % (self.name, e))
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:
                pass
        try:
            self.km.cleanup_resources()
        except Exception:
            pass
        self.kc = None
        if self.logf is not None:
            self.logf.close()
            self.logf = None

    def log_tail(self, n=15):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def check_alive(self, what):
        if not self.km.is_alive():
            raise BenchError("kernel %s died during %s; its log (%s) ends with:\n%s"
                             % (self.name, what, self.log_path, self.log_tail()))

    # -- messaging ----------------------------------------------------------------------------------
    def _shell_reply(self, msg_id, deadline, what):
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                self.check_alive(what)
                raise BenchError("%s: no shell reply from %s within the timeout" % (what, self.name))
            try:
                msg = self.kc.get_shell_msg(timeout=min(left, 1.0))
            except queue.Empty:
                self.check_alive(what)
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg

    def kernel_info(self, timeout=None, what="kernel_info"):
        msg_id = self._last_info = self.kc.kernel_info()
        return self._shell_reply(msg_id, time.perf_counter() + (timeout or self.timeout), what)

    def wait_iopub(self, what="iopub handshake"):
        """Makes sure the IOPub subscription is live (ZeroMQ slow joiner): after a kernel_info_reply,
        look for that request's status messages on IOPub; if they were missed, ask again."""
        deadline = time.perf_counter() + self.timeout
        msg_id = self._last_info
        while True:
            end = time.perf_counter() + 0.25
            while time.perf_counter() < end:
                try:
                    msg = self.kc.get_iopub_msg(timeout=max(0.0, end - time.perf_counter()))
                except queue.Empty:
                    break
                if msg.get("parent_header", {}).get("msg_id") == msg_id:
                    self.drain_iopub(0.0)
                    return
            if time.perf_counter() > deadline:
                raise BenchError("%s: %s never published on IOPub for kernel_info" % (what, self.name))
            self.kernel_info(what=what)
            msg_id = self._last_info

    def execute(self, code, timeout=None, what="execute", on_iopub=None):
        """Sends execute_request; waits for status idle (iopub) and the execute_reply (shell).
        Returns (t_sent, t_idle, reply, t_reply, iopub messages)."""
        deadline = time.perf_counter() + (timeout or self.timeout)
        t_sent = time.perf_counter()
        msg_id = self.kc.execute(code, store_history=True)
        msgs = []
        t_idle = None
        while t_idle is None:
            left = deadline - time.perf_counter()
            if left <= 0:
                self.check_alive(what)
                raise BenchError("%s: %s did not go idle within %.0f s" % (what, self.name, timeout or self.timeout))
            try:
                msg = self.kc.get_iopub_msg(timeout=min(left, 1.0))
            except queue.Empty:
                self.check_alive(what)
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            now = time.perf_counter()
            msgs.append(msg)
            if on_iopub:
                on_iopub(msg, now)
            if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
                t_idle = now
        reply = self._shell_reply(msg_id, deadline, what)
        return t_sent, t_idle, reply, time.perf_counter(), msgs

    def drain_iopub(self, seconds):
        msgs = []
        end = time.perf_counter() + seconds
        while True:
            left = end - time.perf_counter()
            if left <= 0:
                return msgs
            try:
                msgs.append(self.kc.get_iopub_msg(timeout=left))
            except queue.Empty:
                return msgs


def check_result(reply, msgs, what, expect="2"):
    if reply["content"].get("status") != "ok":
        c = reply["content"]
        raise BenchError("%s: execute_reply status %s: %s %s" % (what, c.get("status"), c.get("ename"), c.get("evalue")))
    if expect is not None:
        got = [m["content"]["data"].get("text/plain") for m in msgs if m["msg_type"] == "execute_result"]
        if got != [expect]:
            raise BenchError("%s: expected one execute_result %r, got %r" % (what, expect, got))


# ---------------------------------------------------------------------------------------------------
# Measurements. Each returns a dict of results; errors are caught per measurement by the caller.

def measure_cold(name, args, runtime_dir, log_dir):
    infos, firsts = [], []
    for i in range(args.cold_runs):
        k = Kernel(name, runtime_dir, log_dir, args.timeout)
        try:
            t0 = k.start()
            k.kernel_info(what="cold start %d" % (i + 1))
            t_info = time.perf_counter()
            k.wait_iopub()  # normally free: the status messages of that kernel_info are already there
            result_at = []
            _, _, reply, _, msgs = k.execute(
                CODE[name]["trivial"], what="first cell (cold start %d)" % (i + 1),
                on_iopub=lambda m, now: result_at.append(now) if m["msg_type"] == "execute_result" else None)
            check_result(reply, msgs, "first cell")
            infos.append(t_info - t0)
            firsts.append(result_at[0] - t0)
            log("%s cold start %d: kernel_info %.3f s, first result %.3f s" % (name, i + 1, infos[-1], firsts[-1]))
        finally:
            k.shutdown()
    return {"cold_info": statistics.median(infos), "cold_first": statistics.median(firsts),
            "cold_info_all": infos, "cold_first_all": firsts}


def measure_session(name, args, runtime_dir, log_dir, res):
    """Trivial cells, RSS, 10,000 lines, interrupt, restart: one kernel. Fills res as it goes."""
    k = Kernel(name, runtime_dir, log_dir, args.timeout)
    try:
        k.start()
        k.kernel_info(what="session start")
        k.wait_iopub()
        code = CODE[name]["trivial"]

        # 2. trivial cells
        try:
            for i in range(args.warmup):
                _, _, reply, _, msgs = k.execute(code, what="warm-up cell %d" % (i + 1))
                check_result(reply, msgs, "warm-up cell")
            lat = []
            for i in range(args.cells):
                t_sent, t_idle, reply, _, msgs = k.execute(code, what="trivial cell %d" % (i + 1))
                check_result(reply, msgs, "trivial cell")
                lat.append((t_idle - t_sent) * 1000)
            res["p50"] = pct(lat, 50)
            res["p95"] = pct(lat, 95)
            log("%s 1+1 x%d: p50 %.2f ms, p95 %.2f ms" % (name, args.cells, res["p50"], res["p95"]))
            # 6. RSS after the cells
            res["rss"] = proc_rss_mb(k.pid())
            log("%s RSS after the cells: %.0f MB" % (name, res["rss"]))
        except BenchError as e:
            res["err_trivial"] = str(e)
            log("%s trivial cells FAILED: %s" % (name, e))

        # 3. 10,000 lines
        try:
            runs = []
            for rep in range(args.lines_reps):
                chunks = []
                stats = {"streams": 0}

                def on_msg(m, now, chunks=chunks, stats=stats):
                    if m["msg_type"] == "stream" and m["content"].get("name") == "stdout":
                        stats["streams"] += 1
                        chunks.append(m["content"]["text"])
                t_sent, t_idle, reply, _, msgs = k.execute(
                    CODE[name]["lines"], timeout=max(args.timeout, 60), what="10,000 lines", on_iopub=on_msg)
                check_result(reply, msgs, "10,000 lines", expect=None)
                n_before = len("".join(chunks).splitlines())
                for m in k.drain_iopub(0.3):  # output that arrives after idle counts as late, not lost
                    if m["msg_type"] == "stream" and m.get("parent_header", {}).get("msg_id") == reply["parent_header"]["msg_id"]:
                        chunks.append(m["content"]["text"])
                # Join first: a stream message may end in the middle of a line.
                lines = "".join(chunks).splitlines()
                late = len(lines) - n_before
                stats["lines"] = n_before
                seen = set()
                for line in lines:
                    mm = LINE_RE.match(line)
                    if mm:
                        seen.add(int(mm.group(1)))
                lost = N_LINES - len(seen & set(range(N_LINES)))
                runs.append({"t": t_idle - t_sent, "lines": stats["lines"], "streams": stats["streams"],
                             "late": late, "lost": lost})
                log("%s 10,000 lines run %d: %.3f s, %d lines in %d stream msgs, %d late, %d lost"
                    % (name, rep + 1, runs[-1]["t"], stats["lines"], stats["streams"], late, lost))
            res["lines_t"] = statistics.median(r["t"] for r in runs)
            res["lines_n"] = min(r["lines"] for r in runs)
            res["lines_streams"] = statistics.median(r["streams"] for r in runs)
            res["lines_late"] = max(r["late"] for r in runs)
            res["lines_lost"] = max(r["lost"] for r in runs)
        except BenchError as e:
            res["err_lines"] = str(e)
            log("%s 10,000 lines FAILED: %s" % (name, e))

        # 4. interrupt
        try:
            k.check_alive("interrupt")
            pid = k.pid()
            msg_id = k.kc.execute(CODE[name]["loop"])
            time.sleep(1.0)
            if not k.km.is_alive():
                raise BenchError("kernel died while running the busy loop")
            t_int = time.perf_counter()
            k.km.interrupt_kernel()
            reply = k._shell_reply(msg_id, t_int + args.interrupt_timeout, "interrupt")
            t_reply = time.perf_counter()
            res["int_t"] = t_reply - t_int
            res["int_status"] = "%s/%s" % (reply["content"].get("status"), reply["content"].get("ename"))
            c0 = proc_cpu_seconds(pid)
            time.sleep(2.0)
            c1 = proc_cpu_seconds(pid)
            res["int_cpu"] = (c1 - c0) / 2.0 * 100.0  # % of one core
            log("%s interrupt: reply after %.3f s (%s), CPU over the next 2 s: %.1f%% of a core"
                % (name, res["int_t"], res["int_status"], res["int_cpu"]))
            # the kernel must still work
            _, _, reply, _, msgs = k.execute(code, what="cell after interrupt")
            check_result(reply, msgs, "cell after interrupt")
        except BenchError as e:
            res["err_int"] = str(e)
            log("%s interrupt FAILED: %s" % (name, e))

        # 5. restart
        try:
            times = []
            for rep in range(args.restart_reps):
                t0 = time.perf_counter()
                k.km.restart_kernel(now=False)
                k.pids.add(k.pid())
                k.kernel_info(what="restart %d" % (rep + 1))
                times.append(time.perf_counter() - t0)
                k.wait_iopub()
                log("%s restart %d: %.3f s" % (name, rep + 1, times[-1]))
            res["restart"] = statistics.median(times)
            _, _, reply, _, msgs = k.execute(code, what="cell after restart")
            check_result(reply, msgs, "cell after restart")
        except BenchError as e:
            res["err_restart"] = str(e)
            log("%s restart FAILED: %s" % (name, e))
    finally:
        k.shutdown()
    return k.pids


def measure_floor(java, flags, args, drop=False):
    cmd = [java] + flags + [os.path.join(BENCH_DIR, "JShellFloor.java"), str(args.floor_warmup), str(args.cells)]
    if drop:
        cmd.append("drop")
    log("JShell floor: " + " ".join(cmd))
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.floor_timeout)
    except subprocess.TimeoutExpired:
        raise BenchError("JShellFloor did not finish within %d s" % args.floor_timeout)
    m = re.search(r"p50_ms=([\d.]+) p95_ms=([\d.]+)", p.stdout)
    if p.returncode != 0 or not m:
        raise BenchError("JShellFloor failed (exit %d): %s" % (p.returncode, (p.stderr or p.stdout)[-800:]))
    return float(m.group(1)), float(m.group(2))


# ---------------------------------------------------------------------------------------------------

def kernel_java_and_flags(spec_argv):
    """java binary and the JVM flags (between java and -jar) of the jfork kernelspec."""
    java = spec_argv[0]
    flags = spec_argv[1:spec_argv.index("-jar")] if "-jar" in spec_argv else []
    return java, flags


def fmt(v, unit, digits=None):
    if v is None:
        return "—"
    if unit == "s":
        return "%.3f s" % v
    if unit == "ms":
        return "%.1f ms" % v if digits is None else ("%." + str(digits) + "f ms") % v
    if unit == "MB":
        return "%.0f MB" % v
    if unit == "%":
        return "%.1f %% of a core" % v
    return str(v)


def verdict(ok):
    return "" if ok is None else (" ✅" if ok else " ❌")


def leftover_processes(runtime_dir, pids):
    found = []
    try:
        out = subprocess.run(["pgrep", "-af", runtime_dir], capture_output=True, text=True, timeout=10).stdout
        found += [l for l in out.splitlines() if l.strip()]
    except (OSError, subprocess.TimeoutExpired) as e:
        log("pgrep failed: %s" % e)
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            if state != "Z" and not any(l.split()[0] == str(pid) for l in found):
                found.append("%d (still running)" % pid)
        except (OSError, IndexError):
            pass
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernels", default="jfork,python3", help="comma-separated kernelspec names (default: %(default)s)")
    ap.add_argument("--cold-runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--cells", type=int, default=200)
    ap.add_argument("--lines-reps", type=int, default=3)
    ap.add_argument("--restart-reps", type=int, default=3)
    ap.add_argument("--floor-warmup", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=30.0, help="per-message timeout, seconds")
    ap.add_argument("--interrupt-timeout", type=float, default=10.0)
    ap.add_argument("--floor-timeout", type=int, default=300)
    ap.add_argument("--no-floor", action="store_true", help="skip the raw JShell floor")
    ap.add_argument("--out", default=os.path.join(BENCH_DIR, "results", "kernel.md"))
    args = ap.parse_args()

    kernels = [k.strip() for k in args.kernels.split(",") if k.strip()]
    ksm = KernelSpecManager()
    specs = {}
    for name in kernels:
        try:
            specs[name] = ksm.get_kernel_spec(name)
        except NoSuchKernel:
            hint = (" Run bench/run (it installs one into bench/.jupyter) or install/run --install-only."
                    if name == "jfork" else "")
            sys.exit("error: no kernelspec %r visible to jupyter_client (JUPYTER_DATA_DIR=%s).%s"
                     % (name, os.environ.get("JUPYTER_DATA_DIR", "unset"), hint))
        log("kernel %s: %s" % (name, " ".join(specs[name].argv)))
    if "python3" in specs and "ipykernel" not in " ".join(specs["python3"].argv):
        log("warning: the python3 kernelspec does not run ipykernel: %s" % specs["python3"].argv)

    java = None
    jflags = []
    if "jfork" in specs:
        java, jflags = kernel_java_and_flags(specs["jfork"].argv)
    java = java or shutil.which("java")
    jdk = "unknown"
    if java:
        try:
            v = subprocess.run([java, "-XshowSettings:properties", "-version"], capture_output=True, text=True, timeout=30).stderr
            m = re.search(r"java\.runtime\.version = (\S+)", v)
            vendor = re.search(r"java\.vm\.name = (.+)", v)
            jdk = "%s (%s, %s)" % (m.group(1) if m else "?", vendor.group(1).strip() if vendor else "?", java)
        except (OSError, subprocess.TimeoutExpired) as e:
            jdk = "unknown (%s)" % e

    runtime_dir = tempfile.mkdtemp(prefix="jfork-bench-rt-")
    log_dir = tempfile.mkdtemp(prefix="jfork-bench-logs-")
    os.environ["JUPYTER_RUNTIME_DIR"] = runtime_dir
    log("runtime dir %s, kernel logs in %s" % (runtime_dir, log_dir))

    results = {name: {} for name in kernels}
    all_pids = set()
    started = time.perf_counter()
    try:
        for name in kernels:
            res = results[name]
            try:
                res.update(measure_cold(name, args, runtime_dir, log_dir))
            except BenchError as e:
                res["err_cold"] = str(e)
                log("%s cold start FAILED: %s" % (name, e))
            try:
                all_pids |= measure_session(name, args, runtime_dir, log_dir, res)
            except BenchError as e:
                res["err_session"] = str(e)
                log("%s session FAILED: %s" % (name, e))
        floor = {}
        if java and "jfork" in specs and not args.no_floor:
            kflags = [f for f in jflags if not f.startswith("--add-opens") and "jdk.jshell/" not in f]
            for label, flags, drop in (("plain", [], False), ("kernel", kflags, False), ("drop", kflags, True)):
                try:
                    floor[label] = measure_floor(java, flags, args, drop)
                    log("JShell floor (%s JVM): p50 %.2f ms, p95 %.2f ms" % (label, *floor[label]))
                except BenchError as e:
                    floor["err_" + label] = str(e)
                    log("JShell floor (%s) FAILED: %s" % (label, e))
    finally:
        gc.collect()
    time.sleep(0.5)
    leftovers = leftover_processes(runtime_dir, all_pids)

    # ---- table --------------------------------------------------------------------------------------
    jf = results.get("jfork", {})
    py = results.get("python3", {})

    def cell(res, key, unit, ok=None):
        return fmt(res.get(key), unit) + (verdict(ok) if res is jf and res.get(key) is not None else "")

    rows = []
    rows.append(("Cold start → kernel_info_reply (median of %d)" % args.cold_runs,
                 cell(jf, "cold_info", "s", jf.get("cold_info", 9) <= 1.0), cell(py, "cold_info", "s"), "≤ 1.0 s"))
    rows.append(("Cold start → first `1+1` result (median of %d)" % args.cold_runs,
                 cell(jf, "cold_first", "s", jf.get("cold_first", 9) <= 1.5), cell(py, "cold_first", "s"), "≤ 1.5 s"))
    rows.append(("`1+1` execute→idle p50 (%d cells after %d warm-up)" % (args.cells, args.warmup),
                 cell(jf, "p50", "ms", jf.get("p50", 1e9) <= 25), cell(py, "p50", "ms"), "≤ 25 ms"))
    rows.append(("`1+1` execute→idle p95", cell(jf, "p95", "ms"), cell(py, "p95", "ms"), "—"))
    for label, desc in (("plain", "plain JVM"), ("kernel", "kernel's JVM flags"),
                        ("drop", "kernel's JVM flags, each `$N` dropped after its evaluation as jfork does")):
        if label in floor:
            rows.append(("Raw `JShell.eval(\"1+1\")` p50 / p95, %s (%d evals after %d)" % (desc, args.cells, args.floor_warmup),
                         "%.1f ms / %.1f ms" % floor[label], "n/a", "—"))
    for label, desc in (("plain", "plain JVM"), ("kernel", "same flags"),
                        ("drop", "same flags, `$N` dropped: the kernel's machinery alone")):
        if label in floor and "p50" in jf:
            over = jf["p50"] - floor[label][0]
            rows.append(("jfork p50 overhead over raw JShell p50 (%s)" % desc,
                         "%+.1f ms%s" % (over, verdict(over <= 2.0) if label == "plain" else ""), "n/a",
                         "≤ 2 ms" if label == "plain" else "—"))
    rows.append(("10,000 lines: execute→idle (median of %d)" % args.lines_reps,
                 cell(jf, "lines_t", "s", jf.get("lines_t", 9) < 0.2), cell(py, "lines_t", "s"), "< 0.2 s"))

    def lines_cell(res):
        if "lines_n" not in res:
            return "—"
        s = "%d lines / %d stream msgs / %d lost" % (res["lines_n"], res["lines_streams"], res["lines_lost"])
        if res.get("lines_late"):
            s += " (%d after idle)" % res["lines_late"]
        return s + (verdict(res["lines_lost"] == 0) if res is jf else "")
    rows.append(("10,000 lines: received / stream messages / lost (worst run)", lines_cell(jf), lines_cell(py), "0 lost"))
    rows.append(("Interrupt busy loop → execute_reply", cell(jf, "int_t", "s"), cell(py, "int_t", "s"), "—"))
    rows.append(("CPU of the kernel process in the 2 s after the reply", cell(jf, "int_cpu", "%", jf.get("int_cpu", 1e9) < 5),
                 cell(py, "int_cpu", "%"), "~0"))
    rows.append(("Restart (`restart_kernel(now=False)` → kernel_info_reply, median of %d)" % args.restart_reps,
                 cell(jf, "restart", "s"), cell(py, "restart", "s"), "—"))
    rows.append(("Kernel RSS (VmRSS) after the %d cells" % (args.cells + args.warmup),
                 cell(jf, "rss", "MB"), cell(py, "rss", "MB"), "—"))

    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import jupyter_client
    header = [
        "# jfork kernel benchmark",
        "",
        "- Date: %s" % datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "- JDK: %s" % jdk,
        "- Machine: %d CPUs (nproc), %s; %s %s" % (os.cpu_count() or 0, model, platform.system(), platform.release()),
        "- Client: jupyter_client %s on Python %s (%s)" % (jupyter_client.__version__, platform.python_version(), sys.executable),
        "- jfork kernelspec: `%s`" % (" ".join(specs["jfork"].argv) if "jfork" in specs else "not measured"),
        "- Latencies are measured client-side (send execute_request → status idle on IOPub); medians where repeated.",
        "",
    ]
    table = ["| measure | jfork | ipykernel | target |", "|---|---|---|---|"]
    table += ["| %s | %s | %s | %s |" % r for r in rows]
    notes = []
    for name in kernels:
        for key, val in results[name].items():
            if key.startswith("err_"):
                notes.append("- %s %s failed: %s" % (name, key[4:], val.replace("\n", " ")))
        if name in results and "int_status" in results[name]:
            notes.append("- %s interrupted cell replied %s" % (name, results[name]["int_status"]))
        if "cold_info_all" in results[name]:
            notes.append("- %s cold starts (kernel_info / first result, s): %s" % (
                name, ", ".join("%.2f/%.2f" % t for t in zip(results[name]["cold_info_all"], results[name]["cold_first_all"]))))
    for key, val in floor.items():
        if key.startswith("err_"):
            notes.append("- JShell floor (%s) failed: %s" % (key[4:], val.replace("\n", " ")))
    notes.append("- Processes left behind after shutdown: %s" % ("none" if not leftovers else "; ".join(leftovers)))
    notes.append("- Total bench time: %.0f s" % (time.perf_counter() - started))
    text = "\n".join(header + table + ["", "Notes:", ""] + notes) + "\n"
    print(text)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    log("wrote %s" % args.out)
    shutil.rmtree(runtime_dir, ignore_errors=True)
    if leftovers:
        log("ERROR: processes left behind: %s" % leftovers)
        return 2
    failed = any(k.startswith("err_") for r in results.values() for k in r)
    return 1 if failed else 0


def run_and_exit(main):
    """Runs a benchmark's main() and ends the process with its exit code (130 on Ctrl-C, 1 on a crash).
    os._exit skips interpreter teardown, where jupyter_client's KernelClient.__del__ logs after
    logging is gone and prints a spurious traceback; kernels are already shut down by then."""
    try:
        rc = main()
    except KeyboardInterrupt:
        rc = 130
    except Exception:
        traceback.print_exc()
        rc = 1
    gc.collect()
    sys.stdout.flush()
    os._exit(rc)


if __name__ == "__main__":
    run_and_exit(main)
