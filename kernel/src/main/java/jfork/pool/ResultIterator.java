package jfork.pool;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The results of imap (input order) or imapUnordered (completion order), as they arrive; also
 * Iterable, for a for-each loop. Errors follow CPython's IMapIterator: with chunksize 1, next()
 * raises the failed item's exception and the following calls go on with the remaining items; with a
 * larger chunksize (CPython then iterates over chunks in a generator, which ends when it raises) the
 * failed chunk's exception is raised once and the iteration ends. An interrupted or terminated call
 * raises its error once and ends.
 */
public final class ResultIterator<R> implements Iterator<R>, Iterable<R> {
    private final JobWaiter pool;
    private final Job job;
    private final boolean ordered;
    private final Function<Object, R> convert;
    private int next;
    private int chunkPos;
    private int inChunk;
    private boolean ended;

    ResultIterator(JobWaiter pool, Job job, boolean ordered, Function<Object, R> convert) {
        this.pool = pool;
        this.job = job;
        this.ordered = ordered;
        this.convert = convert;
    }

    @Override
    public boolean hasNext() {
        return !ended && next < job.count;
    }

    @Override
    public R next() {
        try {
            return next(-1);
        } catch (TimeoutException e) {
            throw new IllegalStateException(e); // cannot happen without a timeout
        }
    }

    /** Python's next(timeout): the next result, or TimeoutException if none arrives in time. */
    public R next(long timeout, TimeUnit unit) throws TimeoutException {
        return next(unit.toNanos(timeout));
    }

    private R next(long timeoutNanos) throws TimeoutException {
        if (!hasNext()) throw new NoSuchElementException();
        int chunk;
        if (ordered) {
            chunk = next / job.chunksize;
            int c = chunk;
            await(() -> job.chunkDone[c], timeoutNanos);
        } else {
            await(() -> job.completionOrder.size() > chunkPos, timeoutNanos);
            chunk = job.completionOrder.get(chunkPos);
        }
        RuntimeException e;
        synchronized (job) {
            e = job.chunkDone[chunk] ? job.chunkError[chunk] : job.error;
        }
        if (e != null && (!job.chunkDone[chunk] || job.chunksize > 1)) ended = true;
        int index = ordered ? next : job.from(chunk) + inChunk;
        next++;
        if (!ordered && (++inChunk == job.to(chunk) - job.from(chunk) || e != null)) {
            chunkPos++;
            inChunk = 0;
        }
        if (e != null) {
            e.fillInStackTrace(); // where the cell asked, not the thread that recorded it
            throw e;
        }
        return convert.apply(job.results[index]);
    }

    private void await(java.util.function.BooleanSupplier available, long timeoutNanos) throws TimeoutException {
        if (!pool.awaitChunk(job, available, timeoutNanos)) {
            throw new TimeoutException("no result within the timeout");
        }
    }

    @Override
    public Iterator<R> iterator() {
        return this;
    }
}
