package jfork.process;

/** The live-children cap was reached: turns a fork bomb into an error. */
public class ForkRefusedException extends RuntimeException {
    public ForkRefusedException(int alive, int cap) {
        super("fork refused: " + alive + " children of this kernel are alive (cap " + cap
                + "); wait for some or raise the cap");
    }
}
