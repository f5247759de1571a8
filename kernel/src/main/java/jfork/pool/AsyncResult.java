package jfork.pool;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/** The result of applyAsync/mapAsync (Python's AsyncResult): get, ready, successful, await. */
public class AsyncResult<R> {
    private final JobWaiter pool;
    private final Job job;
    private final Function<Object[], R> convert;

    protected AsyncResult(AsyncResult<R> other) {
        this(other.pool, other.job, other.convert);
    }

    AsyncResult(JobWaiter pool, Job job, Function<Object[], R> convert) {
        this.pool = pool;
        this.job = job;
        this.convert = convert;
    }

    /** Waits for the result; rethrows the worker's failure (a TaskFailedException with its stack trace). */
    public R get() {
        pool.await(job, -1);
        return value();
    }

    public R get(long timeout, TimeUnit unit) throws TimeoutException {
        if (!pool.await(job, unit.toNanos(timeout))) {
            throw new TimeoutException("no result within " + timeout + " " + unit.toString().toLowerCase());
        }
        return value();
    }

    public boolean ready() {
        return job.ready();
    }

    /** Whether the call completed without an error; like Python, refused before it is ready. */
    public boolean successful() {
        if (!job.ready()) throw new IllegalStateException("result is not ready");
        return job.error() == null;
    }

    /** Waits until ready (Python's wait(); named await because Object.wait is final). */
    public void await() {
        pool.await(job, -1);
    }

    public boolean await(long timeout, TimeUnit unit) {
        return pool.await(job, unit.toNanos(timeout));
    }

    /** The job behind this result (progress, worker pids). */
    public Job job() {
        return job;
    }

    private R value() {
        RuntimeException e = job.error();
        if (e != null) {
            e.fillInStackTrace(); // show where the cell asked, not the pump thread that recorded it
            throw e;
        }
        return convert.apply(job.results);
    }

    static <R> AsyncResult<R> of(JobWaiter pool, Job job, Function<Object[], R> convert) {
        return new AsyncResult<>(pool, job, convert);
    }
}
