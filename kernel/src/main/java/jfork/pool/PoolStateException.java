package jfork.pool;

/** A pool used after close() or terminate(), or join() before close() (Python's ValueError). */
public final class PoolStateException extends IllegalStateException {
    public PoolStateException(String message) {
        super(message);
    }
}
