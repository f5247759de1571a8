package jfork.process;

import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;

/** Diagnostics for kernel developers: where in the JVM a stuck child waits (needs gdb on PATH). */
public final class NativeBacktrace {
    /** True when the environment asks for backtraces of stuck children (JFORK_HANG_BACKTRACE). */
    public static final boolean WANTED = System.getenv("JFORK_HANG_BACKTRACE") != null;

    private NativeBacktrace() {}

    /** The frames of pid's thread(s) as gdb prints them, or why there are none. */
    public static String of(int pid) {
        try {
            Process gdb = new ProcessBuilder("gdb", "-p", Integer.toString(pid), "-batch", "-ex", "bt 30")
                    .redirectErrorStream(true).start();
            String out = new String(gdb.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            gdb.waitFor();
            return out.lines().filter(l -> l.startsWith("#")).collect(Collectors.joining("\n"));
        } catch (Exception e) {
            return "no backtrace: " + e;
        }
    }
}
