package jfork.magics;

import jfork.display.MimeBundle;

/** %time STATEMENT and %%time: run once and report the wall and CPU time. */
public final class TimeMagic implements Magic {
    private final boolean cell;

    public TimeMagic(boolean cell) {
        this.cell = cell;
    }

    public String name() { return "time"; }

    public String summary() { return cell ? "time the whole cell once (wall and CPU)" : "time one Java statement or expression once"; }

    public String usage() {
        return cell ? "%%time\n<java code>\n\nRuns the cell once and prints its wall time and the CPU time of the kernel's execution thread."
                : "%time <java statement or expression>\n\nExample: %time java.util.stream.IntStream.range(0, 1_000_000).sum()\nRuns it once; prints wall and CPU time; shows the value of an expression.";
    }

    public boolean isCellMagic() { return cell; }

    /** No {expression} expansion: its argument is Java code (braces of array initializers, lambdas, blocks). */
    public boolean expandsArguments() { return false; }

    public MimeBundle run(MagicCall call, MagicContext context) throws Exception {
        String code = cell ? call.body() : call.rawArgs();
        if (code.isBlank()) throw new UsageError("nothing to time: give a Java statement or expression");
        var bean = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpu0 = bean.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        Object value = context.evalJava(code);
        long wall = System.nanoTime() - t0;
        long cpu = bean.getCurrentThreadCpuTime() - cpu0;
        System.out.println("CPU time (kernel thread): " + Durations.format(cpu) + ", wall time: " + Durations.format(wall));
        return value == null ? null : MimeBundle.text(String.valueOf(value));
    }
}
