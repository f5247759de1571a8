package jfork.process;

import java.time.Instant;

/** What the table knows about one forked child. State changes are guarded by this object's monitor. */
public final class ChildInfo {
    public enum State { RUNNING, STOPPED, REAPED }

    private final int pid;
    private final int parentPid;
    private final String label;
    private final Instant started;
    private State state = State.RUNNING;
    private ExitStatus lastStatus;
    // Its end was handed to someone waiting for it. The background reaper reaps without handing it
    // over, so that os.wait_() can still return a child that ended before the call.
    private boolean collected;

    ChildInfo(int pid, int parentPid, String label) {
        this.pid = pid;
        this.parentPid = parentPid;
        this.label = label;
        this.started = Instant.now();
    }

    public int pid() { return pid; }

    public int parentPid() { return parentPid; }

    /** Free text chosen by the caller at fork time (the upper layer puts a cell id here). */
    public String label() { return label; }

    public Instant started() { return started; }

    public synchronized State state() { return state; }

    /** The last status waitpid reported (exit, kill, stop or continue); null if none yet. */
    public synchronized ExitStatus status() { return lastStatus; }

    public synchronized boolean reaped() { return state == State.REAPED; }

    /** Returns true when this status ended the child. */
    synchronized boolean record(ExitStatus s) {
        lastStatus = s;
        if (s.terminated()) state = State.REAPED;
        else if (s.stopped()) state = State.STOPPED;
        else if (s.continued()) state = State.RUNNING;
        return state == State.REAPED;
    }

    /** A waiter (waitpid, the kernel at the end of the child's cell) has been given this child's end. */
    public synchronized void markCollected() {
        if (state == State.REAPED) collected = true;
    }

    /** True exactly once: for an ended child whose end no waiter has been given yet, which it now is. */
    synchronized boolean collect() {
        if (state != State.REAPED || collected) return false;
        collected = true;
        return true;
    }

    @Override public synchronized String toString() {
        return "child " + pid + " [" + label + "] " + (lastStatus == null ? state.name().toLowerCase() : lastStatus.toString());
    }
}
