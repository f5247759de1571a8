package jfork.magics;

import jfork.display.MimeBundle;
import jfork.execution.JavaError;
import jfork.execution.KernelSignals;
import jfork.process.ChildInfo;
import jfork.process.Forker;
import jfork.process.ProcState;
import jfork.process.Signals;

import java.util.ArrayList;
import java.util.List;

/** %kill [-SIGNAL] [--force] PID...: send a signal and report, per pid, what it hit and what became of it. */
public final class KillMagic implements Magic {
    private static final long SETTLE_MS = 500;

    public String name() { return "kill"; }

    public String summary() { return "send a signal to processes (default SIGTERM) and report what became of them"; }

    public String usage() {
        return "%kill [-SIGNAL] [--force] PID...\n\n"
                + "Sends SIGNAL (default TERM; as -TERM, -SIGTERM, -15 or -s TERM) to each PID and reports, for the\n"
                + "kernel's own children, their state a moment later (killed by SIGTERM, stopped, running).\n"
                + "Refused unless --force: pid 0 and negative pids (process groups), pid 1 (init), the kernel's parent,\n"
                + "and signals that would end, stop or crash the kernel itself. Pid -1 (every process) is always refused.\n"
                + "Examples:\n  %kill 4312\n  %kill -STOP 4312\n  %kill -CONT 4312\n  %kill --force -TERM -4312   (process group 4312)\n"
                + "  %kill -TERM {pid}           (the value of the Java variable pid)";
    }

    public boolean isCellMagic() { return false; }

    public MimeBundle run(MagicCall call, MagicContext context) throws Exception {
        int sig = -1;
        boolean force = false;
        List<Integer> pids = new ArrayList<>();
        List<String> args = call.args();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--force")) {
                force = true;
            } else if (a.equals("-s") || a.equals("--signal")) {
                sig = parseSignal(Args.value(args, ++i, a));
            } else if (a.startsWith("-") && sig < 0 && pids.isEmpty() && a.length() > 1) {
                sig = parseSignal(a.substring(1));
            } else {
                try {
                    pids.add(Integer.parseInt(a));
                } catch (NumberFormatException e) {
                    throw new UsageError("'" + a + "' is not a pid (a whole number)");
                }
            }
        }
        if (pids.isEmpty()) throw new UsageError("no pid given");
        if (sig < 0) sig = Signals.SIGTERM;
        List<String> failures = new ArrayList<>();
        for (int pid : pids) {
            String what = whatIs(pid);
            try {
                KernelSignals.send(pid, sig, force, "%kill");
            } catch (RuntimeException e) {
                String line = "not sent to " + pid + " (" + what + "): " + e.getMessage();
                System.err.println(line);
                failures.add(line);
                continue;
            }
            System.out.println("sent " + Signals.name(sig) + " to " + pid + " (" + what + settle(pid, sig) + ")");
        }
        if (!failures.isEmpty()) {
            throw new JavaError("KillError", failures.size() + " of " + pids.size() + " pid"
                    + (pids.size() == 1 ? "" : "s") + " not signalled", failures);
        }
        return null;
    }

    private static int parseSignal(String text) {
        try {
            return Signals.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UsageError(e.getMessage());
        }
    }

    private static String whatIs(int pid) {
        if (pid < 0) return "process group " + -pid;
        if (pid == KernelSignals.kernelPid()) return "this kernel";
        if (pid == KernelSignals.kernelParent()) return "the kernel's parent";
        if (pid == 1) return "init";
        if (pid == 0) return "the kernel's process group";
        ChildInfo c = Forker.get().children().get(pid);
        if (c != null && !c.reaped()) return "child of this kernel";
        ProcState p = ProcState.read(pid);
        return p == null ? "no such process" : "'" + p.command() + "', not a child of this kernel";
    }

    /** For children: wait briefly for the signal to take effect and say what the child is now. */
    private static String settle(int pid, int sig) throws InterruptedException {
        ChildInfo c = pid > 0 ? Forker.get().children().get(pid) : null;
        if (c == null || sig == 0) return "";
        long deadline = System.currentTimeMillis() + SETTLE_MS;
        while (System.currentTimeMillis() < deadline) {
            Forker.get().children().reapExited();
            if (c.reaped()) return ", now: " + c.status();
            ProcState p = ProcState.read(pid);
            boolean stopped = p != null && (p.state() == 'T' || p.state() == 't');
            if (isStop(sig) && stopped) return ", now: stopped";
            if (sig == Signals.SIGCONT && !stopped) return ", now: continued (" + state(p) + ")";
            Thread.sleep(5);
        }
        ProcState p = ProcState.read(pid);
        String state = state(p);
        if (p != null && (p.state() == 'T' || p.state() == 't') && !isStop(sig) && sig != Signals.SIGKILL) {
            return ", now: still stopped; it acts on " + Signals.name(sig) + " once continued (%kill -CONT " + pid + ")";
        }
        return ", now: still " + state + " after " + SETTLE_MS + " ms";
    }

    private static boolean isStop(int sig) {
        return sig == Signals.SIGSTOP || sig == Signals.SIGTSTP || sig == 21 || sig == 22;
    }

    private static String state(ProcState p) {
        if (p == null) return "gone";
        return switch (p.state()) {
            case 'R' -> "running";
            case 'S', 'D', 'I' -> "running, sleeping";
            case 'T', 't' -> "stopped";
            case 'Z' -> "ended, not yet reaped";
            default -> "state " + p.state();
        };
    }
}
