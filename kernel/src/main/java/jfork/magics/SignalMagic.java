package jfork.magics;

import jfork.display.MimeBundle;
import jfork.execution.KernelSignals;
import jfork.process.Signals;

/** %signal: the kernel's signal dispositions; %signal SIG --trace / --default / --ignore changes one. */
public final class SignalMagic implements Magic {
    public String name() { return "signal"; }

    public String summary() { return "the kernel's signal dispositions; --trace / --default / --ignore one signal"; }

    public String usage() {
        return "%signal\n%signal SIGNAL --trace | --default | --ignore\n\n"
                + "Without arguments: a table of signals 1-31 with what the kernel does on each (default action,\n"
                + "ignored, a cell's handler, reserved by the JVM) and how many arrived since the kernel started.\n"
                + "--trace installs a handler that prints each arrival in the running cell (or the next one when idle);\n"
                + "--default restores the default; --ignore ignores the signal.\n"
                + "Examples:\n  %signal\n  %signal SIGUSR1 --trace\n  %signal USR1 --default";
    }

    public boolean isCellMagic() { return false; }

    public MimeBundle run(MagicCall call, MagicContext context) {
        var args = call.args();
        if (args.isEmpty()) return table();
        if (args.size() != 2) throw new UsageError("give a signal and one of --trace, --default, --ignore");
        String signal = args.get(0).startsWith("--") ? args.get(1) : args.get(0);
        String option = args.get(0).startsWith("--") ? args.get(0) : args.get(1);
        int sig;
        try {
            sig = Signals.parse(signal);
        } catch (IllegalArgumentException e) {
            throw new UsageError(e.getMessage());
        }
        switch (option) {
            case "--trace" -> KernelSignals.trace(sig);
            case "--default" -> KernelSignals.restoreDefault(sig);
            case "--ignore" -> KernelSignals.ignore(sig);
            default -> throw new UsageError("unknown option " + option + " (use --trace, --default or --ignore)");
        }
        System.out.println(Signals.name(sig) + ": " + KernelSignals.describe(sig));
        return null;
    }

    private static MimeBundle table() {
        StringBuilder text = new StringBuilder(String.format("%-10s %3s  %-10s %8s  %s%n", "SIGNAL", "NO", "DEFAULT", "RECEIVED",
                "IN THIS KERNEL (pid " + KernelSignals.kernelPid() + ")"));
        StringBuilder html = new StringBuilder("<table><tr><th>signal</th><th>no</th><th>default action</th>"
                + "<th>received</th><th>in this kernel</th></tr>");
        for (int sig = 1; sig <= 31; sig++) {
            String name = Signals.name(sig);
            String action = KernelSignals.defaultAction(sig);
            long received = KernelSignals.received(sig);
            String now = KernelSignals.describe(sig);
            text.append(String.format("%-10s %3d  %-10s %8d  %s%n", name, sig, action, received, now));
            html.append("<tr><td>").append(name).append("</td><td>").append(sig).append("</td><td>").append(action)
                    .append("</td><td>").append(received).append("</td><td>").append(LsMagic.escape(now)).append("</td></tr>");
        }
        String note = "RECEIVED counts the arrivals the kernel's dispatcher saw (SIGINT, and signals with a handler, a trace or "
                + "a kept SIG_IGN), not sends: signals of one kind sent while one is still pending are merged into one.";
        text.append(note);
        html.append("</table><p>").append(LsMagic.escape(note)).append("</p>");
        return MimeBundle.html(html.toString(), text.toString());
    }
}
