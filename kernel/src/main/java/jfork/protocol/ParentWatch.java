package jfork.protocol;

import jfork.Log;
import jfork.process.ForkGate;

/**
 * Ends the kernel when the process that started it is gone (a Jupyter server killed with SIGKILL,
 * a crashed client): nobody could reach the kernel any more, and it would live on with its
 * children and ~300 MB. Like ipykernel (its ParentPollerUnix), only when the launcher asked for it:
 * jupyter_client sets JPY_PARENT_PID unless it starts the kernel as independent. The parent is the
 * process that launched the JVM; once it dies the kernel is re-parented and {@code getppid()} changes.
 */
final class ParentWatch {
    static final long PERIOD_MILLIS = 1000;

    static void start(Kernel kernel) {
        if (System.getenv("JPY_PARENT_PID") == null) return; // an independent kernel: nobody to outlive
        long parent = parentPid();
        if (parent <= 1) return; // started by init itself: there is no launcher to outlive
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(PERIOD_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
                long now;
                ForkGate.enter(); // a background thread's Java work stays out of the instant of a fork
                try {
                    now = parentPid();
                } finally {
                    ForkGate.leave();
                }
                if (now != parent) {
                    Log.warn("the process that started this kernel (pid " + parent + ") is gone: shutting down");
                    kernel.shutdownNow(0);
                    return;
                }
            }
        }, "jfork-parent-watch");
        t.setDaemon(true);
        t.start();
    }

    private static long parentPid() {
        return ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(1L);
    }

    private ParentWatch() {
    }
}
