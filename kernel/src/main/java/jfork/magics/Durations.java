package jfork.magics;

/** Human-readable durations in the style of IPython's %time: 1.23 s, 4.56 ms, 7.89 us, 12 ns. */
public final class Durations {
    public static String format(double nanos) {
        if (nanos >= 1e9) return String.format("%.3g s", nanos / 1e9);
        if (nanos >= 1e6) return String.format("%.3g ms", nanos / 1e6);
        if (nanos >= 1e3) return String.format("%.3g us", nanos / 1e3);
        return String.format("%.3g ns", nanos);
    }

    private Durations() {
    }
}
