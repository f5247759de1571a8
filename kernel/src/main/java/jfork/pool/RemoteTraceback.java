package jfork.pool;

/** The stack trace of an exception thrown in a pool worker, as text (Python's RemoteTraceback). */
public final class RemoteTraceback extends RuntimeException {
    public RemoteTraceback(String traceback) {
        super("\n\"\"\"\n" + traceback.stripTrailing() + "\n\"\"\"", null, false, false);
    }
}
