package jfork.api;

import jfork.display.MimeBundle;
import jfork.execution.CellOutput;
import jfork.execution.Interrupts;
import jfork.pool.Job;
import jfork.pool.ProcessPool;
import jfork.pool.RemoteFn;
import jfork.pool.ResultIterator;
import jfork.pool.SpawnPool;
import jfork.pool.Timeline;
import jfork.process.ChildOutput;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Python's multiprocessing.Pool for cells, on fork or spawn. Translates line by line:
 * <pre>
 * try (Pool pool = new Pool()) {
 *     System.out.println(pool.map(x -> x * 2, List.of(2, 3, 4, 5)));
 * }
 * </pre>
 * Fork (the default): functions are ordinary lambdas over the cell's state; workers are forked when a
 * call needs them, with the function and items already in memory, and kept for later calls of a
 * function they know (see {@link ProcessPool}); results come back by Java serialization (boxed numbers
 * and strings by a faster path). A forked JVM never JIT-compiles: the kernel compiles the function, and
 * the cell methods it calls, before forking the workers that run it ({@link jfork.process.CompileBeforeFork}).
 * Spawn: fresh worker JVMs (see {@link SpawnPool}).
 *
 * <p>{@code close()} is Python's close(): no new tasks, running ones finish; {@code join()} waits.
 * try-with-resources calls close(), not Python's {@code with}'s terminate(): call {@link #terminate()}
 * to kill running async tasks.
 */
public final class Pool implements AutoCloseable {
    private static final long PROGRESS_AFTER_NANOS = 1_000_000_000L;
    private static final long PROGRESS_EVERY_NANOS = 200_000_000L;
    private static int displays;

    static {
        // An interrupt ends every pool's workers, also those of async jobs the cell is not waiting for.
        jfork.execution.CellProcesses.onInterrupt(() -> ProcessPool.abortAll("interrupted"));
        jfork.execution.CellProcesses.onInterrupt(() -> SpawnPool.abortAll("interrupted"));
        // The kernel ends with libc _exit (no shutdown hook runs): its spawn workers are killed explicitly.
        jfork.execution.CellProcesses.onShutdown(SpawnPool::killAllNow);
        warmAdapters();
    }

    /** Calls each fork-mode adapter once in the kernel: a forked worker then runs no code for the first time. */
    private static void warmAdapters() {
        try {
            // a few hundred times: the JIT compiles them in the kernel, and forked workers run that code
            One one = new One(x -> x);
            Star star = new Star((a, b) -> a);
            Calls calls = new Calls(() -> 1);
            Object[] pair = {1, 2};
            for (int i = 0; i < 400; i++) {
                one.call(i);
                star.call(pair);
                calls.call(null);
            }
        } catch (Throwable t) {
            jfork.Log.warn("pool adapter warm-up failed: " + t);
        }
    }

    private static volatile String defaultStartMethod = "fork";

    /** The fork pool, or null in spawn mode. */
    private final ProcessPool pool;
    /** The spawn pool, or null in fork mode. */
    private final SpawnPool spawn;
    private final Map<Job, long[]> shown = new IdentityHashMap<>();
    private final Map<Job, String> displayIds = new IdentityHashMap<>();

    /** One worker per CPU. */
    public Pool() {
        this(os.cpuCount());
    }

    /** processes workers started by the kernel's default start method (see {@link #setDefaultStartMethod}). */
    public Pool(int processes) {
        this(processes, defaultStartMethod);
    }

    /**
     * processes workers started by startMethod: "fork" (forked copies of the kernel: any lambda over any
     * state, but no GC, no JIT, no other thread in the worker) or "spawn" (fresh JVMs kept for the pool's
     * life: full speed, but the function, the cell variables it reads, items and results travel by Java
     * serialization).
     */
    public Pool(int processes, String startMethod) {
        checkStartMethod(startMethod);
        if ("spawn".equals(startMethod)) {
            pool = null;
            spawn = new SpawnPool(processes, new CellHost());
        } else {
            pool = new ProcessPool(processes, new CellHost());
            spawn = null;
            ProcessPool.compileWorkerPath(new One(x -> x), 1);
            ProcessPool.compileWorkerPath(new Star((a, b) -> a), new Object[] {1, 2});
            ProcessPool.compileWorkerPath(new Calls(() -> 1), 1);
            ProcessPool.compileWorkerPath(new Constant(x -> x, 1), 1);
        }
    }

    /** Python's multiprocessing.set_start_method for this kernel: what new Pool() and new Pool(n) use. */
    public static void setDefaultStartMethod(String startMethod) {
        checkStartMethod(startMethod);
        defaultStartMethod = startMethod;
    }

    public static String getDefaultStartMethod() {
        return defaultStartMethod;
    }

    private static void checkStartMethod(String startMethod) {
        if ("forkserver".equals(startMethod)) {
            throw new UnsupportedOperationException("start method 'forkserver' is not available: use \"fork\" or \"spawn\"");
        }
        if (!"fork".equals(startMethod) && !"spawn".equals(startMethod)) {
            throw new IllegalArgumentException("unknown start method '" + startMethod + "': use \"fork\" or \"spawn\"");
        }
    }

    /**
     * A function of one item that may throw any exception (a lambda may call Thread.sleep). Serializable,
     * so that a spawn pool can send a lambda to its workers (a fork pool never serializes it).
     */
    @FunctionalInterface
    public interface Fn<T, R> extends Serializable {
        R apply(T item) throws Exception;
    }

    /** A function of two arguments, for starmap. */
    @FunctionalInterface
    public interface Fn2<A, B, R> extends Serializable {
        R apply(A a, B b) throws Exception;
    }

    /** A Callable that a spawn pool can send to its workers (what apply(() -> ...) lambdas become). */
    @FunctionalInterface
    public interface Call<R> extends Callable<R>, Serializable {
    }

    // Adapters that carry the user's function to a spawn worker (on the classpath there too).
    private record One(Fn<Object, Object> fn) implements RemoteFn {
        public Object call(Object item) throws Exception { return fn.apply(item); }
    }

    private record Star(Fn2<Object, Object, Object> fn) implements RemoteFn {
        public Object call(Object item) throws Exception {
            Object[] pair = (Object[]) item;
            return fn.apply(pair[0], pair[1]);
        }
    }

    private record Calls(Callable<Object> fn) implements RemoteFn {
        public Object call(Object item) throws Exception { return fn.call(); }
    }

    private record Constant(Fn<Object, Object> fn, Object arg) implements RemoteFn {
        public Object call(Object item) throws Exception { return fn.apply(arg); }
    }

    @SuppressWarnings("unchecked")
    private static Fn<Object, Object> erase(Fn<?, ?> fn) {
        return (Fn<Object, Object>) fn;
    }

    private Job spawnJob(String kind, RemoteFn fn, List<?> items, int chunksize,
                                     java.util.function.IntFunction<String> describe, Object userFn) {
        return spawn.submit(kind, fn, items, chunksize, describe, loader(userFn));
    }

    private <R> jfork.pool.AsyncResult<R> result(Job job, java.util.function.Function<Object[], R> convert) {
        return spawn != null ? spawn.result(job, convert) : pool.result(job, convert);
    }

    private int defaultChunksize(int count) {
        return spawn != null ? spawn.defaultChunksize(count) : pool.defaultChunksize(count);
    }

    // ------------------------------------------------------------------ map family

    public <T, R> List<R> map(Fn<? super T, ? extends R> fn, Iterable<? extends T> items) {
        List<T> list = toList(items);
        return this.<T, R>mapOf(fn, list, defaultChunksize(list.size())).get();
    }

    public <T, R> List<R> map(Fn<? super T, ? extends R> fn, Iterable<? extends T> items, int chunksize) {
        return this.<T, R>mapAsync(fn, items, chunksize).get();
    }

    public <T, R> AsyncResult<List<R>> mapAsync(Fn<? super T, ? extends R> fn, Iterable<? extends T> items) {
        List<T> list = toList(items);
        return mapOf(fn, list, defaultChunksize(list.size()));
    }

    public <T, R> AsyncResult<List<R>> mapAsync(Fn<? super T, ? extends R> fn, Iterable<? extends T> items,
                                                int chunksize) {
        checkChunksize(chunksize);
        return mapOf(fn, toList(items), chunksize);
    }

    /** A map over list, the caller's snapshot of the items (copied once: 0.1 ms per 10,000 items). */
    private <T, R> AsyncResult<List<R>> mapOf(Fn<? super T, ? extends R> fn, List<T> list, int chunksize) {
        checkChunksize(chunksize);
        Job job = spawn != null
                ? spawnJob("map", new One(erase(fn)), list, chunksize, i -> describe(i, list.get(i)), fn)
                : pool.submit("map", new One(erase(fn)), fn, list, chunksize, i -> describe(i, list.get(i)), loader(fn));
        return new AsyncResult<>(result(job, Pool::<R>asList));
    }

    /** Python's starmap over pairs: {@code pool.starmap((a, b) -> a + b, List.of(Map.entry(1, 2), Map.entry(3, 4)))}. */
    public <A, B, R> List<R> starmap(Fn2<? super A, ? super B, ? extends R> fn,
                                     Iterable<? extends Map.Entry<? extends A, ? extends B>> pairs) {
        List<Map.Entry<? extends A, ? extends B>> list = toList(pairs);
        return starmapOf(fn, list, defaultChunksize(list.size()));
    }

    public <A, B, R> List<R> starmap(Fn2<? super A, ? super B, ? extends R> fn,
                                     Iterable<? extends Map.Entry<? extends A, ? extends B>> pairs, int chunksize) {
        checkChunksize(chunksize);
        return starmapOf(fn, toList(pairs), chunksize);
    }

    private <A, B, R> List<R> starmapOf(Fn2<? super A, ? super B, ? extends R> fn,
                                        List<Map.Entry<? extends A, ? extends B>> list, int chunksize) {
        checkChunksize(chunksize);
        List<Object[]> pairs2 = new ArrayList<>(); // Map.entry() is not Serializable: the pairs travel as arrays
        for (Map.Entry<? extends A, ? extends B> e : list) pairs2.add(new Object[]{e.getKey(), e.getValue()});
        @SuppressWarnings("unchecked")
        Fn2<Object, Object, Object> f = (Fn2<Object, Object, Object>) (Fn2<?, ?, ?>) fn;
        Job job = spawn != null
                ? spawnJob("starmap", new Star(f), pairs2, chunksize, i -> describe(i, list.get(i)), fn)
                : pool.submit("starmap", new Star(f), fn, pairs2, chunksize, i -> describe(i, list.get(i)), loader(fn));
        return result(job, Pool::<R>asList).get();
    }

    /** Results in input order as they arrive (a for-each works on it). Default chunksize 1, as in Python. */
    public <T, R> ResultIterator<R> imap(Fn<? super T, ? extends R> fn, Iterable<? extends T> items) {
        return imap(fn, items, 1);
    }

    public <T, R> ResultIterator<R> imap(Fn<? super T, ? extends R> fn, Iterable<? extends T> items, int chunksize) {
        return iterate("imap", fn, items, chunksize, true);
    }

    /** Results in completion order. */
    public <T, R> ResultIterator<R> imapUnordered(Fn<? super T, ? extends R> fn, Iterable<? extends T> items) {
        return imapUnordered(fn, items, 1);
    }

    public <T, R> ResultIterator<R> imapUnordered(Fn<? super T, ? extends R> fn, Iterable<? extends T> items,
                                                  int chunksize) {
        return iterate("imapUnordered", fn, items, chunksize, false);
    }

    private <T, R> ResultIterator<R> iterate(String kind, Fn<? super T, ? extends R> fn,
                                             Iterable<? extends T> items, int chunksize, boolean ordered) {
        checkChunksize(chunksize);
        List<T> list = toList(items);
        if (spawn != null) {
            Job job = spawnJob(kind, new One(erase(fn)), list, chunksize, i -> describe(i, list.get(i)), fn);
            return spawn.iterator(job, ordered, Pool::cast);
        }
        Job job = pool.submit(kind, new One(erase(fn)), fn, list, chunksize, i -> describe(i, list.get(i)), loader(fn));
        return pool.iterator(job, ordered, Pool::cast);
    }

    // ------------------------------------------------------------------ apply family

    /** Runs fn(arg) in a worker and waits (Python's apply(func, (arg,))). */
    public <T, R> R apply(Fn<? super T, ? extends R> fn, T arg) {
        return applyAsync(fn, arg).get();
    }

    public <R> R apply(Callable<? extends R> fn) {
        return applyAsync(fn).get();
    }

    /** apply(() -> ...): a lambda here is a {@link Call}, which a spawn pool can send. */
    public <R> R apply(Call<? extends R> fn) {
        return applyAsync((Callable<? extends R>) fn).get();
    }

    public <R> AsyncResult<R> applyAsync(Call<? extends R> fn) {
        return applyAsync((Callable<? extends R>) fn);
    }

    public <T, R> AsyncResult<R> applyAsync(Fn<? super T, ? extends R> fn, T arg) {
        Job job = spawn != null
                ? spawnJob("apply", new Constant(erase(fn), arg), java.util.Collections.singletonList(null), 1,
                        i -> "argument " + abbreviate(arg), fn)
                : pool.submit("apply", new One(erase(fn)), fn, java.util.Collections.singletonList(arg), 1,
                        i -> "argument " + abbreviate(arg), loader(fn));
        return new AsyncResult<>(result(job, r -> cast(r[0])));
    }

    public <R> AsyncResult<R> applyAsync(Callable<? extends R> fn) {
        @SuppressWarnings("unchecked")
        Callable<Object> c = (Callable<Object>) fn;
        Job job = spawn != null
                ? spawnJob("apply", new Calls(c), java.util.Collections.singletonList(null), 1, i -> "call", fn)
                : pool.submit("apply", new Calls(c), fn, java.util.Collections.singletonList(null), 1, i -> "call", loader(fn));
        return new AsyncResult<>(result(job, r -> cast(r[0])));
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Python's close(): no new tasks; returns at once. Tasks already submitted still run, and the workers
     * exit once they are done; {@link #join()} waits for that. This is also what try-with-resources
     * calls: Python's {@code with} calls terminate() instead, which makes no difference for map, imap
     * and apply (their results are in before the block ends) but kills async tasks still running;
     * call {@link #terminate()} for that.
     */
    @Override
    public void close() {
        if (spawn != null) spawn.close();
        else pool.close();
    }

    /** Kills the workers now; unfinished tasks fail. */
    public void terminate() {
        if (spawn != null) spawn.terminate();
        else pool.terminate();
    }

    /** Waits for the running tasks and their workers to end; after close() or terminate(). */
    public void join() {
        if (spawn != null) spawn.join();
        else pool.join();
    }

    public String state() {
        return spawn != null ? spawn.state().name() : pool.state().name();
    }

    public int processes() {
        return spawn != null ? spawn.processes() : pool.processes();
    }

    /** "fork" or "spawn". */
    public String startMethod() {
        return spawn != null ? "spawn" : "fork";
    }

    /**
     * Pids of the workers alive now, busy or idle (fork: forked by the first call that needed them, kept
     * until close/terminate or replaced by workers for a new function; spawn: the worker JVMs).
     */
    public List<Integer> workerPids() {
        return spawn != null ? spawn.workerPids() : pool.workerPids();
    }

    /** Which worker ran which chunk when, as SVG (text/plain: a summary per worker). */
    public MimeBundle timeline() {
        List<Timeline.Span> spans = spawn != null ? spawn.spans() : pool.spans();
        return new MimeBundle().put("image/svg+xml", Timeline.svg(spans)).put("text/plain", Timeline.text(spans));
    }

    /** The core fork pool (for magics and tests); null in spawn mode. */
    public ProcessPool core() {
        return pool;
    }

    /** The core spawn pool (for tests and benchmarks); null in fork mode. */
    public SpawnPool spawnCore() {
        return spawn;
    }

    @Override
    public String toString() {
        if (spawn != null) {
            return "Pool(processes=" + spawn.processes() + ", start method=spawn, state=" + spawn.state()
                    + ", workers started=" + spawn.started() + ")";
        }
        return "Pool(processes=" + pool.processes() + ", state=" + pool.state() + ", forks=" + pool.forks()
                + ", calls on kept workers=" + pool.reusedCalls() + ")";
    }

    // ------------------------------------------------------------------ helpers

    private static void checkChunksize(int chunksize) {
        if (chunksize < 1) throw new IllegalArgumentException("chunksize must be at least 1, got " + chunksize);
    }

    private static <T> List<T> toList(Iterable<? extends T> items) {
        if (items == null) throw new NullPointerException("items is null");
        if (items instanceof java.util.Collection<? extends T> c) return new ArrayList<>(c); // one array copy
        List<T> list = new ArrayList<>();
        for (T t : items) list.add(t);
        return list;
    }

    @SuppressWarnings("unchecked")
    private static <R> R cast(Object o) {
        return (R) o;
    }

    @SuppressWarnings("unchecked")
    private static <R> List<R> asList(Object[] results) {
        return (List<R>) new ArrayList<>(Arrays.asList(results));
    }

    private static ClassLoader loader(Object fn) {
        return fn.getClass().getClassLoader();
    }

    private static String describe(int i, Object item) {
        return "item " + i + " (" + abbreviate(item) + ")";
    }

    private static String abbreviate(Object o) {
        String s;
        try {
            s = String.valueOf(o);
        } catch (RuntimeException e) {
            s = o.getClass().getName();
        }
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    /** Cell wiring: workers write to the cell that made the call; interrupts; progress bar. */
    private final class CellHost implements ProcessPool.Host {
        @Override
        public ChildOutput output() {
            CellOutput out = CellOutput.current();
            Object cell = out == null ? null : out.cell();
            return (pid, stream, data) -> {
                if (out != null) {
                    out.append(cell, stream == ChildOutput.Stream.STDOUT ? "stdout" : "stderr", data, 0, data.length);
                }
            };
        }

        @Override
        public void poll() {
            Interrupts.check();
        }

        @Override
        public void progress(Job job) {
            if (CellOutput.current() == null || job.total() == 0) return;
            long now = System.nanoTime();
            String id = displayIds.get(job);
            if (job.ready()) {
                if (id != null) {
                    displayIds.remove(job);
                    shown.remove(job);
                    Notebook.updateDisplay(summary(job), id);
                }
                return;
            }
            if (job.elapsedNanos() < PROGRESS_AFTER_NANOS) return;
            long[] last = shown.get(job);
            if (last != null && now - last[0] < PROGRESS_EVERY_NANOS) return;
            if (id == null) {
                synchronized (Pool.class) {
                    id = "jfork-pool-" + ProcessHandle.current().pid() + "-" + (++displays);
                }
                displayIds.put(job, id);
                shown.put(job, new long[]{now});
                Notebook.display(bar(job), id);
            } else {
                last[0] = now;
                Notebook.updateDisplay(bar(job), id);
            }
        }
    }

    static MimeBundle bar(Job job) {
        int done = job.itemsDone();
        int total = job.total();
        double f = total == 0 ? 1 : done / (double) total;
        int cells = (int) Math.round(f * 30);
        String text = String.format(Locale.ROOT, "%s [%s%s] %d/%d items, %.1f s", job.kind(), "#".repeat(cells),
                " ".repeat(30 - cells), done, total, job.elapsedNanos() / 1e9);
        String html = String.format(Locale.ROOT, "<div style=\"font-family:monospace\">%s <progress value=\"%d\" max=\"%d\" "
                + "style=\"width:300px\"></progress> %d/%d items, %.1f s</div>", job.kind(), done, total, done, total,
                job.elapsedNanos() / 1e9);
        return MimeBundle.html(html, text);
    }

    static MimeBundle summary(Job job) {
        String text = String.format(Locale.ROOT, "%s: %d/%d items in %.2f s%s", job.kind(), job.itemsDone(), job.total(),
                job.elapsedNanos() / 1e9, job.error() == null ? "" : ", failed: " + job.error().getMessage());
        return MimeBundle.html("<div style=\"font-family:monospace\">" + escape(text) + "</div>", text);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
