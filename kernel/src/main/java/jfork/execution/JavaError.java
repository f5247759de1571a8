package jfork.execution;

import java.util.List;

/** A cell's failure as Jupyter shows it: a name, a value and traceback lines. */
public final class JavaError extends Exception {
    public final String ename;
    public final String evalue;
    public final List<String> traceback;

    public JavaError(String ename, String evalue, List<String> traceback) {
        super(ename + ": " + evalue, null, false, false);
        this.ename = ename;
        this.evalue = evalue;
        this.traceback = traceback;
    }

    public static JavaError interrupted() {
        return new JavaError("Interrupted", "the cell was interrupted",
                List.of("Interrupted: the cell was interrupted (KeyboardInterrupt)"));
    }
}
