package jfork.pool;

import jfork.process.ChildOutput;
import jfork.process.ExitStatus;
import jfork.process.Forker;
import jfork.process.HangWatch;
import jfork.process.Native;
import jfork.process.Signals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

/**
 * A process pool on fork(2), after CPython's multiprocessing.pool, for code that lives in this JVM.
 *
 * <p><b>Functions and items reach the workers through fork, not through a pipe.</b> A lambda given to
 * {@code map} after the workers were forked would not be in their memory, and items need not be
 * serializable. So each call (a "job": one map, imap, starmap or apply) forks its own workers when it
 * starts, with the function and the items already in memory; the workers then only receive chunk
 * numbers (4 bytes each) on a task pipe and send results back, encoded by {@link Codec}, on the fork
 * layer's control pipe. A worker exits at EOF on its task pipe, once its job has no chunk left for it.
 * Cost: up to {@code processes} forks per call (measured 5-60 ms each, growing with the kernel's
 * RSS), in exchange for: any lambda over any state, non-serializable items, and workers that always
 * see the kernel's current state (never a stale snapshot).
 *
 * <p>Threads: the pump thread of the fork layer delivers results and worker ends
 * ({@link #onControl}, {@link #onClosed}) and feeds the next chunk; forking happens only on the
 * thread that created the pool (the one thread that may fork), inside the calls it makes. Jobs
 * submitted while {@code processes} workers are busy start when that thread next waits on the pool.
 *
 * <p>Failures: an exception in a worker fails the job with a {@link TaskFailedException} (cause: the
 * worker's stack trace as a {@link RemoteTraceback}); a result Java serialization refuses fails it with
 * {@link ResultNotSerializableException}; a worker that ends with work in hand fails it with
 * {@link WorkerLostException}, except a worker the hang detector killed: its chunks are re-run once
 * ({@link #MAX_ATTEMPTS}). The pool stays usable after a failed job.
 */
public final class ProcessPool extends JobWaiter {
    public enum State { RUN, CLOSE, TERMINATE }

    /** The work of one item, by its index in the job's input. Runs in a worker. */
    @FunctionalInterface
    public interface Task {
        Object run(int index) throws Throwable;
    }

    /** What the layer above provides: where workers' output goes, interrupt checks, progress. */
    public interface Host {
        /** Where the workers of a job submitted now write their stdout/stderr. */
        ChildOutput output();

        /** Called every ~20 ms while a caller waits on the pool; throw to abandon the wait (interrupt). */
        void poll();

        /** Called by the waiting thread every ~20 ms while it waits for job, and once when it is done. */
        default void progress(Job job) {
        }
    }

    /** A chunk is tried at most this often when its worker hangs. */
    public static final int MAX_ATTEMPTS = 2;
    private static final long WAIT_SLICE_MS = 20;
    private static final long EDEN_HEADROOM = 64L << 20;
    /** Write ends of live workers' task pipes: closed in every forked child (see the static block). */
    private static volatile int[] taskFds = new int[0];
    private static final Object TASK_FDS_LOCK = new Object();
    private static final WorkerLoop.Sender CONTROL = Forker::sendControl;
    private static long jobCounter;

    static {
        // A child must not hold other workers' task pipes open, or they never see EOF and never exit.
        Forker.addChildHook(ProcessPool::closeTaskFdsInChild);
    }

    private final int processes;
    private final Host host;
    private final Thread owner;
    private State state = State.RUN;
    private final Map<Integer, Worker> workers = new HashMap<>();
    private final ArrayDeque<Job> jobs = new ArrayDeque<>();
    private final List<Timeline.Span> spans = new ArrayList<>();
    private final long created = System.nanoTime();
    /** Live workers of every pool, for the one shared hang detector (it samples nothing when empty). */
    private static final Map<Integer, ProcessPool> LIVE = new java.util.concurrent.ConcurrentHashMap<>();
    private static HangWatch hangWatch;
    private int forks;
    private int hangs;

