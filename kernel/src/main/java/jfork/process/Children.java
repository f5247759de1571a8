package jfork.process;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The table of our forked children: pid → {@link ChildInfo}.
 * Reaps only pids it knows: waitpid(-1) would steal the statuses of java.lang.Process children.
 */
public final class Children {
    public static final int WNOHANG = 1, WUNTRACED = 2, WCONTINUED = 8;
    static final int ECHILD = 10, EINTR = 4, ESRCH = 3;

    private final ConcurrentHashMap<Integer, ChildInfo> table = new ConcurrentHashMap<>();
    /** The entries of table not yet reaped: every fork reaps and counts these, not every child ever. */
    private final ConcurrentHashMap<Integer, ChildInfo> unreaped = new ConcurrentHashMap<>();
    private volatile Consumer<ChildInfo> onReaped = c -> {};

    ChildInfo add(int pid, int parentPid, String label) {
        ChildInfo info = new ChildInfo(pid, parentPid, label);
        table.put(pid, info); // a reused pid replaces the old, reaped entry
        unreaped.put(pid, info);
        return info;
    }

    void remove(int pid) {
        table.remove(pid);
        unreaped.remove(pid);
    }

    /** Called (on whichever thread reaped) when a child's end is recorded. */
    public void onReaped(Consumer<ChildInfo> listener) { this.onReaped = listener == null ? c -> {} : listener; }

    public ChildInfo get(int pid) { return table.get(pid); }

    /** Snapshot of children not yet reaped (running or stopped). */
    public List<ChildInfo> live() {
        List<ChildInfo> out = new ArrayList<>();
        for (ChildInfo c : unreaped.values()) if (!c.reaped()) out.add(c);
        out.sort((a, b) -> a.started().compareTo(b.started()));
        return out;
    }

    /** Every child ever recorded, reaped ones included. */
    public List<ChildInfo> all() { return new ArrayList<>(table.values()); }

    public int liveCount() {
        int n = 0;
        for (ChildInfo c : unreaped.values()) if (!c.reaped()) n++;
        return n;
    }

    /**
     * Python's os.waitpid for one of our children. Returns (pid, status), or (0, null) with WNOHANG
     * when nothing changed. A child the table already reaped returns its recorded status, never ECHILD.
     * With WUNTRACED stopped children are reported; with WCONTINUED continued ones.
     */
    public WaitResult waitpid(int pid, int options) {
        ChildInfo info = table.get(pid);
        if (info == null) {
            throw new PosixException("waitpid(" + pid + ") [not a child forked by this process]", ECHILD);
        }
        int[] raw = new int[1];
        while (true) {
            synchronized (info) {
                if (info.reaped()) return collected(info);
            }
            // Not under the lock: a blocking wait must not stop the reaper looking at this child.
            int r = Native.posix().waitpid(pid, raw, options);
            if (r > 0) {
                record(info, ExitStatus.of(raw[0]));
                info.markCollected();
                return new WaitResult(pid, ExitStatus.of(raw[0]));
            }
            if (r == 0) return WaitResult.NOTHING_YET;
            int errno = Native.posix().errno();
            if (errno == EINTR) continue;
            if (errno == ECHILD) {
                // The reaper got it first; it records inside the lock, so the lock shows its result.
                synchronized (info) {
                    if (info.reaped()) return collected(info);
                }
            }
            throw new PosixException("waitpid(" + pid + ", " + options + ")", errno);
        }
    }

    private static WaitResult collected(ChildInfo info) {
        info.markCollected();
        return new WaitResult(info.pid(), info.status());
    }

    /**
     * Waits for any of OUR children to end (not stop), like os.wait(): returns a child whose end no
     * waiter has been given yet, also one the background reaper already reaped (as Python's wait()
     * returns a zombie). Polls our pids with WNOHANG (a blocking waitpid(-1) would take
     * java.lang.Process children too). ECHILD when there is none and no child is alive.
     */
    public WaitResult waitAny() {
        long sleep = 50_000;
        while (true) {
            boolean any = false;
            List<ChildInfo> inOrder = all();
            inOrder.sort((a, b) -> a.started().compareTo(b.started()));
            for (ChildInfo c : inOrder) {
                if (!c.reaped()) {
                    any = true;
                    reapIfEnded(c);
                }
                if (c.collect()) return new WaitResult(c.pid(), c.status());
            }
            if (!any) throw new PosixException("wait() [no live children]", ECHILD);
            LockSupport.parkNanos(sleep);
            sleep = Math.min(sleep * 2, 10_000_000);
        }
    }

    /** Reaps every child that has ended, without blocking; keeps zombies from staying. */
    public void reapExited() {
        for (ChildInfo c : unreaped.values()) reapIfEnded(c);
    }

    private void reapIfEnded(ChildInfo c) {
        int[] raw = new int[1];
        synchronized (c) {
            if (c.reaped()) return;
            int r = Native.posix().waitpid(c.pid(), raw, WNOHANG);
            if (r > 0 && !ExitStatus.of(raw[0]).terminated()) return; // cannot happen without WUNTRACED
            if (r > 0) record(c, ExitStatus.of(raw[0]));
        }
    }

    private void record(ChildInfo c, ExitStatus s) {
        if (c.record(s)) {
            unreaped.remove(c.pid(), c);
            try {
                onReaped.accept(c);
            } catch (RuntimeException e) {
                e.printStackTrace();
            }
        }
    }

    /** kill(2) one child; ESRCH etc. become PosixException. */
    public void signal(int pid, int signal) {
        if (Native.posix().kill(pid, signal) < 0) {
            throw PosixException.last("kill(" + pid + ", " + Signals.name(signal) + ")");
        }
    }

    /**
     * Signals each live child's process group (the child and its descendants), waits up to
     * graceMillis for them to end, then SIGKILLs the rest and reaps them all. Returns how many
     * children needed SIGKILL.
     */
    public int killAll(int signal, long graceMillis) {
        List<ChildInfo> targets = live();
        for (ChildInfo c : targets) signalGroup(c.pid(), signal);
        long deadline = System.nanoTime() + graceMillis * 1_000_000L;
        while (System.nanoTime() < deadline && anyAlive(targets)) {
            reapExited();
            LockSupport.parkNanos(2_000_000);
        }
        int escalated = 0;
        for (ChildInfo c : targets) {
            if (c.reaped()) continue;
            escalated++;
            signalGroup(c.pid(), Signals.SIGKILL);
        }
        for (ChildInfo c : targets) {
            if (!c.reaped()) waitpid(c.pid(), 0);
            c.markCollected(); // ended by the kernel: not for a later os.wait_()
        }
        return escalated;
    }

    private static boolean anyAlive(List<ChildInfo> cs) {
        for (ChildInfo c : cs) if (!c.reaped()) return true;
        return false;
    }

    /** The child leads its own group (setpgid in the child); fall back to the pid if it had no time to. */
    private static void signalGroup(int pid, int signal) {
        if (Native.posix().kill(-pid, signal) < 0) Native.posix().kill(pid, signal);
        // A stopped child only acts on a pending SIGTERM once it runs again.
        if (signal != Signals.SIGKILL && signal != Signals.SIGCONT && signal != Signals.SIGSTOP) {
            if (Native.posix().kill(-pid, Signals.SIGCONT) < 0) Native.posix().kill(pid, Signals.SIGCONT);
        }
    }
}
