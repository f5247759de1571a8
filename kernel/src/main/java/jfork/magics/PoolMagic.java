package jfork.magics;

import jfork.api.AsyncResult;
import jfork.api.Pool;
import jfork.display.MimeBundle;
import jfork.process.Forker;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * %%pool -n N --items EXPR [--as NAME] [--chunksize C] [--timeline]: the body, an expression (or
 * statements with return) of NAME, runs over the items in a Pool of the kernel's start method; shows
 * item, result and worker pid.
 */
public final class PoolMagic implements Magic {
    private static final int MAX_ROWS = 50;
    private static final Pattern NAME = Pattern.compile("[A-Za-z_$][A-Za-z_$0-9]*");
    private static int counter;

    public String name() { return "pool"; }

    public String summary() { return "map the cell body over items in a Pool (-n N, --items EXPR, --as NAME)"; }

    public String usage() {
        return "%%pool --items EXPR [-n N] [--as NAME] [--chunksize C] [--timeline]\n<expression of NAME>\n\n"
                + "Runs the body once per item in a Pool of N workers (default: one per CPU), started by the kernel's\n"
                + "start method (fork unless %pool --start-method spawn said otherwise), and shows a\n"
                + "table: item, result, worker pid. EXPR is any Java expression giving an Iterable, an array or a\n"
                + "Stream (quote it when it has blanks); NAME (default x) is how the body sees the current item.\n"
                + "The body is one expression, or statements that end with 'return ...;'. It may use the kernel's\n"
                + "variables (fork: each worker has a copy of memory; spawn: the values it reads are sent).\n"
                + "--chunksize sets items per task (default\n"
                + "len / (4 N)); --timeline also draws which worker ran which chunk when.\n"
                + "A map longer than a second shows a live progress bar.\n"
                + "Speed (fork): a forked JVM never JIT-compiles. The kernel compiles the body, and the cell\n"
                + "methods it calls, before it forks the workers; other code the kernel never ran is interpreted\n"
                + "in a worker (~10x slower): run it once in the kernel first, or use spawn.\n"
                + "Each run forks N workers (5-60 ms each); spawn starts N JVMs (~0.2-0.4 s).\n"
                + "Example:\n%%pool -n 2 --items 'List.of(1, 2, 3, 4)' --as n\nn * n";
    }

    public boolean isCellMagic() { return true; }

    /** No {expression} expansion: --items takes Java code (braces of array initializers, lambdas, blocks). */
    public boolean expandsArguments() { return false; }

    /** The compiled body with its items; built by generated cell code through {@link #prepare}. */
    public record Prepared(List<Object> items, Pool.Fn<Object, Object> fn) {
    }

    @SuppressWarnings("unchecked")
    public static <T> Prepared prepare(Iterable<? extends T> items, Pool.Fn<? super T, ?> fn) {
        List<Object> list = new ArrayList<>();
        for (T t : items) list.add(t);
        return new Prepared(list, (Pool.Fn<Object, Object>) (Pool.Fn<?, ?>) fn);
    }

    public static <T> Prepared prepare(T[] items, Pool.Fn<? super T, ?> fn) {
        return prepare(Arrays.asList(items), fn);
    }

    public static <T> Prepared prepare(Stream<? extends T> items, Pool.Fn<? super T, ?> fn) {
        return prepare(items.toList(), fn);
    }

    public MimeBundle run(MagicCall call, MagicContext context) throws Exception {
        int n = Runtime.getRuntime().availableProcessors();
        String items = null;
        String as = "x";
        int chunksize = 0;
        boolean timeline = false;
        List<String> args = call.args();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "-n" -> n = Args.positiveInt(a, Args.value(args, ++i, a), 1, Forker.get().maxChildren());
                case "--items" -> items = Args.value(args, ++i, a);
                case "--as" -> as = Args.value(args, ++i, a);
                case "--chunksize" -> chunksize = Args.positiveInt(a, Args.value(args, ++i, a), 1, Integer.MAX_VALUE);
                case "--timeline" -> timeline = true;
                default -> throw new UsageError("unknown option " + a);
            }
        }
        if (items == null || items.isBlank()) throw new UsageError("--items EXPR is required (e.g. --items 'List.of(1, 2, 3)')");
        if (!NAME.matcher(as).matches()) throw new UsageError("--as needs a Java identifier, got '" + as + "'");
        String body = call.body().strip();
        if (body.isEmpty()) throw new UsageError("the cell has no body: write an expression of " + as);
        boolean block = body.contains("return ") || body.contains("return;") || body.endsWith(";") || body.endsWith("}");
        String lambda = block ? as + " -> {\n" + body + "\n}" : as + " -> (\n" + body + "\n)";
        String var;
        synchronized (PoolMagic.class) {
            var = "$poolBody" + (++counter);
        }
        context.evalJava("jfork.magics.PoolMagic.Prepared " + var + " = jfork.magics.PoolMagic.prepare(" + items + ", "
                + lambda + ");");
        Prepared p = (Prepared) context.evalJava(var);
        int workers = n;
        int cs = chunksize;
        boolean draw = timeline;
        return context.onExecutionThread(() -> {
            try (Pool pool = new Pool(workers)) {
                AsyncResult<List<Object>> r = cs > 0 ? pool.mapAsync(p.fn(), p.items(), cs) : pool.mapAsync(p.fn(), p.items());
                List<Object> results = r.get();
                if (draw) context.display(pool.timeline());
                return table(p.items(), results, r.job());
            }
        });
    }

    static MimeBundle table(List<Object> items, List<Object> results, jfork.pool.Job job) {
        StringBuilder text = new StringBuilder();
        StringBuilder html = new StringBuilder("<table><thead><tr><th>#</th><th>item</th><th>result</th><th>worker pid</th>"
                + "</tr></thead><tbody>");
        int rows = Math.min(MAX_ROWS, items.size());
        for (int i = 0; i < rows; i++) {
            String item = String.valueOf(items.get(i));
            String result = String.valueOf(results.get(i));
            int pid = job.workerOf(i);
            text.append(i).append(": ").append(item).append(" -> ").append(result).append("  [worker ").append(pid)
                    .append("]\n");
            html.append("<tr><td>").append(i).append("</td><td>").append(esc(item)).append("</td><td>").append(esc(result))
                    .append("</td><td>").append(pid).append("</td></tr>");
        }
        String more = items.size() > rows ? "... " + (items.size() - rows) + " more items\n" : "";
        String summary = items.size() + " items in " + String.format(java.util.Locale.ROOT, "%.3f s", job.elapsedNanos() / 1e9);
        text.append(more).append(summary);
        html.append("</tbody></table>");
        if (!more.isEmpty()) html.append("<div>").append(esc(more.strip())).append("</div>");
        html.append("<div>").append(esc(summary)).append("</div>");
        return MimeBundle.html(html.toString(), text.toString());
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
