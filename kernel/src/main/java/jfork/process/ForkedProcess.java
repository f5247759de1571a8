package jfork.process;

/** The parent's handle on a child started with {@link Forker#start}. */
public final class ForkedProcess {
    private final Forker forker;
    private final int pid;
    private final String label;

    ForkedProcess(Forker forker, int pid, String label) {
        this.forker = forker;
        this.pid = pid;
        this.label = label;
    }

    public int pid() { return pid; }

    public String label() { return label; }

    public ChildInfo info() { return forker.children().get(pid); }

    /** Blocks until the child ends; its exit or kill status. */
    public ExitStatus waitFor() { return forker.children().waitpid(pid, 0).status(); }

    /** The end status if the child has ended, else null (never blocks). */
    public ExitStatus poll() {
        WaitResult r = forker.children().waitpid(pid, Children.WNOHANG);
        return r.pid() == 0 || !r.status().terminated() ? null : r.status();
    }

    public boolean isAlive() { return poll() == null; }

    public void signal(int signal) { forker.children().signal(pid, signal); }

    /** Waits until the child's pipes are drained and closed (all output delivered). */
    public boolean awaitOutputClosed(long timeoutMillis) { return forker.pump().awaitClosed(pid, timeoutMillis); }

    @Override public String toString() { return "ForkedProcess[" + pid + " " + label + "]"; }
}
