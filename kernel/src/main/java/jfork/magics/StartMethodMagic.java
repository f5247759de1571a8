package jfork.magics;

import jfork.api.Pool;
import jfork.display.MimeBundle;

import java.util.List;

/** %pool --start-method [fork|spawn]: the kernel's default start method for new Pool() (Python's set_start_method). */
public final class StartMethodMagic implements Magic {
    public String name() { return "pool"; }

    public String summary() { return "show or set the start method new Pool() uses in this kernel (--start-method fork|spawn)"; }

    public String usage() {
        return "%pool --start-method [fork|spawn]\n\n"
                + "Sets the start method that new Pool(), new Pool(n) and %%pool use from now on in this kernel, like\n"
                + "Python's multiprocessing.set_start_method; new Pool(n, \"fork\") and new Pool(n, \"spawn\") always use\n"
                + "the one they name. Without a value it shows the current one (fork when the kernel starts).\n"
                + "  fork   workers are forked copies of the kernel: any lambda over any state, items need not be\n"
                + "         Serializable, no JVM start-up. But a forked JVM has no other thread: it cannot collect\n"
                + "         garbage (a worker can allocate about what was free in the kernel's young generation),\n"
                + "         never JIT-compiles (run CPU-bound code once in the kernel first), and waits for ever on a\n"
                + "         lock another kernel thread held (the kernel detects it and says so).\n"
                + "  spawn  workers are fresh JVMs kept until the pool is closed: garbage collection, JIT, no\n"
                + "         inherited lock. The function, the cell variables it reads, the items and the results\n"
                + "         travel by Java serialization, so they must be Serializable; workers see the values of\n"
                + "         the call's moment and their writes to cell variables stay in the worker.\n"
                + "Example:\n%pool --start-method spawn";
    }

    public boolean isCellMagic() { return false; }

    public MimeBundle run(MagicCall call, MagicContext context) {
        List<String> args = call.args();
        if (args.isEmpty()) return show();
        if (!args.get(0).equals("--start-method")) throw new UsageError("unknown option " + args.get(0));
        if (args.size() > 2) throw new UsageError("--start-method takes one value, got " + args.subList(1, args.size()));
        if (args.size() == 1) return show();
        String method = args.get(1);
        if (method.equals("forkserver")) {
            throw new UsageError("start method 'forkserver' is not available in jfork: use fork or spawn");
        }
        if (!method.equals("fork") && !method.equals("spawn")) {
            throw new UsageError("--start-method must be fork or spawn, got '" + method + "'");
        }
        Pool.setDefaultStartMethod(method);
        return show();
    }

    private static MimeBundle show() {
        return MimeBundle.text("start method: " + Pool.getDefaultStartMethod() + " (used by new Pool(), new Pool(n) and %%pool)");
    }
}
