package jfork.pool;

import jfork.process.ChildOutput;

import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * One call on a pool (a map, imap, starmap or apply): its items in chunks, and what became of each
 * chunk. As in CPython's MapResult, a failed chunk does not end the call: the other chunks still run,
 * the call is ready once every chunk has an outcome, and its error is the first failure that arrived.
 * imap with chunksize 1 reads the outcome of each item, so a failure raises for that item only.
 * Interrupt and terminate end a call at once ({@link #abandon}).
 */
public final class Job {
    private static final AtomicLong COUNTER = new AtomicLong();

    final long id = COUNTER.incrementAndGet();
    final String kind;
    /** Fork pool: the function and items (in the workers' memory when they were forked after the call). */
    final RemoteFn fn;
    final List<?> items;
    final int count;
    final int chunksize;
    final int nchunks;
    int prefetch;
    /** The most chunks a worker may hold at once: an equal share of the call, at most 16 (frames wait in memory). */
    final int fairShare;
    final Object[] results;
    final int[] pidOfChunk;
    final boolean[] chunkDone;
    final RuntimeException[] chunkError;
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
    RuntimeException error;
    volatile boolean finished;
    /** Fork pool: the function's slot in the pool's registry (workers forked before the call know it by slot). */
    int fnSlot = -1;
    /** Fork pool: the chunks encoded for workers forked before the call (each when first sent), or null when the items cannot travel. */
    byte[][] sendable;
    /** Fork pool: the items, as an array, when they can travel. */
    Object[] sendItems;
    /** Someone waits for single chunks (imap): wake it for each. */
    volatile boolean streamed;
    /** Fork pool: some of its chunks ran on workers forked before it. */
    boolean onKeptWorkers;

    Job(String kind, RemoteFn fn, List<?> items, int chunksize, int processes, ChildOutput out,
        IntFunction<String> describe, ClassLoader loader) {
        this.kind = kind;
        this.fn = fn;
        this.items = items;
        this.count = items.size();
        this.chunksize = Math.max(1, chunksize);
        this.nchunks = count == 0 ? 0 : (count + this.chunksize - 1) / this.chunksize;
        // A second chunk waits in each worker's pipe while it runs the first, so that it never idles
        // for the round trip to the kernel between chunks (measured: 0.2-0.5 ms per chunk of a
        // 10,000-item map, 5-24 ms between two long items on a busy 2-CPU machine).
        this.prefetch = nchunks > processes ? 2 : 1;
        this.fairShare = Math.max(prefetch, Math.min(16, (nchunks + processes - 1) / processes));
        this.results = new Object[count];
        this.pidOfChunk = new int[nchunks];
        this.chunkDone = new boolean[nchunks];
        this.chunkError = new RuntimeException[nchunks];
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

    /** The call's error (the first failure to arrive), or null. */
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

    /** The task a worker forked after this call runs: item i through the function. */
    Object run(int i) throws Throwable {
        return fn.call(items.get(i));
    }

    /** True once every chunk has an outcome (the caller then finishes the job). */
    synchronized boolean complete() {
        return chunksDone == nchunks;
    }

    /**
     * Reads a {@link WorkerLoop} record (after its chunk number and times) into the chunk's outcome:
     * results, the function's exception, or an unsendable result. False if the chunk already had one.
     */
    boolean accept(byte type, int chunk, DataInputStream in, int pid) throws IOException {
        if (finished || chunkDone[chunk]) return false;
        if (type == WorkerLoop.RESULT) {
            Object[] values = Codec.readValues(in, loader);
            int n = values.length;
            synchronized (this) {
                System.arraycopy(values, 0, results, from(chunk), n);
                itemsDone += n;
                done(chunk, pid);
            }
        } else if (type == WorkerLoop.FAILED) {
            int item = in.readInt();
            String cls = Codec.readString(in);
            String msg = Codec.readString(in);
            String tb = Codec.readString(in);
            failed(chunk, pid, new TaskFailedException(cls + ("null".equals(msg) ? "" : ": " + msg) + " (in worker "
                    + pid + ", " + kind + " " + describe.apply(item) + ")", pid, item, cls, tb));
        } else if (type == WorkerLoop.UNSENDABLE) {
            int item = in.readInt();
            String cls = Codec.readString(in);
            String detail = Codec.readString(in);
            failed(chunk, pid, new ResultNotSerializableException("the result for " + describe.apply(item)
                    + " is a " + cls + ", which cannot be sent back from worker " + pid
                    + ": it is not Serializable (" + detail + "); return a Serializable value "
                    + "(String, boxed number, record implementing Serializable, ArrayList...)", pid, item, cls, null));
        } else {
            throw new IOException("unknown pool record type " + type);
        }
        return true;
    }

    /** The chunk failed: its items raise e (imap), the call's error is the first such failure (map). */
    synchronized void failed(int chunk, int pid, RuntimeException e) {
        if (finished || chunkDone[chunk]) return;
        chunkError[chunk] = e;
        if (error == null) error = e;
        done(chunk, pid);
    }

    private void done(int chunk, int pid) {
        chunkDone[chunk] = true;
        pidOfChunk[chunk] = pid;
        chunksDone++;
        completionOrder.add(chunk);
    }

    /** Ends the call now with e, whatever its chunks are doing (interrupt, terminate, a call that cannot run). */
    synchronized void abandon(RuntimeException e) {
        if (finished) return;
        if (error == null) error = e;
        pending.clear();
    }

    /** Marks the call ready (under the pool's lock, which then notifies its waiters). */
    void markFinished() {
        if (finished) return;
        ended = System.nanoTime();
        finished = true;
    }
}