    public ProcessPool(int processes, Host host) {
        if (processes < 1) throw new IllegalArgumentException("Number of processes must be at least 1, got " + processes);
        if (Forker.isChild()) {
            throw new IllegalStateException("a Pool cannot be created inside a forked child or pool worker (pid "
                    + Native.libc().getpid() + "): nested pools are refused, since a forked JVM has no threads "
                    + "to run a pool with; do the inner work sequentially");
        }
        if (processes > Forker.get().maxChildren()) {
            throw new IllegalArgumentException("Number of processes must be at most " + Forker.get().maxChildren()
                    + " (the fork layer's cap on live children), got " + processes);
        }
        this.processes = processes;
        this.host = host;
        this.owner = Thread.currentThread();
        warmUp();
    }

    public int processes() { return processes; }

    public synchronized State state() { return state; }

    /** Forks done by this pool so far, and hung workers killed. */
    public synchronized int forks() { return forks; }

    public synchronized int hangs() { return hangs; }

    /** Pids of the workers alive now. */
    public synchronized List<Integer> workerPids() { return new ArrayList<>(workers.keySet()); }

    // ------------------------------------------------------------------ jobs

    /** One call on the pool: {@code count} items in chunks of {@code chunksize}. */
    public static final class Job {
        final long id;
        final String kind;
        final Task task;
        final int count;
        final int chunksize;
        final int nchunks;
        final int prefetch;
        final Object[] results;
        final int[] pidOfChunk;
        final boolean[] chunkDone;
        final int[] attempts;
        final ArrayDeque<Integer> pending = new ArrayDeque<>();
        final List<Integer> completionOrder = new ArrayList<>();
        final ChildOutput out;
        final IntFunction<String> describe;
        final ClassLoader loader;
        final long submitted = System.nanoTime();
        volatile long ended;
        int itemsDone;
        int chunksDone;
        int liveWorkers;
        RuntimeException error;
        volatile boolean finished;

        Job(String kind, Task task, int count, int chunksize, int processes, ChildOutput out, IntFunction<String> describe,
            ClassLoader loader) {
            synchronized (Job.class) {
                this.id = ++jobCounter;
            }
            this.kind = kind;
            this.task = task;
            this.count = count;
            this.chunksize = Math.max(1, chunksize);
            this.nchunks = count == 0 ? 0 : (count + this.chunksize - 1) / this.chunksize;
            this.prefetch = nchunks > 4 * processes ? 2 : 1;
            this.results = new Object[count];
            this.pidOfChunk = new int[nchunks];
            this.chunkDone = new boolean[nchunks];
            this.attempts = new int[nchunks];
            for (int c = 0; c < nchunks; c++) pending.add(c);
            this.out = out;
            this.describe = describe;
            this.loader = loader;
        }

        public String kind() { return kind; }

        public int total() { return count; }

        public synchronized int itemsDone() { return itemsDone; }

        public boolean ready() { return finished; }

        public long elapsedNanos() { return (finished ? ended : System.nanoTime()) - submitted; }

        /** The error that failed the job, or null. */
        public synchronized RuntimeException error() { return error; }

        /** Results in input order; only meaningful once ready and without error. */
        public Object[] results() { return results; }

        /** Pid of the worker that computed item i (0 if not computed). */
        public synchronized int workerOf(int item) { return pidOfChunk[item / chunksize]; }

        int from(int chunk) { return chunk * chunksize; }

        int to(int chunk) { return Math.min(count, (chunk + 1) * chunksize); }

        String items(int chunk) {
            int a = from(chunk), b = to(chunk) - 1;
            return a == b ? "item " + a : "items " + a + ".." + b;
        }
    }

    private static final class Worker {
        final int pid;
        final Job job;
        int taskFd;
        final ArrayDeque<Integer> outstanding = new ArrayDeque<>();
        String hung;

