package jfork;

import java.io.PrintStream;

/** Kernel diagnostics go to the real stderr (the kernel's log), never into a cell. */
public final class Log {
    private static final PrintStream REAL_ERR = System.err;

    public static void warn(String message) {
        REAL_ERR.println("[jfork] " + message);
        REAL_ERR.flush();
    }

    private Log() {
    }
}
