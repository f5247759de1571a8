package jfork.execution;

/** Thrown inside snippet code at a loop back-edge once the user interrupts the cell. */
public final class CellInterrupted extends Error {
    public CellInterrupted() {
        super("cell interrupted", null, false, false);
    }
}
