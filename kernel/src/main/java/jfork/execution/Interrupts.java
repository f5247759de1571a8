package jfork.execution;

/**
 * The flag that instrumented snippet code polls at every method entry and loop back-edge, so that
 * even {@code while (true) {}} stops on interrupt, on every JDK (Thread.stop is gone from JDK 20 on).
 */
public final class Interrupts {
    private static volatile boolean requested;

    /** Called from woven snippet bytecode; must stay public, static and argument-free. */
    public static void check() {
        if (requested) throw new CellInterrupted();
    }

    static void request() {
        requested = true;
    }

    static void clear() {
        requested = false;
    }

    static boolean requested() {
        return requested;
    }

    private Interrupts() {
    }
}
