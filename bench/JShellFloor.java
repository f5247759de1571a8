// The floor for jfork's trivial-cell latency: raw JShell.eval("1+1") in a warm JVM, no kernel,
// no ZeroMQ. Local execution engine (snippets run in this JVM), as the kernel uses.
// Run: java bench/JShellFloor.java [warmup] [evals] [drop]      (single-file source launch)
// drop: each eval is followed by dropping its $N snippet, as the kernel does after each cell (timed too).
// Prints one line: FLOOR warmup=<n> evals=<n> p50_ms=<x> p95_ms=<x> min_ms=<x> max_ms=<x> java=<version>
import java.util.Arrays;
import java.util.List;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;

public class JShellFloor {
    public static void main(String[] args) {
        int warmup = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int evals = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        boolean drop = args.length > 2 && args[2].equals("drop");
        try (JShell js = JShell.builder().executionEngine("local").build()) {
            for (int i = 0; i < warmup; i++) {
                List<SnippetEvent> ev = js.eval("1+1");
                check(ev);
                if (drop) js.drop(ev.get(0).snippet());
            }
            double[] ms = new double[evals];
            for (int i = 0; i < evals; i++) {
                long t0 = System.nanoTime();
                List<SnippetEvent> ev = js.eval("1+1");
                if (drop) js.drop(ev.get(0).snippet());
                ms[i] = (System.nanoTime() - t0) / 1e6;
                check(ev);
            }
            Arrays.sort(ms);
            System.out.printf(java.util.Locale.ROOT,
                    "FLOOR warmup=%d evals=%d p50_ms=%.3f p95_ms=%.3f min_ms=%.3f max_ms=%.3f java=%s%n",
                    warmup, evals, pct(ms, 50), pct(ms, 95), ms[0], ms[ms.length - 1],
                    System.getProperty("java.runtime.version"));
        }
    }

    private static void check(List<SnippetEvent> ev) {
        if (ev.isEmpty() || ev.get(0).status() != Snippet.Status.VALID || !"2".equals(ev.get(0).value())) {
            throw new IllegalStateException("JShell.eval(\"1+1\") did not give 2: " + ev);
        }
    }

    /** Percentile with linear interpolation between closest ranks (same as the Python script). */
    private static double pct(double[] sorted, double p) {
        if (sorted.length == 1) {
            return sorted[0];
        }
        double rank = p / 100.0 * (sorted.length - 1);
        int lo = (int) Math.floor(rank);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}
