package jfork.magics;

import jfork.display.MimeBundle;
import jfork.execution.CellProcesses;
import jfork.process.Forker;

import java.util.List;

/** %fork_config: how long cells wait for their children, the cap on live children, the start deadline. */
public final class ForkConfigMagic implements Magic {
    public String name() { return "fork_config"; }

    public String summary() { return "show or set the child wait, the cap on live children and the start deadline"; }

    public String usage() {
        return "%fork_config [--wait SECONDS] [--max-children N] [--start-timeout MS]\n\n"
                + "--wait           how long a cell stays busy waiting for the children it forked (default 30)\n"
                + "--max-children   live children allowed at once; a fork beyond it fails (default 64)\n"
                + "--start-timeout  how long a new child may take to confirm it started before it is\n"
                + "                 killed and forked again (default 1000 ms)\n"
                + "Without options it shows the current values, how many forks were retried because a\n"
                + "child did not start in time or found one of HotSpot's locks held at the fork, and why\n"
                + "the latest (up to 8) were retried; the kernel's log has every retry.";
    }

    public boolean isCellMagic() { return false; }

    public MimeBundle run(MagicCall call, MagicContext context) {
        List<String> args = call.args();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--wait" -> {
                    String v = Args.value(args, ++i, a);
                    double s = v.equals("0") ? 0 : Args.positiveDouble(a, v);
                    CellProcesses.get().setWaitSeconds(s);
                }
                case "--max-children" -> Forker.get().setMaxChildren(Args.positiveInt(a, Args.value(args, ++i, a), 1, 4096));
                case "--start-timeout" -> Forker.get().setStartTimeoutMillis(Args.positiveInt(a, Args.value(args, ++i, a), 10, 60_000));
                default -> throw new UsageError("unknown option " + a);
            }
        }
        return MimeBundle.text("wait " + CellProcesses.get().waitSeconds() + " s, max children "
                + Forker.get().maxChildren() + ", start timeout " + Forker.get().startTimeoutMillis() + " ms"
                + " (forks retried since the kernel started: " + Forker.get().retries() + ")"
                + String.join("", Forker.get().recentRetries().stream().map(r -> "\nretry: " + r).toList()));
    }
}
