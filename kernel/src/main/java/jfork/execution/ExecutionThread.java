package jfork.execution;

import java.util.concurrent.Callable;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The one long-lived thread that runs user code. Fork must happen on a thread that outlives the
 * cell (PR_SET_PDEATHSIG fires when the forking thread exits), so every snippet runs here.
 */
final class ExecutionThread {
    private final SynchronousQueue<Runnable> tasks = new SynchronousQueue<>();
    private final Thread thread;
    private volatile java.util.function.Consumer<Throwable> afterEachTask = failure -> { };
    /** What the task running now threw (only this thread reads or writes it). */
    private Throwable taskFailure;
    private volatile Runnable beforeNextTask;

    ExecutionThread() {
        thread = new Thread(this::loop, "jfork-exec");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Runs after every task on this thread with what the task threw (null if nothing); a forked child
     * uses it to finish its cell and exit. In a child the task's caller does not exist (only this thread
     * is copied by fork), so this is the only place that can still see the task's exception.
     */
    void afterEachTask(java.util.function.Consumer<Throwable> hook) {
        this.afterEachTask = hook;
    }

    /**
     * Runs {@code work} on this thread right before its next task, without waiting for it (a later
     * call replaces one not yet run): cheaper than {@link #call} for state the next task needs,
     * a thread hand-off each way saved.
     */
    void beforeNextTask(Runnable work) {
        beforeNextTask = work;
    }

    boolean isCurrent() {
        return Thread.currentThread() == thread;
    }

    void interrupt() {
        thread.interrupt();
    }

    /** Runs {@code work} on the execution thread and waits for it; inline when already there. */
    <T> T call(Callable<T> work) throws Exception {
        if (isCurrent()) return work.call();
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Object done = new Object();
        boolean[] finished = {false};
        tasks.put(() -> {
            try {
                result.set(work.call());
            } catch (Throwable t) {
                failure.set(t);
                taskFailure = t;
            }
            synchronized (done) {
                finished[0] = true;
                done.notifyAll();
            }
        });
        synchronized (done) {
            while (!finished[0]) done.wait();
        }
        Throwable t = failure.get();
        if (t instanceof Exception e) throw e;
        if (t instanceof Error e) throw e;
        return result.get();
    }

    private void loop() {
        while (true) {
            Runnable task;
            try {
                task = tasks.take();
            } catch (InterruptedException stale) {
                continue; // an interrupt that arrived after the cell ended
            }
            taskFailure = null;
            Runnable first = beforeNextTask;
            if (first != null) {
                beforeNextTask = null;
                first.run();
            }
            task.run();
            Thread.interrupted();
            afterEachTask.accept(taskFailure);
        }
    }
}
