package jfork.magics;

import jfork.display.MimeBundle;
import jfork.process.ChildInfo;
import jfork.process.ExitStatus;
import jfork.process.Forker;
import jfork.process.ProcState;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** %ps: the kernel's children, as a table (HTML and plain text). */
public final class PsMagic implements Magic {
    public String name() { return "ps"; }

    public String summary() { return "the kernel's children: pid, parent, state, cell, age"; }

    public String usage() {
        return "%ps [--all]\n\nLists the children this kernel forked: pid, parent pid, state (running, sleeping, stopped,\n"
                + "zombie, exited with code N, killed by SIGNAL), the cell that created it and its age.\n"
                + "Without --all, only the 20 most recent ended children are shown.";
    }

    public boolean isCellMagic() { return false; }

    public MimeBundle run(MagicCall call, MagicContext context) {
        boolean all = false;
        for (String a : call.args()) {
            if (a.equals("--all")) all = true;
            else throw new UsageError("unknown option " + a);
        }
        Forker.get().children().reapExited();
        List<ChildInfo> children = Forker.get().children().all().stream()
                .sorted(java.util.Comparator.comparing(ChildInfo::started).thenComparing(ChildInfo::pid)).toList();
        List<ChildInfo> live = children.stream().filter(c -> !c.reaped()).toList();
        List<ChildInfo> ended = children.stream().filter(ChildInfo::reaped).toList();
        if (!all && ended.size() > 20) ended = ended.subList(ended.size() - 20, ended.size());
        StringBuilder text = new StringBuilder(String.format("%-8s %-8s %-22s %-12s %s%n", "PID", "PPID", "STATE", "CELL", "AGE"));
        StringBuilder html = new StringBuilder("<table><tr><th>pid</th><th>ppid</th><th>state</th><th>cell</th><th>age</th></tr>");
        for (ChildInfo c : concat(live, ended)) {
            String state = describe(c);
            String age = age(c.started());
            text.append(String.format("%-8d %-8d %-22s %-12s %s%n", c.pid(), c.parentPid(), state, c.label(), age));
            html.append("<tr><td>").append(c.pid()).append("</td><td>").append(c.parentPid()).append("</td><td>")
                    .append(LsMagic.escape(state)).append("</td><td>").append(LsMagic.escape(c.label()))
                    .append("</td><td>").append(age).append("</td></tr>");
        }
        html.append("</table>");
        if (children.isEmpty()) return MimeBundle.text("no children: this kernel has not forked yet");
        return MimeBundle.html(html.toString(), text.toString().stripTrailing());
    }

    static String describe(ChildInfo c) {
        ExitStatus st = c.status();
        if (c.reaped() && st != null) return st.toString();
        ProcState p = ProcState.read(c.pid());
        if (p == null) return st == null ? "gone" : st.toString();
        return switch (p.state()) {
            case 'R' -> "running";
            case 'S', 'D', 'I' -> "sleeping";
            case 'T', 't' -> "stopped";
            case 'Z' -> "zombie";
            default -> "state " + p.state();
        };
    }

    private static String age(Instant started) {
        Duration d = Duration.between(started, Instant.now());
        long s = d.toSeconds();
        return s < 60 ? String.format("%.1f s", d.toMillis() / 1000.0) : s < 3600 ? (s / 60) + " min " + (s % 60) + " s" : (s / 3600) + " h " + (s % 3600 / 60) + " min";
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
