package jfork.execution;

import jfork.display.MimeBundle;

/** Where a cell's output goes (the protocol layer implements it with IOPub messages). */
public interface OutputSink {
    void stream(Object cell, String name, String text);

    void display(Object cell, MimeBundle bundle, String displayId, boolean update);

    void clearOutput(Object cell, boolean wait);
}
