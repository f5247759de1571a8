package jfork.process;

import java.util.Arrays;
import java.util.Objects;

/**
 * What upper layers run in the kernel before each of its forks. Kept apart from {@link Forker}
 * so that registering a hook does not load the native library (the kernel registers it while
 * starting). Hooks for the child stay in Forker: the child must reach them through code the
 * parent has already run.
 */
public final class ForkHooks {
    private static volatile Runnable[] beforeFork = new Runnable[0];

    /** Runs in the kernel, on the forking thread, before each of its forks, in registration order. */
    public static synchronized void beforeFork(Runnable hook) {
        beforeFork = append(beforeFork, hook);
    }

    static void runBeforeFork() {
        for (Runnable hook : beforeFork) hook.run();
    }

    private static Runnable[] append(Runnable[] hooks, Runnable hook) {
        Objects.requireNonNull(hook, "hook");
        Runnable[] h = Arrays.copyOf(hooks, hooks.length + 1);
        h[h.length - 1] = hook;
        return h;
    }

    private ForkHooks() {
    }
}
