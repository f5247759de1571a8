package jfork.process;

import jnr.ffi.LibraryLoader;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/** The shared native handles. Fails loudly when jnr-posix would fall back to its Java emulation. */
public final class Native {
    private static final POSIX POSIX_INSTANCE;
    private static final LibC LIBC_INSTANCE;

    static {
        POSIX p = POSIXFactory.getNativePOSIX();
        // The pure-Java fallback's fork() returns -1 and waitpid is a stub: nothing here would work.
        if (p == null || !p.isNative()) {
            throw new IllegalStateException("jfork.process needs native POSIX, but jnr-posix loaded "
                    + (p == null ? "nothing" : p.getClass().getName())
                    + " on " + System.getProperty("os.name") + "/" + System.getProperty("os.arch"));
        }
        POSIX_INSTANCE = p;
        LIBC_INSTANCE = LibraryLoader.create(LibC.class).load("c");
    }

    private Native() {}

    public static POSIX posix() { return POSIX_INSTANCE; }

    public static LibC libc() { return LIBC_INSTANCE; }
}
