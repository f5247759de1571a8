package jfork.magics;

import jfork.display.MimeBundle;
import jfork.execution.CellProcesses;

/** %output PID: what a child printed, even after the cell that forked it has ended. */
public final class OutputMagic implements Magic {
    public String name() { return "output"; }

    public String summary() { return "show what a child of this kernel printed (last 64 KiB)"; }

    public String usage() {
        return "%output PID\n\nShows the stdout and stderr of a child this kernel forked, as far as it has printed:\n"
                + "useful when its cell ended while it kept running. %ps lists the pids.\n"
                + "Example: %output {pid}   (the value of the Java variable pid)";
    }

    public boolean isCellMagic() { return false; }

    public MimeBundle run(MagicCall call, MagicContext context) {
        if (call.args().size() != 1) throw new UsageError("give exactly one pid");
        int pid = Args.positiveInt("PID", call.args().get(0), 1, Integer.MAX_VALUE);
        String text = CellProcesses.get().outputOf(pid);
        if (text == null) throw new UsageError(pid + " is not a child of this kernel (%ps lists them)");
        return MimeBundle.text(text.isEmpty() ? "(child " + pid + " has printed nothing)" : text);
    }
}
