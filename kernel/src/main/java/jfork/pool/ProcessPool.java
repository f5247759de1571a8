package jfork.pool;

import jfork.process.ChildOutput;
import jfork.process.CompileBeforeFork;
import jfork.process.ControlFrames;
import jfork.process.ExitStatus;
import jfork.process.Forker;
import jfork.process.HangWatch;
import jfork.process.Native;
import jfork.process.Signals;
import jnr.constants.platform.Fcntl;
import jnr.constants.platform.OpenFlags;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

/**
 * A process pool on fork(2), after CPython's multiprocessing.pool, for code that lives in this JVM.
 *
 * <p><b>Functions and items reach the workers through fork, not through a pipe.</b> A lambda given to
 * {@code map} after a worker was forked is not in that worker's memory, and a forked JVM cannot
 * safely load new code. So workers are forked when a call (a "job": one map, imap, starmap or apply)
 * needs them, with its function and items already in memory, and then kept, like CPython's, until
 * close() or terminate(): a later call runs on them when its function is one they know (the same
 * function object, e.g. a variable holding a lambda, or a non-capturing lambda evaluated again) and
 * its items can travel compactly (null, boxed primitives, strings, Object[] of those); otherwise an
 * idle worker is retired and a new one forked, which knows every function and call so far. A kept
 * worker sees the kernel's state as it was when it was forked, as in CPython, where workers are
 * forked once, when the pool is created.
 *
 * <p>Worker protocol: task frames on a pipe per worker (a call's id and a chunk number, or a known
 * function's slot with the chunk's items), results on the fork layer's control pipe, encoded by
 * {@link Codec}, each record prefixed with the call's id. A worker exits at EOF on its task pipe,
 * or by itself ({@link WorkerLoop#RETIRED}) once it has allocated half of the garbage it can make
 * without a collection; what it had prefetched is then given to another worker.
 *
 * <p>Threads: the pump thread of the fork layer delivers results and worker ends
 * ({@link #onControl}, {@link #onClosed}) and feeds the next chunks; forking happens only on the
 * thread that created the pool (the one thread that may fork), inside the calls it makes. A call that
 * needs a new worker while {@code processes} workers are busy starts when that thread next waits on
 * the pool. Task pipes are non-blocking on the kernel's side: a frame the pipe cannot take now is kept
 * and written later, so the kernel never blocks on a busy worker while holding the pool's lock.
 *
 * <p>Failures, as in CPython: an exception in a worker fails its chunk with a
 * {@link TaskFailedException} (cause: the worker's stack trace as a {@link RemoteTraceback}); a result
 * Java serialization refuses, with {@link ResultNotSerializableException}; the other chunks still run
 * and the call raises its first failure once every chunk is done (see {@link Job}). A worker that ends
 * with work in hand fails those chunks with {@link WorkerLostException} (CPython would wait for ever),
 * except a worker the hang detector killed: its chunks are re-run once ({@link #MAX_ATTEMPTS}).
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
    /** Functions a pool remembers for its kept workers (older ones are forgotten: a new fork then). */
    static final int MAX_FUNCTIONS = 64;
    private static final long WAIT_SLICE_MS = 20;
    /** A chunk this quick is shorter than a worker's round trip to the kernel (0.1-0.5 ms measured). */
    private static final long QUICK_CHUNK_NANOS = 200_000;
    /** How long a fork waits for the compiler per new function (C1 takes ~1 ms for a small one). */
    private static final long COMPILE_WAIT_MS = 100;
    private static final int EAGAIN = 11;
    /** Write ends of live workers' task pipes: closed in every forked child (see the static block). */
    private static volatile int[] taskFds = new int[0];
    private static final Object TASK_FDS_LOCK = new Object();
    private static final WorkerLoop.Sender CONTROL = Forker::sendControl;

    static {
        // A child must not hold other workers' task pipes open, or they never see EOF and never exit.
        Forker.addChildHook(ProcessPool::closeTaskFdsInChild);
    }

    private final int processes;
    private final Host host;
    private final Thread owner;
    private State state = State.RUN;
    private final Map<Integer, Worker> workers = new LinkedHashMap<>();
    /** The same workers, for {@link #outputOf} (the pump's thread, without the lock). */
    private final Map<Integer, Worker> byPid = new java.util.concurrent.ConcurrentHashMap<>();
    private final ArrayDeque<Job> jobs = new ArrayDeque<>();
    private final List<Timeline.Span> spans = new ArrayList<>();
    /** Function slots: adapters by slot (null once forgotten) and the user's function object they wrap. */
    private final List<RemoteFn> fnSlots = new ArrayList<>();
    private final List<Object> fnKeys = new ArrayList<>();
    /** Function objects already compiled before a fork (by identity). */
    private final Set<Object> compiledKeys = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private int rememberedFns;
    private final long created = System.nanoTime();
    /** Live workers of every pool, for the one shared hang detector (it samples nothing when empty). */
    private static final Map<Integer, ProcessPool> LIVE = new java.util.concurrent.ConcurrentHashMap<>();
    private static HangWatch hangWatch;
    private int forks;
    private int hangs;
    private int reused;
    /** Bumped when a job needs workers forked after it (see {@link #maintain}). */
    private int generation;

    public ProcessPool(int processes, Host host) {
        this(processes, host, true);
    }

    /** rehearsal: a pool that never forks, for {@link #rehearseCalls} (no warm-up, no collection). */
    private ProcessPool(int processes, Host host, boolean real) {
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
        if (!real) return;
        warmUp();
        // Workers are forked with the first call (they must see its function); the collection a
        // fork may need first (EdenHeadroom: ~30-110 ms when eden is short) is done now, as
        // multiprocessing.Pool() pays for its forks at creation, not in the first map.
        Forker.get().ensureChildHeadroom();
    }

    public int processes() { return processes; }

    public synchronized State state() { return state; }

    /** Forks done by this pool so far, and hung workers killed. */
    public synchronized int forks() { return forks; }

    public synchronized int hangs() { return hangs; }

    /** Calls that ran (at least partly) on workers forked before them. */
    public synchronized int reusedCalls() { return reused; }

    /** Pids of the workers alive now (busy or idle). */
    public synchronized List<Integer> workerPids() {
        List<Integer> pids = new ArrayList<>();
        for (Worker w : workers.values()) if (!w.retiring) pids.add(w.pid);
        return pids;
    }

    // ------------------------------------------------------------------ workers

    private record Sent(Job job, int chunk) {
    }

    private static final class Worker {
        final int pid;
        /** Calls that existed when it was forked: their items are in its memory. */
        final Set<Long> knownJobs;
        /** Function slots below this were registered before it was forked. */
        final int knownFns;
        /** Half of the eden free at its fork: the garbage it may make before it retires itself. */
        final long edenAtFork;
        int taskFd;
        final ArrayDeque<Sent> outstanding = new ArrayDeque<>();
        /** Bytes of frames its task pipe could not take yet. */
        byte[] unsent;
        String hung;
        boolean retiring;
        int generation;
        ChildOutput lastOut;
        /** Where its output goes: the call of its oldest outstanding chunk, else the last one's. Read without the lock. */
        volatile ChildOutput target;

        /** Under the pool's lock, whenever outstanding or lastOut changes. */
        void retarget() {
            Sent s = outstanding.peek();
            target = s != null ? s.job.out : lastOut;
        }

        Worker(int pid, int taskFd, Set<Long> knownJobs, int knownFns, long edenAtFork) {
            this.pid = pid;
            this.taskFd = taskFd;
            this.knownJobs = knownJobs;
            this.knownFns = knownFns;
            this.edenAtFork = edenAtFork;
        }

        boolean active() {
            return !retiring && hung == null && taskFd >= 0;
        }

        boolean idle() {
            return outstanding.isEmpty() && unsent == null;
        }
    }

    /**
     * Submits a job: fn over items in chunks. key is the user's function object: a later job with the
     * same key (and adapter class) can run on the workers already forked.
     */
    public synchronized Job submit(String kind, RemoteFn fn, Object key, List<?> items, int chunksize,
                                   IntFunction<String> describe, ClassLoader loader) {
        checkRunning();
        Job job = new Job(kind, fn, items, chunksize, processes, host.output(), describe, loader);
        if (job.nchunks == 0) {
            finish(job);
            return job;
        }
        job.fnSlot = slotOf(key, fn);
        for (Worker w : workers.values()) {
            if (current(w) && job.fnSlot < w.knownFns) {
                job.sendable = encode(job);
                break;
            }
        }
        Forker.get().childWorkActive();
        jobs.add(job);
        maintain();
        dispatch();
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

    /** The slot of key's function (by identity and adapter class), registering it if new. */
    private int slotOf(Object key, RemoteFn fn) {
        for (int s = fnSlots.size() - 1; s >= 0; s--) {
            RemoteFn f = fnSlots.get(s);
            if (f != null && fnKeys.get(s) == key && f.getClass() == fn.getClass()) return s;
        }
        fnSlots.add(fn);
        fnKeys.add(key);
        if (++rememberedFns > MAX_FUNCTIONS) {
            for (int s = 0; s < fnSlots.size(); s++) {
                if (fnSlots.get(s) != null) {
                    compiledKeys.remove(fnKeys.get(s)); // nor is the forgotten function kept alive there
                    fnSlots.set(s, null);
                    fnKeys.set(s, null);
                    rememberedFns--;
                    break;
                }
            }
        }
        return fnSlots.size() - 1;
    }

    /**
     * Room for the job's chunks as SENT frame bodies (each encoded when first sent, see
     * {@link #itemsOf}, so that the first frames leave before the last are made), or null if an
     * item cannot travel compactly.
     */
    private static byte[][] encode(Job job) {
        Object[] items = job.items.toArray();
        for (Object item : items) if (!Codec.compact(item)) return null;
        job.sendItems = items;
        return new byte[job.nchunks][];
    }

    /** The encoded items of a chunk of a job whose items can travel ({@link #encode}). */
    private static byte[] itemsOf(Job job, int chunk) {
        byte[] items = job.sendable[chunk];
        if (items != null) return items;
        int from = job.from(chunk), to = job.to(chunk);
        ByteArrayOutputStream b = new ByteArrayOutputStream(8 + 6 * (to - from));
        try {
            Codec.writeValues(new DataOutputStream(b), job.sendItems, from, to);
        } catch (IOException | Codec.Unsendable e) {
            throw new IllegalStateException("a compact item failed to encode", e); // compact() said it would not
        }
        return job.sendable[chunk] = b.toByteArray();
    }

    private boolean canRun(Worker w, Job job) {
        return w.knownJobs.contains(job.id) || (job.sendable != null && job.fnSlot < w.knownFns);
    }

    /**
     * Starts workers for jobs the current workers cannot run (owner thread only: the only thread that
     * may fork). Workers forked together form a generation, which sees one state of the kernel: a job
     * the current generation cannot run starts a new one, and the older workers retire once idle, so
     * that the items of one call never meet workers forked at different times (a replacement for a
     * killed or hung worker aside).
     */
    private void maintain() {
        if (Thread.currentThread() != owner || state == State.TERMINATE) return;
        dispatch();
        for (Job job : new ArrayList<>(jobs)) {
            if (job.finished || job.pending.isEmpty()) continue;
            if (runners(job) == 0 && hasCurrentWorkers()) {
                generation++;
                retireIdleOldWorkers();
            }
            while (!job.finished && !job.pending.isEmpty() && runners(job) < job.pending.size() + outstanding(job)
                    && live() < processes) {
                try {
                    startWorker();
                } catch (RuntimeException e) {
                    job.abandon(e);
                    finish(job);
                }
            }
            // After all the forks, not after each: the workers start their first chunks together, and
            // a busy first worker (its output, its results) does not slow the wait before the next fork.
            dispatch();
        }
    }

    private boolean current(Worker w) {
        return w.active() && w.generation == generation;
    }

    private boolean hasCurrentWorkers() {
        for (Worker w : workers.values()) if (current(w)) return true;
        return false;
    }

    /** Workers that hold a slot: all but the retiring ones (a hung one holds its slot until it is reaped). */
    private int live() {
        int n = 0;
        for (Worker w : workers.values()) if (!w.retiring) n++;
        return n;
    }

    private int runners(Job job) {
        int n = 0;
        for (Worker w : workers.values()) if (current(w) && canRun(w, job)) n++;
        return n;
    }

    private void retireIdleOldWorkers() {
        for (Worker w : workers.values()) {
            if (w.active() && w.generation != generation && w.idle()) retire(w);
        }
    }

    private int outstanding(Job job) {
        int n = 0;
        for (Worker w : workers.values()) for (Sent s : w.outstanding) if (s.job == job) n++;
        return n;
    }

    private void startWorker() {
        compileNewFunctions();
        Forker.get().ensureChildHeadroom(); // before reading the room below, not inside fork() after it
        int[] p = new int[2];
        if (Native.posix().pipe(p) < 0) {
            throw new IllegalStateException("pipe() for a pool worker failed: errno " + Native.posix().errno());
        }
        // the kernel's end never blocks (see the class comment); the worker's end does
        Native.posix().fcntlInt(p[1], Fcntl.F_SETFL,
                Native.posix().fcntl(p[1], Fcntl.F_GETFL) | OpenFlags.O_NONBLOCK.intValue());
        Map<Long, Job> known = new HashMap<>();
        for (Job j : jobs) if (!j.finished) known.put(j.id, j);
        RemoteFn[] fns = fnSlots.toArray(new RemoteFn[0]);
        long eden = Forker.get().childAllocationRoom();
        addTaskFd(p[1]);
        long allocatedAtFork = WorkerLoop.allocatedBytes();
        int pid;
        try {
            pid = Forker.get().fork("pool worker", new WorkerOutput(this), true);
        } catch (RuntimeException e) {
            removeTaskFd(p[1]);
            Native.posix().close(p[0]);
            Native.posix().close(p[1]);
            throw e;
        }
        if (pid == 0) runWorker(p[0], known, fns, eden / 2, allocatedAtFork);
        Native.posix().close(p[0]);
        forks++;
        Worker w = new Worker(pid, p[1], new HashSet<>(known.keySet()), fns.length, eden);
        w.generation = generation;
        workers.put(pid, w);
        byPid.put(pid, w);
        LIVE.put(pid, this);
        startHangWatch();
    }

    /**
     * The functions this worker will know, compiled in the kernel first (see {@link CompileBeforeFork}):
     * a worker cannot compile them itself, and interpreted they are most of a map of small items.
     */
    private void compileNewFunctions() {
        if (!CompileBeforeFork.available()) return;
        for (Object key : fnKeys) {
            if (key != null && compiledKeys.add(key)) CompileBeforeFork.compile(key, COMPILE_WAIT_MS);
        }
    }

    /** The child: its task pipe's write end was closed by the child hook; serve until EOF, then _exit. */
    private static void runWorker(int taskFd, Map<Long, Job> known, RemoteFn[] fns, long budget, long allocatedAtFork) {
        int code;
        try {
            code = WorkerLoop.serve(taskFd, known, fns, budget, allocatedAtFork, CONTROL);
        } catch (Throwable t) {
            System.err.println("pool worker " + Native.libc().getpid() + " failed: " + t);
            code = 3;
        }
        Forker.exitChild(code);
    }

    /** Gives every current worker chunks it can run, up to the prefetch; flushes frames kept back. Under the lock. */
    private void dispatch() {
        for (Worker w : workers.values()) {
            if (!w.active()) continue;
            flush(w);
            if (w.generation != generation) {
                if (w.idle()) retire(w); // an older generation only finishes what it has
                continue;
            }
            while (w.unsent == null) {
                Job job = nextFor(w);
                if (job == null || w.outstanding.size() >= job.prefetch) break;
                int c = job.pending.poll();
                w.outstanding.add(new Sent(job, c));
                w.lastOut = job.out;
                w.retarget();
                if (!w.knownJobs.contains(job.id) && !job.onKeptWorkers) {
                    job.onKeptWorkers = true;
                    reused++;
                }
                write(w, frame(w, job, c));
            }
        }
    }

    private Job nextFor(Worker w) {
        for (Job job : jobs) if (!job.finished && !job.pending.isEmpty() && canRun(w, job)) return job;
        return null;
    }

    /** A task frame: [int length][type][job id][chunk] for a job w knows, else its function's slot and the items. */
    private static byte[] frame(Worker w, Job job, int chunk) {
        boolean known = w.knownJobs.contains(job.id);
        byte[] items = known ? new byte[0] : itemsOf(job, chunk);
        ByteArrayOutputStream b = new ByteArrayOutputStream(32 + items.length);
        DataOutputStream d = new DataOutputStream(b);
        try {
            d.writeInt(0); // the length, set below
            d.writeByte(known ? WorkerLoop.KNOWN : WorkerLoop.SENT);
            d.writeLong(job.id);
            if (!known) d.writeInt(job.fnSlot);
            d.writeInt(chunk);
            if (!known) {
                d.writeInt(job.chunksize);
                d.writeInt(job.count);
                d.write(items);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        byte[] f = b.toByteArray();
        int len = f.length - 4;
        f[0] = (byte) (len >>> 24);
        f[1] = (byte) (len >>> 16);
        f[2] = (byte) (len >>> 8);
        f[3] = (byte) len;
        return f;
    }

    /** Writes what the pipe takes now; keeps the rest for {@link #flush}. */
    private static void write(Worker w, byte[] bytes) {
        if (w.unsent != null) {
            byte[] more = Arrays.copyOf(w.unsent, w.unsent.length + bytes.length);
            System.arraycopy(bytes, 0, more, w.unsent.length, bytes.length);
            w.unsent = more;
            return;
        }
        w.unsent = bytes;
        flush(w);
    }

    private static void flush(Worker w) {
        if (w.unsent == null || w.taskFd < 0) return;
        int n = Native.posix().write(w.taskFd, w.unsent, w.unsent.length);
        if (n == w.unsent.length) {
            w.unsent = null;
        } else if (n > 0) {
            w.unsent = Arrays.copyOfRange(w.unsent, n, w.unsent.length);
        } else if (n < 0 && Native.posix().errno() != EAGAIN) {
            w.unsent = null; // the worker is gone (EPIPE): onClosed deals with its chunks
        }
    }

    /** Closes w's task pipe: it exits at EOF, once it has read what was written. */
    private void retire(Worker w) {
        w.retiring = true;
        if (w.taskFd >= 0) {
            removeTaskFd(w.taskFd);
            Native.posix().close(w.taskFd);
            w.taskFd = -1;
        }
    }

    private void finish(Job job) {
        if (job.finished) return;
        job.markFinished();
        Forker.get().childWorkActive();
        jobs.remove(job);
        if (state == State.CLOSE && jobs.isEmpty()) {
            for (Worker w : workers.values()) retire(w);
        }
        notifyAll();
    }

    // ------------------------------------------------------------------ events (pump and watch threads)

    /**
     * Without the pool's lock: the output pump calls this inside the fork gate, and the cell's thread
     * holds the lock while it forks workers, so waiting for it here made every such fork wait the
     * gate's full 50 ms and then fork without the gate.
     */
    ChildOutput outputOf(int pid) {
        Worker w = byPid.get(pid);
        return w == null ? null : w.target;
    }

    synchronized void onControl(int pid, byte type, byte[] payload) {
        Worker w = workers.get(pid);
        if (w == null) return;
        Sent sent = null;
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload));
            long id = in.readLong();
            int chunk = in.readInt();
            long t0 = in.readLong();
            long t1 = in.readLong();
            for (Sent s : w.outstanding) {
                if (s.job.id == id && s.chunk == chunk) {
                    sent = s;
                    break;
                }
            }
            if (sent == null) return;
            w.outstanding.remove(sent);
            w.retarget();
            Job job = sent.job;
            spans.add(new Timeline.Span(job.id, job.kind, pid, chunk, job.from(chunk), job.to(chunk) - job.from(chunk),
                    t0, t1, type == WorkerLoop.RESULT));
            // Chunks that take less than a round trip to the kernel: a worker would wait for each
            // next one, so every worker gets its share at once (balance hardly matters for them).
            if (t1 - t0 < QUICK_CHUNK_NANOS) job.prefetch = job.fairShare;
            job.accept(type, chunk, in, pid);
        } catch (IOException | RuntimeException e) {
            if (sent != null) {
                sent.job.failed(sent.chunk, pid, new TaskFailedException("could not read the result of worker " + pid
                        + ": " + e, pid, -1, e.getClass().getName(), null));
            }
        }
        if (sent != null && sent.job.complete()) finish(sent.job);
        dispatch();
        // Waiters of a whole call are woken by finish(): a wake-up per chunk cost a CPU the workers use.
        if (sent != null && sent.job.streamed) notifyAll();
    }

    synchronized void onClosed(int pid) {
        Worker w = workers.remove(pid);
        byPid.remove(pid);
        if (w == null) return;
        LIVE.remove(pid);
        retire(w);
        ExitStatus st = null;
        try {
            st = Forker.get().children().waitpid(pid, 0).status();
        } catch (RuntimeException e) {
            // reaped elsewhere without a record: report what we know
        }
        boolean retired = st != null && st.exited() && st.exitCode() == WorkerLoop.RETIRED;
        Map<Job, List<Integer>> lost = new java.util.LinkedHashMap<>();
        for (Sent s : w.outstanding) {
            if (!s.job.finished) lost.computeIfAbsent(s.job, j -> new ArrayList<>()).add(s.chunk);
        }
        for (Map.Entry<Job, List<Integer>> e : lost.entrySet()) {
            Job job = e.getKey();
            List<Integer> chunks = e.getValue();
            StringBuilder items = new StringBuilder();
            boolean retry = retired || w.hung != null;
            for (int c : chunks) {
                items.append(items.length() == 0 ? "" : ", ").append(job.items(c));
                if (!retired && job.attempts[c] + 1 >= MAX_ATTEMPTS) retry = false;
            }
            if (retry) {
                for (int i = chunks.size() - 1; i >= 0; i--) {
                    if (!retired) job.attempts[chunks.get(i)]++;
                    job.pending.addFirst(chunks.get(i));
                }
                if (!retired) {
                    note(job, "pool: worker " + pid + " hung (" + w.hung + ") and was killed; running " + items
                            + " again in a new worker\n");
                }
                continue;
            }
            String how = w.hung != null ? "hung (" + w.hung + ") and was killed"
                    + (job.attempts[chunks.get(0)] > 0 ? ", on the second try too" : "")
                    : st == null ? "ended" : "was " + st;
            String hint = w.hung == null ? ""
                    : w.hung.contains("allocation room") ? ": a forked JVM cannot collect garbage, so a fork worker can "
                    + "allocate only what was free in the kernel's young generation when it was forked (about "
                    + (w.edenAtFork >> 20) + " MB); use new Pool(n, \"spawn\") for allocation-heavy work"
                    : ": code a forked JVM runs for the first time can hang (class loading, a GC, a lock another "
                    + "kernel thread held); run the function once in the kernel first";
            WorkerLostException lostError = new WorkerLostException("pool worker " + pid + " " + how + " while running "
                    + items + hint, pid);
            for (int c : chunks) job.failed(c, pid, lostError);
            if (job.complete()) finish(job);
        }
        w.outstanding.clear();
        w.retarget();
        if (state == State.CLOSE && jobs.isEmpty()) {
            for (Worker x : workers.values()) retire(x);
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
        long eden;
        synchronized (this) {
            Worker w = workers.get(pid);
            if (w == null || w.hung != null) return;
            eden = w.edenAtFork;
        }
        // A worker that has written most of the eden it had is waiting for a collection it cannot run.
        long dirty = privateDirtyBytes(pid);
        String why = dirty >= eden / 2 && eden > 0
                ? where + "; it had written " + (dirty >> 20) + " MB, most of the " + (eden >> 20)
                + " MB of allocation room it had: it waits for a garbage collection"
                : where;
        synchronized (this) {
            Worker w = workers.get(pid);
            if (w == null || w.hung != null) return;
            w.hung = why;
            hangs++;
        }
        Native.posix().kill(pid, Signals.SIGKILL);
    }

    /** Private_Dirty of a process: the memory it has written since it was forked (copy-on-write). */
    private static long privateDirtyBytes(int pid) {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + pid + "/smaps_rollup"))) {
                if (line.startsWith("Private_Dirty:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
            }
        } catch (IOException | RuntimeException e) {
            // gone, or no smaps_rollup (Linux before 4.14)
        }
        return 0;
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

    /** Waits until available() holds or the job is ready (for imap); false on timeout. */
    @Override
    boolean awaitChunk(Job job, BooleanSupplier available, long timeoutNanos) {
        job.streamed = true;
        boolean ok = awaitCondition(() -> {
            synchronized (job) {
                return available.getAsBoolean() || job.finished;
            }
        }, timeoutNanos, job);
        host.progress(job);
        return ok;
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
            for (Job job : new ArrayList<>(jobs)) {
                job.abandon(new CancellationException("pool job " + reason));
                finish(job);
            }
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
                byPid.remove(w.pid);
                LIVE.remove(w.pid);
            }
        }
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Python's close(): no more tasks; returns at once. Submitted jobs still run; the workers exit once
     * none is left (join() waits for that).
     */
    public synchronized void close() {
        if (state == State.RUN) state = State.CLOSE;
        if (jobs.isEmpty()) {
            for (Worker w : workers.values()) retire(w);
        }
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

    private static final Set<Class<?>> COMPILED_ADAPTERS = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * {@link #compileHotPaths} for one of the API's adapters of the user's function, once per
     * adapter class (item: a typical item for it). The worker's calls through the adapter must have
     * run in the kernel with that very class: compiled code that meets a new receiver class in a
     * forked worker is not fixed up there, and every call took a slow path (a 1,250-item chunk of
     * x -> x * 2: 0.10 ms instead of 0.02 ms).
     */
    public static void compileWorkerPath(RemoteFn adapter, Object item) {
        if (!COMPILED_ADAPTERS.add(adapter.getClass())) return;
        try {
            compileHotPaths(adapter, item);
        } catch (Throwable t) {
            jfork.Log.warn("pool warm-up failed: " + t);
        }
    }

    /** The warm-up's function: echoes its item, throws for "throw". */
    private static final class WarmUpFn implements RemoteFn {
        @Override
        public Object call(Object item) {
            if ("throw".equals(item)) throw new IllegalStateException("warm-up", new RuntimeException("cause"));
            return item;
        }
    }

    /**
     * Runs, in the kernel, every path a worker takes, on samples: task frames of both kinds read from
     * a pipe, chunk runs whose results take each codec branch, a failing task, an unsendable result,
     * the record encoding, the allocation check and retiring, and the kernel's decoding. Code a forked
     * JVM runs for the first time can hang.
     */
    static synchronized void warmUp() {
        if (warmedUp) return;
        warmedUp = true;
        List<Object> samples = new ArrayList<>(Arrays.asList(null, 1, 2L, 3.0, "s", true, 1.5f, 'c', (short) 2,
                (byte) 1, new Object[]{1, "x", null}, new ArrayList<>(List.of(1, "x")), new int[]{1},
                new HashMap<>(Map.of("k", 1)), new Object(), new Thread("pool warm-up (never started)"), "throw"));
        RemoteFn fn = new WarmUpFn();
        Job known = new Job("warm-up", fn, samples, 1, 1, null, i -> "item " + i, null);
        List<Object> compact = new ArrayList<>();
        for (Object o : samples) if (Codec.compact(o)) compact.add(o);
        Job later = new Job("warm-up", fn, compact, 1, 1, null, i -> "item " + i, null);
        later.fnSlot = 0;
        later.sendable = encode(later);
        Worker w = new Worker(0, -1, new HashSet<>(List.of(known.id)), 1, 0);
        List<byte[]> records = new ArrayList<>();
        WorkerLoop.Sender capture = (type, payload) -> records.add(jfork.process.ControlFrames.encode(type, payload));
        int[] p = new int[2];
        if (Native.posix().pipe(p) < 0) return;
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int c = 0; c < known.nchunks; c++) b.write(frame(w, known, c));
            for (int c = 0; c < later.nchunks; c++) b.write(frame(w, later, c));
            byte[] bytes = b.toByteArray();
            Native.posix().write(p[1], bytes, bytes.length);
            Native.posix().close(p[1]);
            p[1] = -1;
            Map<Long, Job> jobsAtFork = new HashMap<>(Map.of(known.id, known));
            WorkerLoop.serve(p[0], jobsAtFork, new RemoteFn[]{fn}, Long.MAX_VALUE, WorkerLoop.allocatedBytes(), capture);
            for (byte[] rec : records) {
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(rec, 5, rec.length - 5));
                long id = in.readLong();
                int chunk = in.readInt();
                in.readLong();
                in.readLong();
                (id == known.id ? known : later).accept(rec[0], chunk, in, 1);
            }
            // all but the unsendable Object and Thread and the "throw" item came back
            if (known.itemsDone() != samples.size() - 3 || later.itemsDone() != compact.size() - 1) {
                throw new IllegalStateException("warm-up results unexpected: " + known.itemsDone() + " / "
                        + later.itemsDone() + " items, " + known.error() + " / " + later.error());
            }
            // retiring: a frame, then the budget check says stop
            Native.posix().close(p[0]);
            p[0] = -1;
            if (Native.posix().pipe(p) < 0) return;
            byte[] again = frame(w, later, 0);
            Native.posix().write(p[1], again, again.length);
            WorkerLoop.serve(p[0], jobsAtFork, new RemoteFn[]{fn}, -1, WorkerLoop.allocatedBytes(), capture);
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
            compileHotPaths(fn, 1);
        } catch (Throwable t) {
            jfork.Log.warn("pool warm-up failed: " + t);
        } finally {
            if (p[0] >= 0) Native.posix().close(p[0]);
            if (p[1] >= 0) Native.posix().close(p[1]);
        }
        closeTaskFdsInChild(); // empty now: links the child hook's path
        rehearseCalls(REHEARSALS);
    }

    /** Calls {@link #rehearseCalls} makes: C1 compiles a method after ~200 calls (-XX:TieredStopAtLevel=1). */
    private static final int REHEARSALS = 300;

    /**
     * The kernel's side of a call on kept workers, run rounds times on a pool that never forks: its
     * one worker is a pipe served in this thread. A call runs these methods once or a few times, so
     * without this they stayed interpreted for a user's first ~100 maps (a warm 10,000-item map:
     * 5-9 ms in those, 1 ms after). Submit, dispatch, frames, the worker's loop, the control-record
     * reassembly, onControl, finish and await: each with the classes a real call uses.
     */
    private static void rehearseCalls(int rounds) {
        ChildOutput quiet = new ChildOutput() {
            @Override
            public void onOutput(int pid, Stream stream, byte[] data) {
            }
        };
        ProcessPool pool = new ProcessPool(1, new Host() {
            @Override
            public ChildOutput output() {
                return quiet;
            }

            @Override
            public void poll() {
            }
        }, false);
        RemoteFn fn = new WarmUpFn();
        List<Object> items = List.of(1, 2, 3, 4, 5, 6, 7, 8);
        int rehearsalPid = -1;
        ControlFrames.Reassembler reassembler = new ControlFrames.Reassembler();
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        WorkerLoop.Sender capture = (type, payload) -> sent.write(ControlFrames.encode(type, payload));
        Worker w = new Worker(rehearsalPid, -1, new HashSet<>(), 1, 0);
        int[] p = new int[2];
        try {
            synchronized (pool) {
                pool.slotOf(fn, fn);
                pool.workers.put(rehearsalPid, w);
                pool.byPid.put(rehearsalPid, w);
            }
            for (int round = 0; round < rounds; round++) {
                if (Native.posix().pipe(p) < 0) return;
                synchronized (pool) {
                    w.taskFd = p[1];
                }
                Job job = pool.submit("map", fn, fn, items, 4, i -> "item " + i, null); // 2 chunks, both sent now
                synchronized (pool) {
                    w.taskFd = -1;
                }
                Native.posix().close(p[1]);
                p[1] = -1;
                sent.reset();
                WorkerLoop.serve(p[0], Map.of(), pool.fnSlots.toArray(new RemoteFn[0]), Long.MAX_VALUE, WorkerLoop.allocatedBytes(), capture);
                Native.posix().close(p[0]);
                p[0] = -1;
                byte[] records = sent.toByteArray();
                reassembler.feed(records, 0, records.length, (type, payload) -> pool.onControl(rehearsalPid, type, payload));
                if (!pool.await(job, 0) || job.error() != null || !Integer.valueOf(8).equals(job.results()[7])) {
                    throw new IllegalStateException("rehearsal call ended " + (job.ready() ? "with " + job.error() : "unfinished"));
                }
            }
        } catch (Throwable t) {
            jfork.Log.warn("pool rehearsal failed: " + t);
        } finally {
            if (p[0] >= 0) Native.posix().close(p[0]);
            if (p[1] >= 0) Native.posix().close(p[1]);
        }
    }

    /**
     * Runs the per-item paths of a worker (chunk loop, both task kinds, codec both ways) a few hundred
     * times in the kernel, so that the JIT compiles them here: a forked worker never compiles, and
     * runs interpreted whatever was not compiled before its fork (several times slower per item).
     */
    private static void compileHotPaths(RemoteFn fn, Object item) throws Throwable {
        List<Object> ints = new ArrayList<>(java.util.Collections.nCopies(32, item));
        Job job = new Job("warm-up", fn, ints, ints.size(), 1, null, i -> "item " + i, null);
        Object[] values = ints.toArray();
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        WorkerLoop.Sender keep = (type, payload) -> {
            sink.reset();
            sink.write(payload);
        };
        for (int round = 0; round < 400; round++) {
            ProcessPool.Task task = round % 2 == 0 ? new WorkerLoop.KnownTask(job) : new WorkerLoop.SentTask(fn, values, 0);
            WorkerLoop.runChunk(0, task, ints.size(), ints.size(), new WorkerLoop.IdSender(job.id, keep));
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(sink.toByteArray()));
            in.readLong();
            in.readInt();
            in.readLong();
            in.readLong();
            Codec.readValues(in, null);
        }
    }

    /** Routes a worker's pipes: output to the cell of the job it runs, control records and its end to the pool. */
    private static final class WorkerOutput implements ChildOutput {
        private final ProcessPool pool;

        WorkerOutput(ProcessPool pool) {
            this.pool = pool;
        }

        @Override
        public void onOutput(int pid, Stream stream, byte[] data) {
            ChildOutput out = pool.outputOf(pid);
            if (out != null) out.onOutput(pid, stream, data);
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
