package jfork.pool;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * The results of imap (input order) or imapUnordered (completion order), as they arrive. Also
 * Iterable, so it works in a for-each loop. A failed job throws its error when the iteration
 * reaches an item that is not available.
 */
public final class ResultIterator<R> implements Iterator<R>, Iterable<R> {
    private final JobWaiter pool;
    private final ProcessPool.Job job;
    private final boolean ordered;
    private final Function<Object, R> convert;
    private int next;
    private int chunkPos;
    private int inChunk;

    ResultIterator(JobWaiter pool, ProcessPool.Job job, boolean ordered, Function<Object, R> convert) {
        this.pool = pool;
        this.job = job;
        this.ordered = ordered;
        this.convert = convert;
    }

    @Override
    public boolean hasNext() {
        return next < job.count;
    }

    @Override
    public R next() {
        if (!hasNext()) throw new NoSuchElementException();
        int index;
        if (ordered) {
            int chunk = next / job.chunksize;
            pool.awaitChunk(job, () -> job.chunkDone[chunk]);
            index = next;
        } else {
            pool.awaitChunk(job, () -> job.completionOrder.size() > chunkPos);
            int chunk = job.completionOrder.get(chunkPos);
            index = job.from(chunk) + inChunk;
            if (++inChunk == job.to(chunk) - job.from(chunk)) {
                chunkPos++;
                inChunk = 0;
            }
        }
        next++;
        return convert.apply(job.results[index]);
    }

    @Override
    public Iterator<R> iterator() {
        return this;
    }
}
