package jfork.process;

/** A decoded waitpid status word (the W* macros of Linux, by hand). */
public final class ExitStatus {
    private final int raw;

    private ExitStatus(int raw) { this.raw = raw; }

    public static ExitStatus of(int rawStatus) { return new ExitStatus(rawStatus); }

    public int raw() { return raw; }

    public boolean exited() { return (raw & 0x7f) == 0; }

    public int exitCode() { check(exited(), "exited"); return (raw >> 8) & 0xff; }

    public boolean signaled() { int s = raw & 0x7f; return s != 0 && s != 0x7f; }

    public int termSignal() { check(signaled(), "signaled"); return raw & 0x7f; }

    public boolean coreDumped() { return signaled() && (raw & 0x80) != 0; }

    public boolean stopped() { return (raw & 0xff) == 0x7f; }

    public int stopSignal() { check(stopped(), "stopped"); return (raw >> 8) & 0xff; }

    public boolean continued() { return raw == 0xffff; }

    /** True when the process is gone (exited or killed), false for stop/continue reports. */
    public boolean terminated() { return exited() || signaled(); }

    private void check(boolean ok, String what) {
        if (!ok) throw new IllegalStateException("status is not " + what + ": " + this);
    }

    @Override public String toString() {
        if (exited()) return "exited with code " + exitCode();
        if (signaled()) return "killed by " + Signals.name(termSignal()) + (coreDumped() ? " (core dumped)" : "");
        if (continued()) return "continued";
        if (stopped()) return "stopped by " + Signals.name(stopSignal());
        return "unknown status 0x" + Integer.toHexString(raw);
    }

    @Override public boolean equals(Object o) { return o instanceof ExitStatus e && e.raw == raw; }

    @Override public int hashCode() { return raw; }
}
