package jfork.pool;

import java.util.function.BooleanSupplier;

/** What AsyncResult and ResultIterator wait on: a fork pool or a spawn pool. */
abstract class JobWaiter {
    /** Waits until the job is ready; timeoutNanos &lt; 0 waits for ever. False on timeout. */
    public abstract boolean await(Job job, long timeoutNanos);

    /** Waits until available() holds or the job is ready; timeoutNanos &lt; 0 waits for ever. False on timeout. */
    abstract boolean awaitChunk(Job job, BooleanSupplier available, long timeoutNanos);
}
