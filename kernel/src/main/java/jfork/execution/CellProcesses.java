package jfork.execution;

import jfork.process.ChildInfo;
import jfork.process.ChildOutput;
import jfork.process.ExitStatus;
import jfork.process.Forker;
import jfork.process.NativeBacktrace;
import jfork.process.Signals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ties forked children to the cell that forked them: their output goes to that cell, the cell stays
 * busy until they end (bounded), and an interrupt or shutdown ends them.
 */
public final class CellProcesses {
    private static volatile CellProcesses instance;

    private final CellOutput output;
    private final Map<Integer, Object> cellOf = new ConcurrentHashMap<>();
    private final Map<Integer, String> labelOf = new ConcurrentHashMap<>();
    private final Map<Integer, OutputLog> logs = new ConcurrentHashMap<>();
    private volatile long waitMillis = 30_000;
    private volatile Runnable beforeFork = () -> { };
    private int cellNumber;
    private volatile jfork.process.HangWatch hangWatch;

    CellProcesses(CellOutput output) {
        this.output = output;
        instance = this;
    }

    public static CellProcesses get() {
        return instance;
    }

    /** How long a cell waits for its children before it reports them and returns. */
    public void setWaitSeconds(double seconds) {
        if (!(seconds >= 0)) throw new IllegalArgumentException("the wait must be >= 0 seconds, got " + seconds);
        waitMillis = (long) (seconds * 1000);
    }

    public double waitSeconds() {
        return waitMillis / 1000.0;
    }

    /** Runs on the forking thread before every fork of a cell (the interpreter compiles the rest of the cell). */
    void beforeFork(Runnable hook) {
        beforeFork = hook;
    }

    void beginCell(int executionCount) {
        cellNumber = executionCount;
    }

    /** Forks on behalf of the running cell; 0 in the child, the pid in the kernel. */
    public int fork() {
        Object cell = output.cell();
        String label = "cell [" + cellNumber + "]";
        beforeFork.run();
        if (hangWatch == null) hangWatch = jfork.process.HangWatch.forChildren(Forker.get(), this::onHang);
        int pid = Forker.get().fork(label, new ChildOutput() {
            @Override
            public void onOutput(int pid, Stream stream, byte[] data) {
                output.append(cell, stream == Stream.STDOUT ? "stdout" : "stderr", data, 0, data.length);
                logs.computeIfAbsent(pid, p -> new OutputLog()).append(data);
            }

        });
        if (pid > 0) {
            cellOf.put(pid, cell);
            labelOf.put(pid, label);
        }
        return pid;
    }

    /** A child whose every thread waits on a lock nothing can release: kill it and say why. */
    private void onHang(int pid, String where) {
        // Not yet returned by fork(): the Forker kills a child that never starts and forks again.
        if (!labelOf.containsKey(pid)) return;
        Object cell = cellOf.get(pid);
        if (NativeBacktrace.WANTED) jfork.Log.warn("hung child " + pid + " backtrace:\n" + NativeBacktrace.of(pid));
        try {
            Forker.get().children().signal(pid, Signals.SIGKILL);
        } catch (RuntimeException gone) {
            return;
        }
        String text = "child " + pid + " hung (" + where + ") and was killed: a forked JVM keeps only the thread "
                + "that called fork(), so a lock held by another thread, a garbage collection or a JIT/VM-thread "
                + "operation it waits for can never complete. Keep child code to what already ran in the kernel, "
                + "allocate little, or start a fresh process (fork + exec).\n";
        byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        output.append(cell != null ? cell : output.cell(), "stderr", b, 0, b.length);
    }

    /** What a child of this kernel printed (the last {@value OutputLog#CAPACITY} bytes), or null if unknown. */
    public String outputOf(int pid) {
        if (!labelOf.containsKey(pid)) return null;
        OutputLog log = logs.get(pid);
        return log == null ? "" : log.text();
    }

    public String labelOf(int pid) {
        return labelOf.getOrDefault(pid, "");
    }

    /** At cell end: wait for the cell's children and their output; report the ones still running. */
    void endCell(Object cell) {
        long deadline = System.currentTimeMillis() + waitMillis;
        List<Integer> mine = new ArrayList<>();
        cellOf.forEach((pid, c) -> {
            if (c == cell) mine.add(pid);
        });
        List<Integer> stillRunning = new ArrayList<>();
        for (int pid : mine) {
            if (!awaitChild(pid, deadline)) {
                stillRunning.add(pid);
                continue;
            }
            Forker.get().pump().awaitClosed(pid, Math.max(50, deadline - System.currentTimeMillis()));
            ChildInfo info = Forker.get().children().get(pid);
            ExitStatus st = info == null ? null : info.status();
            if (st != null && st.signaled()) {
                System.err.println("child " + pid + " was " + st);
            }
            if (info != null) info.markCollected(); // the cell waited for it: a later os.wait_() does not return it
            cellOf.remove(pid);
        }
        if (!stillRunning.isEmpty()) {
            // what they wrote before the cell ended belongs to the cell, not to a later message
            Forker.get().pump().sync(500);
            System.err.println("note: " + (stillRunning.size() == 1 ? "child " : "children ") + stillRunning
                    + " still running after " + waitSeconds() + " s; their output keeps coming to this cell (%ps lists them)");
        }
    }

    private boolean awaitChild(int pid, long deadline) {
        while (true) {
            ChildInfo info = Forker.get().children().get(pid);
            if (info == null || info.reaped()) return true;
            if (Interrupts.requested()) {
                killCellChildren();
                return true;
            }
            if (System.currentTimeMillis() >= deadline) return false;
            Forker.get().children().reapExited();
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                if (Interrupts.requested()) killCellChildren();
            }
        }
    }

    private static final List<Runnable> INTERRUPT_HOOKS = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Runs on every interrupt, before the cell's children are killed (pools end their workers here). */
    public static void onInterrupt(Runnable hook) {
        INTERRUPT_HOOKS.add(hook);
    }

    /** Interrupt: the running cell's children get SIGTERM, then SIGKILL. */
    void killCellChildren() {
        for (Runnable hook : INTERRUPT_HOOKS) {
            try {
                hook.run();
            } catch (RuntimeException e) {
                jfork.Log.warn("interrupt hook failed: " + e);
            }
        }
        Object cell = output.cell();
        List<Integer> mine = new ArrayList<>();
        cellOf.forEach((pid, c) -> {
            if (c == cell) mine.add(pid);
        });
        for (int pid : mine) {
            ChildInfo info = Forker.get().children().get(pid);
            if (info != null && !info.reaped()) {
                try {
                    Forker.get().children().signal(pid, Signals.SIGKILL);
                } catch (RuntimeException gone) {
                    // already ended
                }
            }
        }
    }

    private static final List<Runnable> SHUTDOWN_HOOKS = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Runs at kernel shutdown and restart (spawn pools kill their worker JVMs here: no shutdown hook runs). */
    public static void onShutdown(Runnable hook) {
        SHUTDOWN_HOOKS.add(hook);
    }

    /** Shutdown and restart: every child of the kernel ends (SIGTERM, then SIGKILL after 100 ms). */
    void killAll() {
        for (Runnable hook : SHUTDOWN_HOOKS) {
            try {
                hook.run();
            } catch (RuntimeException e) {
                jfork.Log.warn("shutdown hook failed: " + e);
            }
        }
        if (hangWatch == null) return; // this kernel never forked: nothing to end, nothing to initialize
        Forker.get().killAll(Signals.SIGTERM, 100);
    }
}
