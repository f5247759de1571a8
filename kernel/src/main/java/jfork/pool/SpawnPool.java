package jfork.pool;

import jfork.execution.SnippetClasses;
import jfork.process.ChildOutput;
import jfork.process.Signals;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

/**
 * The "spawn" start method: pool workers are fresh JVMs ({@link SpawnWorker}) with all their threads,
 * started once and kept until the pool is closed or terminated, so a second map costs no start-up,
 * code is JIT-compiled, garbage is collected and no lock of the kernel is inherited.
 *
 * <p><b>Why ProcessBuilder, not posix_spawnp.</b> On Linux the JDK's ProcessBuilder already starts a
 * child by posix_spawn of jspawnhelper, which then execs the target: no copy of the kernel's page
 * tables, no fork of a multi-threaded JVM, nothing of the kernel runs in the child. It gives the
 * stdin/stdout pipes the protocol needs, with CLOEXEC hygiene handled by the JDK, and the JDK's
 * process reaper waits for its own pids only (the fork layer reaps only pids it forked: neither steals
 * the other's statuses). Calling posix_spawnp through jnr-posix would add nothing but our own pipe,
 * descriptor and reaping code. The cost is one extra exec (jspawnhelper), ~1 ms against the ~300 ms
 * of a JVM start-up.
 *
 * <p>Jobs, chunks and results are the fork pool's ({@link Job}, {@link WorkerLoop}'s
 * records, {@link Codec}), so AsyncResult, ResultIterator, the timeline and the error types behave the
 * same. What differs is what reaches the worker: the function and items by Java serialization, the
 * snippet classes by bytecode, cell variables by value at the time of the call ({@link SpawnCode}).
 *
 * <p>Threads: one reader thread per worker delivers its frames; the caller's thread starts workers and
 * sends work; the worker's stdin is drained by its own thread, so writes here never block for long.
 */
public final class SpawnPool extends JobWaiter {
    /** Worker JVM flags: a small, fast-starting JVM; the full JIT (C2) for long CPU-bound work. */
    static final List<String> JVM_FLAGS = List.of("-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xshare:auto",
            "-XX:+IgnoreUnrecognizedVMOptions");
    private static final long WAIT_SLICE_MS = 20;
    private static final Set<SpawnPool> LIVE = ConcurrentHashMap.newKeySet();

    private final int processes;
    private final ProcessPool.Host host;
    private ProcessPool.State state = ProcessPool.State.RUN;
    private final List<Worker> workers = new ArrayList<>();
    private final ArrayDeque<SJob> jobs = new ArrayDeque<>();
    private final Map<Job, SJob> byJob = new IdentityHashMap<>();
    private final List<Timeline.Span> spans = new ArrayList<>();
    private int started;
    private int startFailures;

    private static final class SJob {
        final Job job;
        final byte[] jobFrame;
        final byte[][] chunks;

        SJob(Job job, byte[] jobFrame, byte[][] chunks) {
            this.job = job;
            this.jobFrame = jobFrame;
            this.chunks = chunks;
        }
    }

    private record Sent(SJob job, int chunk) {
    }

    private static final class Worker {
        final Process process;
        final int pid;
        final DataOutputStream stdin;
        final long startNanos = System.nanoTime();
        long readyNanos;
        boolean ready;
        boolean killed;
        int classesSent;
        final Set<Long> jobsSent = new HashSet<>();
        final ArrayDeque<Sent> outstanding = new ArrayDeque<>();
        ChildOutput lastOut;

        Worker(Process process) {
            this.process = process;
            this.pid = (int) process.pid();
            this.stdin = new DataOutputStream(new BufferedOutputStream(process.getOutputStream(), 1 << 16));
        }
    }

    public SpawnPool(int processes, ProcessPool.Host host) {
        if (processes < 1) throw new IllegalArgumentException("Number of processes must be at least 1, got " + processes);
        this.processes = processes;
        this.host = host;
        LIVE.add(this);
        synchronized (this) {
            ensureWorkers();
        }
        warmUpEncoding(); // while the worker JVMs start
    }

    private static boolean encodingWarm;

    /**
     * Serializes a sample function once per kernel, while the first pool's workers start: the first
     * serialization of a lambda in a JVM costs tens of ms, which the first call would otherwise pay.
     */
    private static synchronized void warmUpEncoding() {
        if (encodingWarm) return;
        encodingWarm = true;
        try {
            RemoteFn sample = item -> item;
            SpawnCode.encode(sample, SpawnPool.class.getClassLoader());
        } catch (RuntimeException e) {
            jfork.Log.warn("spawn encoding warm-up failed: " + e);
        }
    }

