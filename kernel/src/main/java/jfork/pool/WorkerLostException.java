package jfork.pool;

/** A worker ended (killed, crashed or hung and killed) while it still had items to run. */
public final class WorkerLostException extends RuntimeException {
    private final int workerPid;

    public WorkerLostException(String message, int workerPid) {
        super(message);
        this.workerPid = workerPid;
    }

    public int workerPid() { return workerPid; }
}
