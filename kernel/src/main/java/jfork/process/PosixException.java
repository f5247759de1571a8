package jfork.process;

import jnr.constants.platform.Errno;

/** A failed system call: names the call, its argument, errno and errno's symbol. */
public class PosixException extends RuntimeException {
    private final int errno;
    private final String errnoName;

    public PosixException(String call, int errno) {
        super(call + ": " + describe(errno));
        this.errno = errno;
        this.errnoName = symbol(errno);
    }

    /** Reads errno of the last native call on this thread. */
    public static PosixException last(String call) {
        return new PosixException(call, Native.posix().errno());
    }

    public int errno() { return errno; }

    /** "ESRCH", "EPERM", ... or "errno 123" if unknown. */
    public String errnoName() { return errnoName; }

    static String symbol(int errno) {
        Errno e = Errno.valueOf(errno);
        return e == null || e == Errno.__UNKNOWN_CONSTANT__ ? "errno " + errno : e.name();
    }

    static String describe(int errno) {
        Errno e = Errno.valueOf(errno);
        if (e == null || e == Errno.__UNKNOWN_CONSTANT__) return "errno " + errno;
        String d = e.description();
        if (d == null || d.isEmpty()) return e.name();
        return e.name() + ", " + Character.toLowerCase(d.charAt(0)) + d.substring(1);
    }
}
