package jfork.execution;

import jfork.process.Forker;

import java.util.List;

/**
 * In a forked child, after the snippet that forked returns: run the rest of the cell, then end the
 * child through _exit. Python's child runs the rest of the cell too; it must never come back to the
 * kernel loop, which the child does not have anyway (only the forking thread is copied).
 */
final class ChildCell {
    static void finish(JavaRunner runner) {
        int code = 0;
        try {
            List<Snippets.Piece> rest = runner.remaining();
            runner.runPieces(rest);
        } catch (JavaError e) {
            System.err.println("[child " + jfork.process.Native.libc().getpid() + "] " + String.join("\n", e.traceback));
            code = 1;
        } catch (Throwable t) {
            System.err.println("[child " + jfork.process.Native.libc().getpid() + "] " + t);
            code = 1;
        }
        Forker.exitChild(code);
    }

    private ChildCell() {
    }
}
