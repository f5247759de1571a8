package jfork.pool;

/**
 * A task failed in a worker: the function threw, or its result could not be sent back. The cause is
 * a {@link RemoteTraceback} with the worker's stack trace. The pool stays usable.
 */
public class TaskFailedException extends RuntimeException {
    private final int workerPid;
    private final int itemIndex;
    private final String remoteType;

    public TaskFailedException(String message, int workerPid, int itemIndex, String remoteType, String traceback) {
        super(message, traceback == null ? null : new RemoteTraceback(traceback));
        this.workerPid = workerPid;
        this.itemIndex = itemIndex;
        this.remoteType = remoteType;
    }

    /** The pid of the worker process the task ran in. */
    public int workerPid() { return workerPid; }

    /** Index of the failing item in the input (0 for apply). */
    public int itemIndex() { return itemIndex; }

    /** Class name of the exception thrown in the worker, or of the unsendable result. */
    public String remoteType() { return remoteType; }
}