        Worker(int pid, Job job, int taskFd) {
            this.pid = pid;
            this.job = job;
            this.taskFd = taskFd;
        }
    }

    /** Submits a job; workers are forked now if this is the owner thread and slots are free. */
    public synchronized Job submit(String kind, Task task, int count, int chunksize, IntFunction<String> describe,
                                   ClassLoader loader) {
        checkRunning();
        Job job = new Job(kind, task, count, chunksize, processes, host.output(), describe, loader);
        if (job.nchunks == 0) {
            finish(job);
            return job;
        }
        jobs.add(job);
        maintain();
        return job;
    }

    /** CPython's default map chunksize: ceil(len / (4 × processes)). */
    public int defaultChunksize(int count) {
        if (count == 0) return 1;
        return Math.max(1, (count + 4 * processes - 1) / (4 * processes));
    }

    private void checkRunning() {
        if (state != State.RUN) {
            throw new PoolStateException("Pool not running (state " + state + "): no new tasks after close() or terminate()");
        }
    }

    /** Starts workers for jobs that need them (owner thread only: the only thread that may fork). */
    private void maintain() {
        if (Thread.currentThread() != owner || state == State.TERMINATE) return;
        for (Job job : new ArrayList<>(jobs)) {
            while (!job.finished && workers.size() < processes && !job.pending.isEmpty()
                    && job.liveWorkers < job.pending.size() + outstanding(job)) {
                try {
                    startWorker(job);
                } catch (RuntimeException e) {
                    fail(job, e);
                }
            }
        }
    }

    private int outstanding(Job job) {
        int n = 0;
        for (Worker w : workers.values()) if (w.job == job) n += w.outstanding.size();
        return n;
    }

    private void startWorker(Job job) {
        ensureEdenRoom();
        int[] p = new int[2];
        if (Native.posix().pipe(p) < 0) {
            throw new IllegalStateException("pipe() for a pool worker failed: errno " + Native.posix().errno());
        }
        addTaskFd(p[1]);
        int pid;
        try {
            pid = Forker.get().fork("pool worker (job " + job.id + ")", new WorkerOutput(this, job.out));
        } catch (RuntimeException e) {
            removeTaskFd(p[1]);
            Native.posix().close(p[0]);
            Native.posix().close(p[1]);
            throw e;
        }
        if (pid == 0) runWorker(p[0], job);
        Native.posix().close(p[0]);
        forks++;
        Worker w = new Worker(pid, job, p[1]);
        workers.put(pid, w);
        job.liveWorkers++;
        LIVE.put(pid, this);
        startHangWatch();
        feed(w);
    }

    /** The child: its task pipe's write end was closed by the child hook; serve until EOF, then _exit. */
    private static void runWorker(int taskFd, Job job) {
        int code = 0;
        try {
            WorkerLoop.serve(taskFd, job.task, job.count, job.chunksize, CONTROL);
        } catch (Throwable t) {
            System.err.println("pool worker " + Native.libc().getpid() + " failed: " + t);
            code = 3;
        }
        Forker.exitChild(code);
    }

    /** Gives w its next chunk(s); a worker with nothing left gets EOF and exits. Under the lock. */
    private void feed(Worker w) {
        Job job = w.job;
        while (!job.finished && w.outstanding.size() < job.prefetch && !job.pending.isEmpty() && w.hung == null) {
            int c = job.pending.poll();
            byte[] b = {(byte) (c >>> 24), (byte) (c >>> 16), (byte) (c >>> 8), (byte) c};
            w.outstanding.add(c);
            if (w.taskFd < 0 || Native.posix().write(w.taskFd, b, 4) != 4) {
                // the worker is gone; onClosed will deal with its chunks
                break;
            }
        }
        if (w.outstanding.isEmpty() || job.finished) retire(w);
    }