    public int processes() { return processes; }

    public synchronized ProcessPool.State state() { return state; }

    /** Worker JVMs started by this pool so far (replacements included). */
    public synchronized int started() { return started; }

    /** Pids of the worker JVMs alive now (starting or ready). */
    public synchronized List<Integer> workerPids() {
        List<Integer> pids = new ArrayList<>();
        for (Worker w : workers) pids.add(w.pid);
        return pids;
    }

    /** Milliseconds from start to ready of each ready worker (start-up cost). */
    public synchronized List<Double> startupMillis() {
        List<Double> ms = new ArrayList<>();
        for (Worker w : workers) if (w.ready) ms.add((w.readyNanos - w.startNanos) / 1e6);
        return ms;
    }

    /** Waits until every worker is ready (true) or the timeout passes (false). */
    public boolean awaitReady(long timeout, TimeUnit unit) {
        return awaitCondition(() -> {
            if (workers.size() < processes && state == ProcessPool.State.RUN) return false;
            for (Worker w : workers) if (!w.ready) return false;
            return true;
        }, unit.toNanos(timeout), null);
    }

    public synchronized List<Timeline.Span> spans() { return new ArrayList<>(spans); }

    public int defaultChunksize(int count) {
        if (count == 0) return 1;
        return Math.max(1, (count + 4 * processes - 1) / (4 * processes));
    }

    // ------------------------------------------------------------------ submitting

