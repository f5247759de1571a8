package jfork.magics;

import jfork.display.MimeBundle;

/** A %line or %%cell magic: its name, a one-line summary, its usage text and what it does. */
public interface Magic {
    String name();

    String summary();

    /** Full help: synopsis, options, example. */
    String usage();

    /** True for %%cell magics (they take the rest of the cell as body). */
    boolean isCellMagic();

    /**
     * Whether {expression} and $name in the arguments are replaced by Java values before {@link #run}
     * (see {@link ArgumentExpansion}); false for magics whose arguments are Java code themselves.
     */
    default boolean expandsArguments() {
        return true;
    }

    /** @return a value to show as the cell's result, or null */
    MimeBundle run(MagicCall call, MagicContext context) throws Exception;
}