    private void retire(Worker w) {
        if (w.taskFd >= 0) {
            removeTaskFd(w.taskFd);
            Native.posix().close(w.taskFd);
            w.taskFd = -1;
        }
    }

    private void finish(Job job) {
        if (job.finished) return;
        job.ended = System.nanoTime();
        job.finished = true;
        jobs.remove(job);
        for (Worker w : workers.values()) if (w.job == job) retire(w);
        notifyAll();
    }

    private void fail(Job job, RuntimeException e) {
        if (job.finished) return;
        synchronized (job) {
            job.error = e;
        }
        finish(job);
    }

    // ------------------------------------------------------------------ events (pump and watch threads)

    synchronized void onControl(int pid, byte type, byte[] payload) {
        Worker w = workers.get(pid);
        if (w == null) return;
        Job job = w.job;
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload));
            int chunk = in.readInt();
            long t0 = in.readLong();
            long t1 = in.readLong();
            w.outstanding.remove((Integer) chunk);
            spans.add(new Timeline.Span(job.id, job.kind, pid, chunk, job.from(chunk), job.to(chunk) - job.from(chunk),
                    t0, t1, type == WorkerLoop.RESULT));
            if (!job.finished && !job.chunkDone[chunk]) {
                if (type == WorkerLoop.RESULT) {
                    int n = in.readInt();
                    int from = job.from(chunk);
                    for (int k = 0; k < n; k++) job.results[from + k] = Codec.read(in, job.loader);
                    synchronized (job) {
                        job.chunkDone[chunk] = true;
                        job.pidOfChunk[chunk] = pid;
                        job.itemsDone += n;
                        job.chunksDone++;
                        job.completionOrder.add(chunk);
                    }
                    if (job.chunksDone == job.nchunks) finish(job);
                } else if (type == WorkerLoop.FAILED) {
                    int item = in.readInt();
                    String cls = Codec.readString(in);
                    String msg = Codec.readString(in);
                    String tb = Codec.readString(in);
                    fail(job, new TaskFailedException(cls + ("null".equals(msg) ? "" : ": " + msg) + " (in worker "
                            + pid + ", " + job.kind + " " + job.describe.apply(item) + ")", pid, item, cls, tb));
                } else if (type == WorkerLoop.UNSENDABLE) {
                    int item = in.readInt();
                    String cls = Codec.readString(in);
                    String detail = Codec.readString(in);
                    fail(job, new ResultNotSerializableException("the result for " + job.describe.apply(item)
                            + " is a " + cls + ", which cannot be sent back from worker " + pid
                            + ": it is not Serializable (" + detail + "); return a Serializable value "
                            + "(String, boxed number, record implementing Serializable, ArrayList...)",
                            pid, item, cls, null));
                }
            }
        } catch (IOException | RuntimeException e) {
            fail(job, new TaskFailedException("could not read the result of worker " + pid + ": " + e, pid, -1,
                    e.getClass().getName(), null));
        }
        feed(w);
        notifyAll();
    }

    synchronized void onClosed(int pid) {
        Worker w = workers.remove(pid);
        if (w == null) return;
        LIVE.remove(pid);
        retire(w);
        ExitStatus st = null;
        try {
            st = Forker.get().children().waitpid(pid, 0).status();
        } catch (RuntimeException e) {
            // reaped elsewhere without a record: report what we know
        }
        Job job = w.job;
        job.liveWorkers--;
        if (!w.outstanding.isEmpty() && !job.finished) {
            StringBuilder items = new StringBuilder();
            boolean retry = w.hung != null;
            for (int c : w.outstanding) {
                items.append(items.length() == 0 ? "" : ", ").append(job.items(c));
                if (job.attempts[c] + 1 >= MAX_ATTEMPTS) retry = false;
            }
            if (retry) {
                List<Integer> again = new ArrayList<>(w.outstanding);
                for (int i = again.size() - 1; i >= 0; i--) {
                    job.attempts[again.get(i)]++;
                    job.pending.addFirst(again.get(i));
                }
                note(job, "pool: worker " + pid + " hung (" + w.hung + ") and was killed; running " + items
                        + " again in a new worker\n");
            } else {
                String how = w.hung != null ? "hung (" + w.hung + ") and was killed" + (job.attempts[w.outstanding.peek()] > 0
                        ? ", on the second try too" : "")
                        : st == null ? "ended" : "was " + st;
                String hint = w.hung != null ? ": code a forked JVM runs for the first time can hang (class loading, "
                        + "a GC, a lock another kernel thread held); run the function once in the kernel first" : "";
                fail(job, new WorkerLostException("pool worker " + pid + " " + how + " while running " + items + hint,
                        pid));
            }
        }
        notifyAll();
    }

    private static synchronized void startHangWatch() {
        if (hangWatch == null) {
            hangWatch = new HangWatch(() -> new ArrayList<>(LIVE.keySet()), (pid, where) -> {
                ProcessPool pool = LIVE.get(pid);
                if (pool != null) pool.onHang(pid, where);
            });
        }
    }

    private void onHang(int pid, String where) {
        synchronized (this) {
            Worker w = workers.get(pid);
            if (w == null || w.hung != null) return;
            w.hung = where;
            hangs++;
        }
        Native.posix().kill(pid, Signals.SIGKILL);
    }

    private static void note(Job job, String text) {
        try {
            job.out.onOutput(0, ChildOutput.Stream.STDERR, text.getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException ignored) {
            // output is best effort
        }
    }

    // ------------------------------------------------------------------ waiting

    /**
     * Waits until the job is ready. timeoutNanos < 0 waits for ever. Returns false on timeout.
     * An interrupt (thread interrupt, or {@link Host#poll} throwing) kills the pool's workers, fails
     * its unfinished jobs and rethrows; the pool stays usable.
     */
    @Override
    public boolean await(Job job, long timeoutNanos) {
        boolean ok = awaitCondition(() -> job.finished, timeoutNanos, job);
        host.progress(job);
        return ok;
    }

    private boolean awaitCondition(BooleanSupplier done, long timeoutNanos, Job progress) {
        long deadline = timeoutNanos < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutNanos;
        while (true) {
            synchronized (this) {
                if (done.getAsBoolean()) return true;
                maintain();
                if (done.getAsBoolean()) return true;
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                try {
                    wait(Math.max(1, Math.min(WAIT_SLICE_MS, left / 1_000_000L)));
                } catch (InterruptedException e) {
                    abort("interrupted");
                    host.poll(); // throws the host's interrupt (e.g. the cell's) when that is what happened
                    Thread.currentThread().interrupt();
                    throw new CancellationException("interrupted while waiting for the pool");
                }
            }
            try {
                host.poll();
            } catch (RuntimeException | Error e) {
                abort("interrupted");
                throw e;
            }
            if (progress != null) host.progress(progress);
        }
    }

    /** Waits until available() holds (for imap); throws the job's error if it ended without it. */
    @Override
    void awaitChunk(Job job, BooleanSupplier available) {
        awaitCondition(() -> {
            synchronized (job) {
                return available.getAsBoolean() || job.finished;
            }
        }, -1, job);
        synchronized (job) {
            if (available.getAsBoolean()) return;
        }
        host.progress(job);
        RuntimeException e = job.error();
        if (e == null) throw new IllegalStateException("pool job ended without the expected result");
        e.fillInStackTrace();
        throw e;
    }

    /** An AsyncResult over job, converting its results array to the caller's type. */
    public <R> AsyncResult<R> result(Job job, java.util.function.Function<Object[], R> convert) {
        return AsyncResult.of(this, job, convert);
    }

    /** An iterator over job's results in input order (ordered) or completion order. */
    public <R> ResultIterator<R> iterator(Job job, boolean ordered, java.util.function.Function<Object, R> convert) {
        return new ResultIterator<>(this, job, ordered, convert);
    }

    /** Aborts every pool that has live workers (an interrupt: async jobs too, not only the awaited one). */
    public static void abortAll(String reason) {
        for (ProcessPool pool : new java.util.HashSet<>(LIVE.values())) pool.abort(reason);
    }

    /** Kills every worker now, fails the unfinished jobs with reason, waits (≤ 1 s) for the workers to be reaped. */
    public void abort(String reason) {
        List<Integer> pids;
        synchronized (this) {
            for (Job job : new ArrayList<>(jobs)) fail(job, new CancellationException("pool job " + reason));
            pids = new ArrayList<>(workers.keySet());
        }
        for (int pid : pids) Native.posix().kill(pid, Signals.SIGKILL);
        awaitWorkersGone(1000);
    }

    private void awaitWorkersGone(long millis) {
        long deadline = System.currentTimeMillis() + millis;
        synchronized (this) {
            while (!workers.isEmpty()) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) break;
                try {
                    wait(Math.min(left, WAIT_SLICE_MS));
                } catch (InterruptedException e) {
                    // keep waiting: workers must be reaped before we return
                }
            }
            // Not closed in time (a descendant holds its pipes?): reap here, close our end.
            for (Worker w : new ArrayList<>(workers.values())) {
                Native.posix().kill(w.pid, Signals.SIGKILL);
                try {
                    Forker.get().children().waitpid(w.pid, 0);
                } catch (RuntimeException ignored) {
                    // already reaped
                }
                retire(w);
                Forker.get().pump().forget(w.pid);
                workers.remove(w.pid);
                LIVE.remove(w.pid);
            }
        }
    }

    // ------------------------------------------------------------------ lifecycle

    /** No more tasks; running jobs finish and their workers exit (Python's close()). */
    public synchronized void close() {
        if (state == State.RUN) state = State.CLOSE;
    }

    /** Kills the workers at once, fails unfinished jobs, reaps (Python's terminate()). */
    public void terminate() {
        synchronized (this) {
            if (state == State.TERMINATE && workers.isEmpty()) return;
            state = State.TERMINATE;
        }
        abort("terminated: the pool was terminated");
    }

    /** Waits for every job and worker to end; only after close() or terminate() (as in Python). */
    public void join() {
        synchronized (this) {
            if (state == State.RUN) throw new PoolStateException("Pool is still running: call close() or terminate() before join()");
        }
        awaitCondition(() -> jobs.isEmpty() && workers.isEmpty(), -1, null);
    }

    // ------------------------------------------------------------------ timeline

    /** Chunks run so far: which worker ran which chunk when. */
    public synchronized List<Timeline.Span> spans() { return new ArrayList<>(spans); }

    public long createdNanos() { return created; }

    // ------------------------------------------------------------------ fork safety

    private static void ensureEdenRoom() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (!p.getName().contains("Eden")) continue;
            MemoryUsage u = p.getUsage();
            long cap = u.getMax() > 0 ? u.getMax() : u.getCommitted();
            // A forked child cannot collect: if eden is nearly full, its first allocations would hang it.
            if (cap - u.getUsed() < Math.min(EDEN_HEADROOM, cap / 4)) System.gc();
        }
    }

    private static void addTaskFd(int fd) {
        synchronized (TASK_FDS_LOCK) {
            int[] a = Arrays.copyOf(taskFds, taskFds.length + 1);
            a[a.length - 1] = fd;
            taskFds = a;
        }
    }

    private static void removeTaskFd(int fd) {
        synchronized (TASK_FDS_LOCK) {
            int[] a = taskFds;
            int n = 0;
            int[] b = new int[a.length];
            for (int x : a) if (x != fd) b[n++] = x;
            taskFds = Arrays.copyOf(b, n);
        }
    }

    private static void closeTaskFdsInChild() {
        int[] a = taskFds;
        for (int i = 0; i < a.length; i++) Native.posix().close(a[i]);
    }

    private static boolean warmedUp;

    /**
     * Runs, in the kernel, every path a worker takes, on a sample: the task pipe read, chunk runs
     * whose results take each codec branch, a failing task, an unsendable result, the control
     * record encoding, and the parent's decoding. Code a forked JVM runs for the first time can hang.
     */
    static synchronized void warmUp() {
        if (warmedUp) return;
        warmedUp = true;
        Object[] samples = {null, 1, 2L, 3.0, "s", true, 1.5f, 'c', (short) 2, (byte) 1,
                new ArrayList<>(List.of(1, "x")), new int[]{1}, new HashMap<>(Map.of("k", 1)), new Object(),
                new Thread("pool warm-up (never started)")};
        Task task = i -> {
            if (i == samples.length) throw new IllegalStateException("warm-up " + i, new RuntimeException("cause"));
            return samples[i];
        };
        List<byte[]> records = new ArrayList<>();
        List<Byte> types = new ArrayList<>();
        WorkerLoop.Sender capture = (type, payload) -> {
            types.add(type);
            records.add(jfork.process.ControlFrames.encode(type, payload));
        };
        int[] p = new int[2];
        if (Native.posix().pipe(p) < 0) return;
        try {
            // one chunk per sample (each codec branch; new Object() and the Thread are unsendable),
            // then one that throws; then a many-item chunk
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(b);
            for (int c = 0; c <= samples.length; c++) d.writeInt(c);
            byte[] bytes = b.toByteArray();
            Native.posix().write(p[1], bytes, bytes.length);
            Native.posix().close(p[1]);
            p[1] = -1;
            WorkerLoop.serve(p[0], task, samples.length + 1, 1, capture);
            WorkerLoop.runChunk(0, task, samples.length - 2, samples.length - 2, capture);
            for (byte[] rec : records) {
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(rec, 5, rec.length - 5));
                in.readInt();
                in.readLong();
                in.readLong();
                byte type = rec[0];
                if (type == WorkerLoop.RESULT) {
                    int n = in.readInt();
                    for (int k = 0; k < n; k++) Codec.read(in, null);
                } else {
                    in.readInt();
                    Codec.readString(in);
                    Codec.readString(in);
                    if (type == WorkerLoop.FAILED) Codec.readString(in);
                }
            }
            try {
                CONTROL.send(WorkerLoop.RESULT, new byte[0]); // refused in the kernel; links the call
            } catch (IllegalStateException expected) {
                expected.getMessage();
            }
            try {
                Forker.exitChild(0); // refused in the kernel; links the call
            } catch (IllegalStateException expected) {
                expected.getMessage();
            }
            new RemoteTraceback("x").getMessage();
            new TaskFailedException("x", 1, 1, "x", "x").getCause();
        } catch (Throwable t) {
            jfork.Log.warn("pool warm-up failed: " + t);
        } finally {
            Native.posix().close(p[0]);
            if (p[1] >= 0) Native.posix().close(p[1]);
        }
        closeTaskFdsInChild(); // empty now: links the child hook's path
    }

    /** Routes a worker's pipes: output to the job's sink, control records and the end to the pool. */
    private static final class WorkerOutput implements ChildOutput {
        private final ProcessPool pool;
        private final ChildOutput out;

        WorkerOutput(ProcessPool pool, ChildOutput out) {
            this.pool = pool;
            this.out = out;
        }

        @Override
        public void onOutput(int pid, Stream stream, byte[] data) {
            out.onOutput(pid, stream, data);
        }

        @Override
        public void onControl(int pid, byte type, byte[] payload) {
            pool.onControl(pid, type, payload);
        }

        @Override
        public void onClosed(int pid) {
            pool.onClosed(pid);
        }
    }
}
