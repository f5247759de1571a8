package jfork.process;

/** Receives what a forked child writes. Called on the output pump's thread, in order per pipe. */
public interface ChildOutput {
    enum Stream { STDOUT, STDERR }

    /** Bytes the child wrote to fd 1 or 2 (also its own forked children's, which inherit them). */
    void onOutput(int pid, Stream stream, byte[] data);

    /** A whole framed record from the child's control pipe (see {@link ControlFrames}). */
    default void onControl(int pid, byte type, byte[] payload) {}

    /** Every pipe of the child reached EOF: nothing more will arrive for this pid. */
    default void onClosed(int pid) {}
}
