package jfork.execution;

import jfork.display.MimeBundle;

/** Documentation for the name under the cursor; {@code found} false when there is none. */
public record Inspection(boolean found, MimeBundle bundle) {
    public static final Inspection NOTHING = new Inspection(false, new MimeBundle());
}
