package jfork.execution;

/** The language side of the kernel: one method per request kind; knows nothing of sockets or headers. */
public interface Interpreter {
    ExecuteOutcome execute(ExecuteRequest request);

    Completion complete(String code, int cursor);

    Inspection inspect(String code, int cursor, int detailLevel);

    Completeness isComplete(String code);

    /** Stops the running cell, if any. Called from another thread (control channel or SIGINT). */
    void interrupt();

    /** Ends every child process and releases resources; the kernel exits right after. */
    void shutdown();
}
