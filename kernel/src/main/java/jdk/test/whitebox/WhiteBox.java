package jdk.test.whitebox;

import java.lang.reflect.Executable;

/**
 * The few methods of HotSpot's WhiteBox testing API that the kernel uses (see
 * jfork.process.CompileBeforeFork). HotSpot binds them when this class is defined by the boot
 * loader of a JVM started with -XX:+WhiteBoxAPI; the kernel's build puts it, alone, in
 * kernel/target/jfork-kernel-whitebox.jar for -Xbootclasspath/a. The name is the one HotSpot
 * looks for (JDK 17 to 25).
 */
public final class WhiteBox {
    private static native void registerNatives();

    static {
        registerNatives();
    }

    public static final WhiteBox WB = new WhiteBox();

    private WhiteBox() {
    }

    /** Queues method for compilation at compLevel (entryBci -1: a normal, not an on-stack-replacement, entry). */
    public native boolean enqueueMethodForCompilation0(Executable method, int compLevel, int entryBci);

    public native boolean isMethodCompiled0(Executable method, boolean isOsr);
}
