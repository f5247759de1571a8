package jfork.magics;

import jfork.display.MimeBundle;

/** What a magic may ask of the kernel; implemented by the execution layer. */
public interface MagicContext {
    /** Compiles and runs Java code as a cell would; returns the value of its last expression or null. */
    Object evalJava(String code) throws Exception;

    /** The registry, for %lsmagic and help. */
    MagicRegistry registry();

    /** Runs work on the kernel's execution thread, the only thread that may fork. */
    <T> T onExecutionThread(java.util.concurrent.Callable<T> work) throws Exception;

    /** Shows a bundle in the cell's output now (display_data). */
    void display(MimeBundle bundle);
}