    /**
     * One call: fn over items in chunks. The function, the cell variables it reads and the items are
     * serialized now, in the caller's thread, so that anything unsendable fails here, naming itself.
     */
    public Job submit(String kind, RemoteFn fn, List<?> items, int chunksize, IntFunction<String> describe,
                                  ClassLoader loader) {
        synchronized (this) {
            checkRunning();
        }
        int cs = Math.max(1, chunksize);
        byte[] fnFrame = SpawnCode.encode(fn, loader);
        int nchunks = items.isEmpty() ? 0 : (items.size() + cs - 1) / cs;
        byte[][] chunks = new byte[nchunks][];
        for (int c = 0; c < nchunks; c++) {
            int from = c * cs, to = Math.min(items.size(), from + cs);
            ByteArrayOutputStream b = new ByteArrayOutputStream(32 + 8 * (to - from));
            DataOutputStream d = new DataOutputStream(b);
            try {
                Codec.writeValues(d, items, from, to);
            } catch (Codec.Unsendable u) {
                int bad = from;
                for (int i = from; i < to; i++) {
                    try {
                        Codec.write(new DataOutputStream(new ByteArrayOutputStream()), items.get(i));
                    } catch (Codec.Unsendable | IOException e) {
                        bad = i;
                        break;
                    }
                }
                throw new UnsendableValueException(kind + " " + describe.apply(bad) + " is a " + u.typeName
                        + ", which cannot be sent to the spawn workers: it is not Serializable (" + u.getMessage()
                        + ")", "item " + bad, u.typeName);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            chunks[c] = b.toByteArray();
        }
        synchronized (this) {
            checkRunning();
            Job job = new Job(kind, null, items, cs, processes, host.output(), describe, loader);
            if (job.nchunks == 0) {
                finish(job);
                return job;
            }
            SJob s = new SJob(job, fnFrame, chunks);
            jobs.add(s);
            byJob.put(job, s);
            ensureWorkers();
            dispatch();
            return job;
        }
    }

    private void checkRunning() {
        if (state != ProcessPool.State.RUN) {
            throw new PoolStateException("Pool not running (state " + state + "): no new tasks after close() or terminate()");
        }
    }

    // ------------------------------------------------------------------ workers

    private void ensureWorkers() {
        while (state == ProcessPool.State.RUN && workers.size() < processes && startFailures < 3) {
            try {
                startWorker();
            } catch (IOException e) {
                startFailures++;
                for (SJob s : new ArrayList<>(jobs)) {
                    fail(s.job, new IllegalStateException("cannot start a spawn pool worker JVM: " + e, e));
                }
                return;
            }
        }
    }

    static List<String> command() {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(JVM_FLAGS);
        String extra = System.getProperty("jfork.spawn.jvmOptions", System.getenv("JFORK_SPAWN_JVM_OPTIONS"));
        if (extra != null && !extra.isBlank()) cmd.addAll(List.of(extra.trim().split("\\s+")));
        cmd.add("-Djfork.spawn.kernel=" + ProcessHandle.current().pid()); // marks the worker in ps
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(SpawnWorker.class.getName());
        return cmd;
    }

    private void startWorker() throws IOException {
        Process p = new ProcessBuilder(command())
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .redirectOutput(ProcessBuilder.Redirect.PIPE)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        Worker w = new Worker(p);
        workers.add(w);
        started++;
        Thread reader = new Thread(() -> read(w), "jfork-spawn-worker-" + w.pid);
        reader.setDaemon(true);
        reader.start();
    }

    private void read(Worker w) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(w.process.getInputStream(), 1 << 16))) {
            while (true) {
                int len;
                try {
                    len = in.readInt();
                } catch (EOFException e) {
                    break;
                }
                byte type = in.readByte();
                byte[] payload = new byte[len];
                in.readFully(payload);
                if (type == SpawnWorker.OUT || type == SpawnWorker.ERR) {
                    output(w, type == SpawnWorker.OUT ? ChildOutput.Stream.STDOUT : ChildOutput.Stream.STDERR, payload);
                } else if (type == SpawnWorker.READY) {
                    onReady(w);
                } else {
                    onResult(w, type, payload);
                }
            }
        } catch (IOException | RuntimeException e) {
            if (!w.killed) jfork.Log.warn("spawn worker " + w.pid + ": " + e);
        }
        onClosed(w);
    }

    private void output(Worker w, ChildOutput.Stream stream, byte[] data) {
        ChildOutput out;
        synchronized (this) {
            Sent s = w.outstanding.peek();
            out = s != null ? s.job.job.out : w.lastOut;
        }
        if (out == null) {
            jfork.Log.warn("spawn worker " + w.pid + ": " + new String(data, StandardCharsets.UTF_8).stripTrailing());
            return;
        }
        try {
            out.onOutput(w.pid, stream, data);
        } catch (RuntimeException ignored) {
            // output is best effort
        }
    }

    private synchronized void onReady(Worker w) {
        w.ready = true;
        w.readyNanos = System.nanoTime();
        startFailures = 0;
        try {
            sendClasses(w); // now, not with the first task: off the first call's path
            w.stdin.flush();
        } catch (IOException e) {
            // dying: onClosed deals with it
        }
        dispatch();
        notifyAll();
    }

    /** Sends chunks to ready workers with room (under the lock; the worker's stdin thread keeps the pipe drained). */
    private void dispatch() {
        for (Worker w : workers) {
            if (!w.ready || w.killed) continue;
            while (true) {
                SJob next = null;
                for (SJob s : jobs) {
                    if (!s.job.finished && !s.job.pending.isEmpty()) {
                        next = s;
                        break;
                    }
                }
                if (next == null || w.outstanding.size() >= next.job.prefetch) break;
                int chunk = next.job.pending.poll();
                w.outstanding.add(new Sent(next, chunk));
                w.lastOut = next.job.out;
                if (!send(w, next, chunk)) break; // it is dying: onClosed reports its chunks
            }
        }
    }

    private boolean send(Worker w, SJob s, int chunk) {
        try {
            sendClasses(w);
            if (w.jobsSent.add(s.job.id)) {
                ByteArrayOutputStream b = new ByteArrayOutputStream(8 + s.jobFrame.length);
                DataOutputStream d = new DataOutputStream(b);
                d.writeLong(s.job.id);
                d.write(s.jobFrame);
                frame(w, SpawnWorker.JOB, b.toByteArray());
            }
            ByteArrayOutputStream b = new ByteArrayOutputStream(24 + s.chunks[chunk].length);
            DataOutputStream d = new DataOutputStream(b);
            d.writeLong(s.job.id);
            d.writeInt(chunk);
            d.writeInt(s.job.chunksize);
            d.writeInt(s.job.count);
            d.write(s.chunks[chunk]);
            frame(w, SpawnWorker.CHUNK, b.toByteArray());
            w.stdin.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The snippet classes the kernel loaded since the last CLASSES frame to w, if any. */
    private static void sendClasses(Worker w) throws IOException {
        int total = SnippetClasses.count();
        if (w.classesSent >= total) return;
        List<Map.Entry<String, byte[]>> add = SnippetClasses.since(w.classesSent);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(add.size());
        for (Map.Entry<String, byte[]> e : add) {
            d.writeUTF(e.getKey());
            d.writeInt(e.getValue().length);
            d.write(e.getValue());
        }
        frame(w, SpawnWorker.CLASSES, b.toByteArray());
        w.classesSent += add.size();
    }

    private static void frame(Worker w, byte type, byte[] payload) throws IOException {
        w.stdin.writeInt(payload.length);
        w.stdin.writeByte(type);
        w.stdin.write(payload);
    }

    private synchronized void onResult(Worker w, byte type, byte[] payload) {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload));
        SJob s = null;
        int chunkRead = -1;
        try {
            long id = in.readLong();
            int chunk = in.readInt();
            chunkRead = chunk;
            long t0 = in.readLong();
            long t1 = in.readLong();
            Sent sent = null;
            for (Sent x : w.outstanding) {
                if (x.job.job.id == id && x.chunk == chunk) {
                    sent = x;
                    break;
                }
            }
            if (sent == null) return;
            w.outstanding.remove(sent);
            s = sent.job;
            Job job = s.job;
            spans.add(new Timeline.Span(job.id, job.kind, w.pid, chunk, job.from(chunk), job.to(chunk) - job.from(chunk),
                    t0, t1, type == WorkerLoop.RESULT));
            job.accept(type, chunk, in, w.pid);
        } catch (IOException | RuntimeException e) {
            if (s != null) {
                s.job.failed(chunkRead, w.pid, new TaskFailedException("could not read the result of worker " + w.pid
                        + ": " + e, w.pid, -1, e.getClass().getName(), null));
            }
        }
        if (s != null && s.job.complete()) finish(s.job);
        dispatch();
        notifyAll();
    }

    private void onClosed(Worker w) {
        int code;
        try {
            if (!w.process.waitFor(2, TimeUnit.SECONDS)) w.process.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
            code = w.process.exitValue();
        } catch (InterruptedException | IllegalThreadStateException e) {
            code = -1;
        }
        closeStreams(w);
        // The JDK reports a death by signal n as exit value 128 + n.
        String how = code > 128 && code < 128 + 65 ? "was killed by " + Signals.name(code - 128)
                : code < 0 ? "did not end" : "exited with code " + code;
        synchronized (this) {
            workers.remove(w);
            if (!w.killed) {
                Set<SJob> lost = new java.util.LinkedHashSet<>();
                for (Sent x : w.outstanding) lost.add(x.job);
                for (SJob s : lost) {
                    StringBuilder items = new StringBuilder();
                    for (Sent x : w.outstanding) {
                        if (x.job == s) items.append(items.length() == 0 ? "" : ", ").append(s.job.items(x.chunk));
                    }
                    WorkerLostException e = new WorkerLostException("pool worker " + w.pid + " " + how + " while running "
                            + items + " (a spawn worker; the pool starts a new one)", w.pid);
                    for (Sent x : w.outstanding) if (x.job == s) s.job.failed(x.chunk, w.pid, e);
                    if (s.job.complete()) finish(s.job);
                }
                if (!w.ready) {
                    startFailures++;
                    if (startFailures >= 3) {
                        for (SJob s : new ArrayList<>(jobs)) {
                            fail(s.job, new IllegalStateException("spawn pool workers " + how + " before they were ready, "
                                    + startFailures + " times in a row (the kernel's log has their stderr); command: "
                                    + String.join(" ", command())));
                        }
                    }
                }
                if (state == ProcessPool.State.RUN && (!jobs.isEmpty() || w.ready)) ensureWorkers(); // replace it
            }
            w.outstanding.clear();
            dispatch();
            notifyAll();
        }
    }

    private static void closeStreams(Worker w) {
        try {
            w.process.getOutputStream().close();
        } catch (IOException ignored) {
            // already broken
        }
        try {
            w.process.getInputStream().close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    private void finish(Job job) {
        if (job.finished) return;
        job.markFinished();
        SJob s = byJob.remove(job);
        if (s != null) {
            jobs.remove(s);
            for (Worker w : workers) {
                if (w.jobsSent.remove(job.id) && !w.killed) {
                    try {
                        ByteArrayOutputStream b = new ByteArrayOutputStream();
                        new DataOutputStream(b).writeLong(job.id);
                        frame(w, SpawnWorker.FORGET, b.toByteArray());
                        w.stdin.flush();
                    } catch (IOException ignored) {
                        // dying
                    }
                }
            }
        }
        if (state == ProcessPool.State.CLOSE && jobs.isEmpty()) closeWorkers();
        notifyAll();
    }

    /** Ends the whole call with e (its workers could not start, interrupt, terminate). */
    private void fail(Job job, RuntimeException e) {
        job.abandon(e);
        finish(job);
    }

    /** Closes every worker's stdin: each ends as soon as it reads EOF. */
    private void closeWorkers() {
        for (Worker w : workers) {
            try {
                w.stdin.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }

    // ------------------------------------------------------------------ waiting

    @Override
    public boolean await(Job job, long timeoutNanos) {
        boolean ok = awaitCondition(() -> job.finished, timeoutNanos, job);
        host.progress(job);
        return ok;
    }

    @Override
    boolean awaitChunk(Job job, BooleanSupplier available, long timeoutNanos) {
        boolean ok = awaitCondition(() -> {
            synchronized (job) {
                return available.getAsBoolean() || job.finished;
            }
        }, timeoutNanos, job);
        host.progress(job);
        return ok;
    }

    private boolean awaitCondition(BooleanSupplier done, long timeoutNanos, Job progress) {
        long deadline = timeoutNanos < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutNanos;
        while (true) {
            synchronized (this) {
                if (done.getAsBoolean()) return true;
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                try {
                    wait(Math.max(1, Math.min(WAIT_SLICE_MS, left / 1_000_000L)));
                } catch (InterruptedException e) {
                    abort("interrupted");
                    host.poll();
                    Thread.currentThread().interrupt();
                    throw new CancellationException("interrupted while waiting for the pool");
                }
                if (done.getAsBoolean()) return true;
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

    public <R> AsyncResult<R> result(Job job, java.util.function.Function<Object[], R> convert) {
        return AsyncResult.of(this, job, convert);
    }

    public <R> ResultIterator<R> iterator(Job job, boolean ordered, java.util.function.Function<Object, R> convert) {
        return new ResultIterator<>(this, job, ordered, convert);
    }

    // ------------------------------------------------------------------ ending

    /** Interrupt: every spawn pool kills its worker JVMs and fails its jobs; pools stay usable (new workers on next use). */
    public static void abortAll(String reason) {
        for (SpawnPool p : new ArrayList<>(LIVE)) p.abort(reason);
    }

    /** Kernel shutdown/restart: SIGKILL every worker JVM of every pool now (no shutdown hook runs after this). */
    public static void killAllNow() {
        List<Process> all = new ArrayList<>();
        for (SpawnPool p : new ArrayList<>(LIVE)) {
            synchronized (p) {
                p.state = ProcessPool.State.TERMINATE;
                for (Worker w : p.workers) {
                    w.killed = true;
                    all.add(w.process);
                }
            }
        }
        for (Process pr : all) pr.destroyForcibly();
        long deadline = System.nanoTime() + 300_000_000L;
        for (Process pr : all) {
            try {
                pr.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                break;
            }
        }
    }

    /** Kills the workers (SIGKILL), fails unfinished jobs with reason, waits (at most 1 s) for them to be gone. */
    public void abort(String reason) {
        List<Worker> victims;
        synchronized (this) {
            for (SJob s : new ArrayList<>(jobs)) fail(s.job, new CancellationException("pool job " + reason));
            victims = new ArrayList<>(workers);
            for (Worker w : victims) w.killed = true;
        }
        for (Worker w : victims) w.process.destroyForcibly();
        awaitGone(victims, 1000);
    }

    private void awaitGone(List<Worker> victims, long millis) {
        long deadline = System.currentTimeMillis() + millis;
        synchronized (this) {
            while (victims.stream().anyMatch(workers::contains)) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) break;
                try {
                    wait(Math.min(left, WAIT_SLICE_MS));
                } catch (InterruptedException e) {
                    break;
                }
            }
        }
    }

    /** No more tasks; workers end when the running jobs are done (Python's close()). */
    public synchronized void close() {
        if (state == ProcessPool.State.RUN) state = ProcessPool.State.CLOSE;
        if (jobs.isEmpty()) closeWorkers();
    }

    /** Kills the workers at once, fails unfinished jobs (Python's terminate()). */
    public void terminate() {
        synchronized (this) {
            state = ProcessPool.State.TERMINATE;
        }
        abort("terminated: the pool was terminated");
        LIVE.remove(this);
    }

    /** Waits for every job and worker to end; only after close() or terminate(). */
    public void join() {
        synchronized (this) {
            if (state == ProcessPool.State.RUN) {
                throw new PoolStateException("Pool is still running: call close() or terminate() before join()");
            }
        }
        awaitCondition(() -> jobs.isEmpty() && workers.isEmpty(), -1, null);
        LIVE.remove(this);
    }
}
