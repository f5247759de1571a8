package jfork.api;

/** Python's AsyncResult, pre-declared for cells: get(), get(timeout, unit), ready(), successful(), await(). */
public final class AsyncResult<R> extends jfork.pool.AsyncResult<R> {
    AsyncResult(jfork.pool.AsyncResult<R> r) {
        super(r);
    }
}
