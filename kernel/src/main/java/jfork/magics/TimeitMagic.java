package jfork.magics;

import jfork.display.MimeBundle;

import java.util.Arrays;
import java.util.List;

/**
 * %timeit [-n N] [-r R] STATEMENT: compiles the statement once into a method, then times loops of
 * calls to it, so the figure is the code's own cost and not JShell's compile time.
 */
public final class TimeitMagic implements Magic {
    private static int counter;

    public String name() { return "timeit"; }

    public String summary() { return "time a Java statement or expression over many runs (best of R)"; }

    public String usage() {
        return "%timeit [-n LOOPS] [-r REPEATS] <java statement or expression>\n\n"
                + "Compiles the code once, then runs it LOOPS times per repeat, REPEATS times (default 7),\n"
                + "choosing LOOPS so a repeat takes at least 0.2 s. Reports mean +- std. dev. per loop.\n"
                + "Example: %timeit -n 1000 Math.sqrt(2.0)";
    }

    public boolean isCellMagic() { return false; }

    /** No {expression} expansion: its argument is Java code (braces of array initializers, lambdas, blocks). */
    public boolean expandsArguments() { return false; }

    public MimeBundle run(MagicCall call, MagicContext context) throws Exception {
        List<String> args = call.args();
        int loops = 0;
        int repeats = 7;
        int i = 0;
        String raw = call.rawArgs();
        while (i < args.size() && (args.get(i).equals("-n") || args.get(i).equals("-r"))) {
            if (i + 1 >= args.size()) throw new UsageError(args.get(i) + " needs a number");
            int v;
            try {
                v = Integer.parseInt(args.get(i + 1));
            } catch (NumberFormatException e) {
                throw new UsageError(args.get(i) + " needs a positive whole number, got '" + args.get(i + 1) + "'");
            }
            if (v <= 0) throw new UsageError(args.get(i) + " needs a positive whole number, got " + v);
            if (args.get(i).equals("-n")) loops = v;
            else repeats = v;
            raw = raw.substring(raw.indexOf(args.get(i + 1)) + args.get(i + 1).length()).strip();
            i += 2;
        }
        if (raw.isBlank()) throw new UsageError("nothing to time: give a Java statement or expression");
        String body = raw.endsWith(";") || raw.endsWith("}") ? raw : raw + ";";
        String fn;
        synchronized (TimeitMagic.class) {
            fn = "$timeit" + (++counter);
        }
        // A method returning the elapsed nanos of n runs: compiled once, JIT-able, no per-run JShell cost.
        String expression = body.substring(0, body.length() - 1);
        try {
            // an expression's value is consumed, so the JIT cannot drop the work
            context.evalJava(loopMethod(fn, "java.util.Objects.hashCode(" + expression + ");"));
        } catch (Exception notAnExpression) {
            context.evalJava(loopMethod(fn, body));
        }
        if (loops == 0) {
            loops = 1;
            while (true) {
                long t = (Long) context.evalJava(fn + "(" + loops + "L)");
                if (t >= 200_000_000L || loops >= 1_000_000_000) break;
                loops *= 10;
            }
        }
        double[] perLoop = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            perLoop[r] = (Long) context.evalJava(fn + "(" + loops + "L)") / (double) loops;
        }
        double mean = Arrays.stream(perLoop).average().orElse(0);
        double sd = Math.sqrt(Arrays.stream(perLoop).map(x -> (x - mean) * (x - mean)).sum() / repeats);
        System.out.println(Durations.format(mean) + " +- " + Durations.format(sd) + " per loop (mean +- std. dev. of "
                + repeats + " runs, " + loops + " loop" + (loops == 1 ? "" : "s") + " each)");
        return null;
    }

    private static String loopMethod(String fn, String statement) {
        return "long " + fn + "(long n) throws Throwable { long t0 = System.nanoTime(); "
                + "for (long i = 0; i < n; i++) { " + statement + " } return System.nanoTime() - t0; }";
    }
}
