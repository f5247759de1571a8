package jfork.execution;

import jfork.process.Forker;

import java.util.List;

/**
 * In a forked child, after the snippet that forked returns: run the rest of the cell, then end the
 * child through _exit. Python's child runs the rest of the cell too; it must never come back to the
 * kernel loop, which the child does not have anyway (only the forking thread is copied).
 * If the snippet that forked threw in the child (e.g. a throw later in the loop that called fork),
 * that is the child's error: it is reported and the rest of the cell does not run, as in Python.
 */
final class ChildCell {
    static void finish(JavaRunner runner, Throwable forkingSnippetFailure) {
        int code = 0;
        try {
            if (forkingSnippetFailure != null) throw JavaRunner.snippetFailure(forkingSnippetFailure);
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
