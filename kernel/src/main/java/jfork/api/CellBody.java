package jfork.api;

/** A piece of cell code compiled in the kernel and run elsewhere (a forked child, a pool worker). */
@FunctionalInterface
public interface CellBody {
    void run() throws Throwable;
}
