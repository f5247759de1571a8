"""The tutorial notebooks in notebooks/, executed through nbclient with the jfork kernel.

Every notebook: runs top to bottom in under 20 s (JFORK_NOTEBOOK_MAX_SECONDS), has no error output
except in cells tagged `raises-exception` (and each tagged cell does raise), ends with the
"no child left running" check, and leaves no process (kernel or descendant) and no listening
port behind. Then per-notebook assertions on the outputs prove each notebook's point.

Run through kernel/src/test/python/run-notebooks-tests, which installs the kernelspec into a
private JUPYTER_DATA_DIR under kernel/target/ first.
"""

import os
import re
import sys
import time
import unittest
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[4]
NOTEBOOKS = ROOT / "notebooks"
MAX_SECONDS = float(os.environ.get("JFORK_NOTEBOOK_MAX_SECONDS", "20"))
EXPECTED = ["01-forking.ipynb", "02-pool.ipynb", "03-deadlock.ipynb", "04-fork-copies-no-threads.ipynb",
            "05-forking-vs-threading.ipynb", "06-debugging-a-forked-process.ipynb", "07-forking-http-server.ipynb",
            "08-killing-a-forked-process.ipynb"]


def ppid_map():
    """pid -> parent pid for every process, from /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        parents[int(entry)] = int(fields[1])
    return parents


def descendants(pid):
    parents = ppid_map()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def alive(pid):
    """True if the process exists and is not a zombie waiting to be reaped by someone else."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def listening_ports():
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts[3] == "0A":  # TCP_LISTEN
                        ports.add(int(parts[1].rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return ports


def text_of(cell, stream=None):
    """All text a code cell showed: streams (optionally only one), results and errors."""
    out = []
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            if stream in (None, o.name):
                out.append(o.text)
        elif stream is None and o.output_type in ("execute_result", "display_data"):
            # A rich output is a block of its own: what follows starts on a new line (a pool's
            # progress line, shown when a map takes over a second, has no newline of its own).
            text = o.data.get("text/plain", "")
            out.append(text if text.endswith("\n") or not text else text + "\n")
        elif stream is None and o.output_type == "error":
            out.append(f"{o.ename}: {o.evalue}\n")
    return "".join(out)


class Executed:
    """One notebook executed once (shared by its test class), with what was observed around it."""

    def __init__(self, name):
        self.path = NOTEBOOKS / name
        self.nb = nbformat.read(self.path, as_version=4)
        self.kernel_pid = None
        self.ports = set()
        self.children = set()  # every descendant of the kernel seen after a cell
        client = NotebookClient(self.nb, kernel_name="jfork", timeout=60, allow_errors=False,
                                record_timing=False, resources={"metadata": {"path": str(NOTEBOOKS)}})

        def on_start(**_):
            self.kernel_pid = client.km.provisioner.process.pid
            info = client.km.get_connection_info()
            self.ports = {info[k] for k in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")}

        def on_cell(**_):
            self.children |= descendants(self.kernel_pid)

        client.on_notebook_start = on_start
        client.on_cell_executed = on_cell
        start = time.monotonic()
        client.execute()
        self.seconds = time.monotonic() - start
        print(f"\n    {name}: {self.seconds:.1f} s, kernel pid {self.kernel_pid}, "
              f"{len(self.children)} descendant(s) seen", file=sys.stderr)

    def cell(self, start):
        """The code cell whose source starts with `start` (exactly one)."""
        found = [c for c in self.nb.cells if c.cell_type == "code" and c.source.startswith(start)]
        if len(found) != 1:
            raise AssertionError(f"{self.path.name}: {len(found)} code cells start with {start!r}")
        return found[0]


class NotebookTest(unittest.TestCase):
    """Checks every notebook passes; subclasses name the notebook and prove its point."""

    notebook = None
    # Cells (by the start of their source) where a child is meant to hang and be killed.
    hang_expected_in = ()

    @classmethod
    def setUpClass(cls):
        if cls.notebook is None:
            raise unittest.SkipTest("base class")
        cls.run_ = Executed(cls.notebook)

    def out(self, start, stream=None):
        return text_of(self.run_.cell(start), stream)

    def test_runs_in_time(self):
        self.assertLess(self.run_.seconds, MAX_SECONDS, f"{self.notebook} took {self.run_.seconds:.1f} s")

    def test_errors_only_where_tagged(self):
        for i, c in enumerate(self.run_.nb.cells):
            if c.cell_type != "code":
                continue
            errors = [o for o in c.outputs if o.output_type == "error"]
            if "raises-exception" in c.metadata.get("tags", []):
                self.assertTrue(errors, f"cell {i} is tagged raises-exception but raised nothing")
            else:
                self.assertFalse(errors, f"cell {i}: unexpected error {errors and errors[0].evalue}")

    def test_no_unexpected_hung_child(self):
        expected = [self.run_.cell(start) for start in self.hang_expected_in]
        for i, c in enumerate(self.run_.nb.cells):
            if c.cell_type == "code" and c not in expected:
                self.assertNotRegex(text_of(c, "stderr"), r"child \d+ hung \(",
                                    f"cell {i}: a child hung where the notebook does not expect it")

    def test_every_code_cell_ran(self):
        for i, c in enumerate(self.run_.nb.cells):
            if c.cell_type == "code":
                self.assertIsNotNone(c.execution_count, f"cell {i} did not run")

    def test_ends_with_no_child_running(self):
        last = [c for c in self.run_.nb.cells if c.cell_type == "code"][-1]
        self.assertIn("ProcessHandle.current().descendants()", last.source)
        self.assertEqual("no child left running\n", text_of(last))

    def test_no_process_or_port_left(self):
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            left = {p for p in self.run_.children | {self.run_.kernel_pid} if alive(p)}
            if not left:
                break
            time.sleep(0.1)
        self.assertEqual(set(), left, "processes still alive after the notebook")
        self.assertEqual(set(), self.run_.ports & listening_ports(), "kernel ports still listening")


def pids(pattern, text):
    return [int(p) for p in re.findall(pattern, text)]


class Forking(NotebookTest):
    notebook = "01-forking.ipynb"

    def test_parent_child_process_prints_two_distinct_pids_one_the_kernel(self):
        text = self.out("void parentChildProcess()")
        self.assertEqual(1, len(pids(r"(?m)^Parent process: (\d+)$", text)), text)
        self.assertEqual(1, len(pids(r"(?m)^Child process: (\d+)$", text)), text)
        parent = pids(r"(?m)^Parent process: (\d+)$", text)[0]
        child = pids(r"(?m)^Child process: (\d+)$", text)[0]
        self.assertEqual(self.run_.kernel_pid, parent)
        self.assertNotEqual(parent, child)
        kernel_line = self.out("int kernelPid = os.getpid();")
        self.assertIn(f"this kernel runs as pid {parent};", kernel_line)

    def test_top_level_fork_child_runs_rest_of_cell(self):
        text = self.out("int pid = os.fork();")
        child = pids(r"(?m)^child:  fork\(\) returned 0, I am (\d+), my parent is " + str(self.run_.kernel_pid) + "$", text)
        self.assertEqual(1, len(child), text)
        self.assertIn(f"parent: fork() returned {child[0]}, I am {self.run_.kernel_pid}", text)
        self.assertEqual(sorted([child[0], self.run_.kernel_pid]),
                         sorted(pids(r"(?m)^last line of the cell, run by (\d+)$", text)))
        self.assertIn(f"WaitResult[pid={child[0]}, status=exited with code 0]", self.out("os.waitpid(pid, 0)"))

    def test_fork_beyond_the_cap_is_refused(self):
        text = self.out("for (int i = 1; i <= 5; i++)")
        self.assertEqual(3, len(re.findall(r"(?m)^child \d started: pid \d+$", text)), text)
        self.assertIn("ForkRefusedException: fork refused: 3 children of this kernel are alive (cap 3)", text)
        self.assertIn("UsageError: %%fork: -n must be between 1 and", self.out("%%fork -n 100"))

    def test_percent_fork_runs_three_children_with_their_own_memory(self):
        text = self.out("%%fork -n 3")
        labelled = re.findall(r"(?m)^\[(\d+)\] pid (\d+), parent (\d+): counter is now 11$", text)
        self.assertEqual(3, len(labelled), text)
        self.assertEqual(3, len({int(p) for p, _, _ in labelled}))
        for label, pid, parent in labelled:
            self.assertEqual(label, pid)
            self.assertEqual(int(parent), self.run_.kernel_pid)
        self.assertIn("in the kernel counter is still 10", self.out('System.out.println("in the kernel counter'))

    def test_ps_and_pstree_show_live_children(self):
        sleepers = [int(p) for p in re.search(r"started (\d+) and (\d+)", self.out("int[] sleepers")).groups()]
        ps = [c for c in self.run_.nb.cells if c.cell_type == "code" and c.source == "%ps"]
        first_ps = text_of(ps[0])
        for p in sleepers:
            self.assertRegex(first_ps, rf"(?m)^{p}\s+{self.run_.kernel_pid}\s+(sleeping|running)\s")
            self.assertRegex(text_of(ps[-1]), rf"(?m)^{p}\s+{self.run_.kernel_pid}\s+exited with code 0\s")
        tree = self.run_.cell("%pstree")
        svg = [o for o in tree.outputs if "image/svg+xml" in o.get("data", {})]
        self.assertEqual(1, len(svg))
        for p in sleepers:
            self.assertIn(str(p), svg[0].data["image/svg+xml"])
            self.assertIn(f"└─ {p} ", svg[0].data["text/plain"])


class PoolNotebook(NotebookTest):
    notebook = "02-pool.ipynb"

    def test_article_example_prints_worker_pids_then_doubles(self):
        text = self.out("try (Pool pool = new Pool())")
        workers = pids(r"(?m)^I'm process (\d+)$", text)
        self.assertEqual(4, len(workers), text)
        self.assertNotIn(self.run_.kernel_pid, workers)
        cpus = int(re.search(r", (\d+) CPUs", self.out('System.out.println("kernel pid "')).group(1))
        if cpus >= 2:
            self.assertGreaterEqual(len(set(workers)), 2, text)
        self.assertRegex(text, r"(?m)^\[4, 6, 8, 10\]$")
        self.assertTrue(text.rstrip().endswith("[4, 6, 8, 10]"), text)

    def test_timeline_shows_two_workers(self):
        self.assertIn("[1, 4, 9, 16, 25, 36]", self.out("Pool pool = new Pool(2);"))
        cell = self.run_.cell("pool.timeline()")
        svg = [o for o in cell.outputs if "image/svg+xml" in o.get("data", {})]
        self.assertEqual(1, len(svg))
        text = svg[0].data["text/plain"]
        # 2 workers, or more when one retired and was replaced (a forked worker retires before it
        # would need a GC): what matters is that the chunks ran in parallel on several processes.
        workers = int(re.search(r"pool timeline: 6 chunks on (\d+) workers", text).group(1))
        self.assertGreaterEqual(workers, 2, text)
        self.assertEqual(workers, len(re.findall(r"(?m)^  worker \d+: ", text)), text)

    def test_exception_in_worker_names_worker_and_item(self):
        text = self.out("pool.map(x -> 10 / x")
        worker = int(re.search(r"TaskFailedException: java\.lang\.ArithmeticException: / by zero \(in worker (\d+), map item 2 \(0\)\)",
                               text).group(1))
        self.assertNotEqual(self.run_.kernel_pid, worker)
        caught = self.out("try {\n    pool.map(")
        self.assertRegex(caught, r"(?m)^worker \d+ failed on item 2: java\.lang\.ArithmeticException$")
        self.assertIn("[2, 5, 10]", caught)
        self.assertRegex(self.out("pool.close();"), r"Pool\(processes=2, state=CLOSE, forks=\d+[,)]")

    def test_pool_magic_table(self):
        text = self.out("%%pool")
        rows = re.findall(r"(?m)^(\d): (\d) -> (\d+)  \[worker (\d+)\]$", text)
        self.assertEqual([("0", "2", "4"), ("1", "3", "6"), ("2", "4", "8"), ("3", "5", "10")], [r[:3] for r in rows], text)
        self.assertNotIn(str(self.run_.kernel_pid), {r[3] for r in rows})


class Deadlock(NotebookTest):
    notebook = "03-deadlock.ipynb"

    def test_thread_deadlock_detected_and_broken(self):
        text = self.out('Thread a = diner(')
        self.assertIn("deadlock detected between 2 threads:", text)
        self.assertRegex(text, r"thread-A \(WAITING\) waits for lock \S+ held by thread-B")
        self.assertRegex(text, r"thread-B \(WAITING\) waits for lock \S+ held by thread-A")
        self.assertIn("thread-B was interrupted", text)
        self.assertIn("thread-A got both locks", text)
        self.assertIn("both threads ended: true", text)

    def test_file_lock_deadlock_answered_with_edeadlk(self):
        text = self.out("int first = os.fork();")
        self.assertRegex(text, r"first  \(pid \d+\) locked a\.lock\n")
        self.assertRegex(text, r"second \(pid \d+\) locked b\.lock\n")
        refused = re.findall(r"(?m)^(first |second) \(pid \d+\) asked for [ab]\.lock: Resource deadlock avoided$", text)
        granted = re.findall(r"(?m)^(first |second) \(pid \d+\) locked [ab]\.lock too$", text)
        self.assertEqual(1, len(refused), text)
        self.assertEqual(1, len(granted), text)
        self.assertNotEqual(refused, granted)
        self.assertEqual(2, text.count("status=exited with code 0"), text)


class ForkCopiesNoThreads(NotebookTest):
    notebook = "04-fork-copies-no-threads.ipynb"
    hang_expected_in = ("int pid = os.fork();",)

    def test_child_has_one_thread(self):
        kernel = int(re.search(r"kernel \d+: (\d+) threads", self.out("import java.nio.file.*;")).group(1))
        self.assertGreater(kernel, 5)
        self.assertRegex(self.out("%%fork"), r"(?m)^child \d+: 1 thread\(s\)$")

    def test_hang_detected_killed_and_explained(self):
        cell = self.run_.cell("int pid = os.fork();")
        child = int(re.search(r"child (\d+): taking the lock", text_of(cell, "stdout")).group(1))
        self.assertNotIn("child: got the lock", text_of(cell, "stdout"))
        err = text_of(cell, "stderr")
        self.assertIn(f"child {child} hung (all 1 thread(s) blocked in futex wait without timeout", err)
        self.assertIn("and was killed: a forked JVM keeps only the thread that called fork()", err)
        self.assertIn("fork + exec", err)
        self.assertIn(f"WaitResult[pid={child}, status=killed by SIGKILL]", self.out("os.waitpid(pid, 0)"))

    def test_fork_then_exec_works_while_the_lock_is_held(self):
        text = self.out('System.out.println("lock still held')
        self.assertIn("lock still held in the kernel: true", text)
        pid = int(re.search(r"(?m)^hello from a fresh program in process (\d+)$", text).group(1))
        self.assertNotEqual(self.run_.kernel_pid, pid)
        self.assertIn(f"WaitResult[pid={pid}, status=exited with code 0]", text)
        shell = self.out("int shell = os.fork();")
        self.assertRegex(shell, rf"(?m)^I am \d+, a sh process; my parent is {self.run_.kernel_pid}$")
        self.assertIn("lock held: false; tryLock: true", self.out("letGo.countDown();"))

    def test_prose_names_the_cause(self):
        prose = "\n".join(c.source for c in self.run_.nb.cells if c.cell_type == "markdown")
        self.assertIn("POSIX `fork()` duplicates only the calling thread", prose)
        self.assertIn("cause", prose)


class ForkingVsThreading(NotebookTest):
    notebook = "05-forking-vs-threading.ipynb"

    def test_creation_cost_measured_and_charted(self):
        text = self.out("long[] forkNs")
        fork = float(re.search(r"fork:   median ([\d.]+) ms", text).group(1))
        thread = float(re.search(r"thread: median ([\d.]+) ms", text).group(1))
        self.assertGreater(fork, thread)
        self.assertGreater(thread, 0)
        chart = self.run_.cell("String bar(")
        svg = [o for o in chart.outputs if "image/svg+xml" in o.get("data", {})]
        self.assertEqual(1, len(svg))
        self.assertIn("%.3f ms" % fork, svg[0].data["image/svg+xml"])
        self.assertIn("%.3f ms" % thread, svg[0].data["image/svg+xml"])

    def test_memory_isolation(self):
        text = self.out("int[] counter = {0};")
        self.assertRegex(text, r"(?m)^child \d+: counter = 1$")
        self.assertIn("kernel after the child: counter = 0", text)
        self.assertIn(f"thread 'worker' in {self.run_.kernel_pid}: counter = 1", text)
        self.assertIn("kernel after the thread: counter = 1", text)

    def test_fcntl_lock_not_inherited(self):
        text = self.out('Path fcntlFile')
        kernel = self.run_.kernel_pid
        owners = pids(r"POSIX\s+ADVISORY\s+WRITE\s+(\d+)\s", text)
        self.assertEqual([kernel, kernel], owners, text)
        self.assertRegex(text, r"child \d+: tryLock on the same file gives null: held by another process")
        self.assertIn("kernel: lock still valid: true", text)

    def test_flock_lives_on_the_shared_open_file(self):
        text = self.out('Path flockFile')
        self.assertRegex(text, r"kernel: second open file \(fd \d+\): refused \(errno 11\)")
        self.assertRegex(text, rf"FLOCK\s+ADVISORY\s+WRITE\s+{self.run_.kernel_pid}\s")
        self.assertRegex(text, r"child \d+: inherited fd \d+: got it")
        self.assertRegex(text, r"child \d+: its own open file \(fd \d+\): refused \(errno 11\)")
        self.assertRegex(text, r"child \d+: unlock through the inherited fd: 0")
        self.assertIn("kernel: second open file again: got it", text)

    def test_pipe_semaphore_admits_two_at_a_time(self):
        text = self.out("int[] sem = os.pipe();")
        events = re.findall(r"(?m)^(enter|leave) (\d+) at \d+ ms$", text)
        self.assertEqual(8, len(events), text)
        self.assertEqual(4, len({p for _, p in events}))
        inside = most = 0
        for kind, _ in events:
            inside += 1 if kind == "enter" else -1
            most = max(most, inside)
        self.assertEqual(2, most, text)
        self.assertIn("at most 2 children inside at once, with 2 permits", text)

    def test_fork_and_spawn_workers_compared(self):
        text = self.out("long collatzSteps(long limit)")
        fork = float(re.search(r"fork pool:\s+(\d+) ms for the map", text).group(1))
        start, spawn = map(float, re.search(r"spawn pool:\s+(\d+) ms to start 2 JVMs, then\s+(\d+) ms for the map",
                                            text).groups())
        # both ran it compiled (the cell checks that both gave the same results); which is quicker
        # depends on the machine: fork pays for forking two workers, spawn for starting two JVMs
        self.assertGreater(fork, 0, text)
        self.assertGreater(spawn, 0, text)
        self.assertGreater(start, 0, text)

    def test_workers_cannot_change_the_kernels_variables(self):
        self.assertIn("fork: [1001, 1002, 1003], spawn: [1001, 1002, 1003]; callsSeen in the kernel: 0",
                      self.out("int offset = 1000;"))


class Debugging(NotebookTest):
    notebook = "06-debugging-a-forked-process.ipynb"

    def test_child_stops_is_seen_stopped_then_continues_and_exits(self):
        fork = self.out("int[] steps")
        child = int(re.search(r"parent: forked (\d+)", fork).group(1))
        self.assertIn("parent: waitpid(WUNTRACED) says stopped by SIGSTOP", fork)
        ps = [c for c in self.run_.nb.cells if c.cell_type == "code" and c.source == "%ps"]
        self.assertRegex(text_of(ps[0]), rf"(?m)^{child}\s+{self.run_.kernel_pid}\s+stopped\s")
        proc = self.out('System.out.print("the log so far')
        self.assertIn(f"the log so far:\nkernel {self.run_.kernel_pid}: log file ready\nchild {child}: step 1, stopping myself\n", proc)
        self.assertNotIn("resumed", proc)
        self.assertIn("State:\tT (stopped)", proc)
        self.assertIn(f"PPid:\t{self.run_.kernel_pid}", proc)
        self.assertIn("Threads:\t1", proc)
        self.assertIn("in the kernel, steps is still 0", proc)
        self.assertIn(f"└─ {child} stopped", self.out("%pstree"))
        self.assertEqual("exited with code 0\n", self.out("os.kill(pid, 18);"))
        log = self.out("System.out.print(Files.readString(log));")
        self.assertIn(f"child {child}: step 1, stopping myself\nchild {child}: resumed, step 2, finishing\n", log)
        self.assertRegex(text_of(ps[-1]), rf"(?m)^{child}\s+{self.run_.kernel_pid}\s+exited with code 0\s")


class ForkingHttpServer(NotebookTest):
    notebook = "07-forking-http-server.ipynb"

    def test_threading_server_one_pid_shared_counter(self):
        text = self.out("printAll(sendAll(threadingPort, 4));")
        answers = re.findall(r"(?m)^request #(\d) /page(\d) answered by pid (\d+), thread (handler-\d)$", text)
        self.assertEqual(4, len(answers), text)
        self.assertEqual({"1", "2", "3", "4"}, {a[0] for a in answers})
        self.assertEqual({str(self.run_.kernel_pid)}, {a[2] for a in answers})

    def test_forking_server_one_child_per_connection(self):
        kernel = self.run_.kernel_pid
        self.assertIn(f"request #1 in this process: /warm-up answered by pid {kernel} ", self.out("int[] count = {0};"))
        text = self.out("var replies = sendAll(forkingPort, 4);")
        answers = re.findall(r"(?m)^request #2 in this process: /page(\d) answered by pid (\d+) \(parent (\d+)\)$", text)
        self.assertEqual(["1", "2", "3", "4"], [a[0] for a in answers], text)
        served_by = {int(a[1]) for a in answers}
        self.assertEqual(4, len(served_by))
        self.assertNotIn(kernel, served_by)
        self.assertEqual({str(kernel)}, {a[2] for a in answers})
        for p in served_by:
            self.assertIn(f"WaitResult[pid={p}, status=exited with code 0]", text)
        self.assertIn("in the kernel, count is 1", text)

    def test_servers_shut_down_and_ports_closed(self):
        text = self.out("threading.stop(0);")
        ports = [int(p) for p in re.findall(r"(?m)^127\.0\.0\.1:(\d+): Connection refused$", text)]
        self.assertEqual(2, len(ports), text)
        self.assertEqual(set(), set(ports) & listening_ports())
        self.assertIn("handler threads stopped: true", text)


class KillingAForkedProcess(NotebookTest):
    notebook = "08-killing-a-forked-process.ipynb"

    def test_sigint_to_itself_interrupts_the_cell_only(self):
        cell = self.run_.cell('System.out.println("before the signal");')
        self.assertEqual("before the signal\n", text_of(cell, "stdout"))
        self.assertEqual(["Interrupted"], [o.ename for o in cell.outputs if o.output_type == "error"])
        self.assertIn(f"the kernel (pid {self.run_.kernel_pid}) is still running", self.out('System.out.println("the kernel (pid'))

    def test_sigterm_and_sigkill_statuses(self):
        self.assertRegex(self.out("int pid = os.fork();"), r"WaitResult\[pid=\d+, status=killed by SIGTERM\]")
        text = self.out("int stubborn = os.fork();")
        self.assertRegex(text, r"child \d+: SigIgn 0000000000004000, ignores SIGTERM: true")
        self.assertIn("after SIGTERM: still running", text)
        self.assertRegex(text, r"after SIGKILL: WaitResult\[pid=\d+, status=killed by SIGKILL\]")

    def test_handler_refused_in_child_runs_in_kernel(self):
        text = self.out("int hopeful = os.fork();")
        self.assertRegex(text, r"child \d+: a forked child cannot run Java signal handlers")
        self.assertNotIn("handler installed", text)
        self.assertIn(f"kernel {self.run_.kernel_pid}: handler got SIGTERM", self.out("signal.signal(signal.SIGTERM, s ->"))
        self.assertIn("SIGTERM handler in the kernel: SIG_DFL", self.out("signal.signal(signal.SIGTERM, signal.SIG_DFL);"))

    def test_kill_magic(self):
        self.assertIn("%kill refuses pid 1: it is init", self.out("%kill 1"))
        sleeper = int(re.search(r"sleeping child: (\d+)", self.out("int sleeper = os.fork();")).group(1))
        self.assertIn(f"sent SIGTERM to {sleeper} (child of this kernel, now: killed by SIGTERM)",
                      self.out("var report = new jfork.magics.KillMagic()"))


class Index(unittest.TestCase):
    def test_every_notebook_is_tested_and_indexed(self):
        present = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
        self.assertEqual(EXPECTED, present, "a new notebook needs a test class here")
        index = (NOTEBOOKS / "README.md").read_text()
        for name in present:
            self.assertIn(f"({name})", index)
        for nb in present:
            meta = nbformat.read(NOTEBOOKS / nb, as_version=4).metadata
            self.assertEqual("jfork", meta.kernelspec.name)


def load_tests(loader, tests, pattern):
    suite = unittest.TestSuite()
    suite.addTests(loader.loadTestsFromTestCase(Index))
    for cls in (Forking, PoolNotebook, Deadlock, ForkCopiesNoThreads, ForkingVsThreading, Debugging,
                ForkingHttpServer, KillingAForkedProcess):
        suite.addTests(loader.loadTestsFromTestCase(cls))
    return suite


if __name__ == "__main__":
    unittest.main(verbosity=2)
