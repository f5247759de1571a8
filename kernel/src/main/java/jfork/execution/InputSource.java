package jfork.execution;

/** Reads a line typed by the user in the frontend (the stdin channel). */
public interface InputSource {
    /** @throws IllegalStateException when the frontend does not accept input for this cell */
    String readLine(Object cell, String prompt, boolean password);
}
