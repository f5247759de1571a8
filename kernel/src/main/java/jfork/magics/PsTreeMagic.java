package jfork.magics;

import jfork.display.MimeBundle;
import jfork.process.Native;
import jfork.process.ProcState;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** %pstree: the kernel and its descendants, read from /proc, as an SVG tree. */
public final class PsTreeMagic implements Magic {
    public String name() { return "pstree"; }

    public String summary() { return "the kernel's process tree as a picture (SVG)"; }

    public String usage() {
        return "%pstree\n\nDraws the kernel process and all its descendants (children, grandchildren, processes\n"
                + "they exec'd) with pid, state and command, read from /proc.";
    }

    public boolean isCellMagic() { return false; }

    public MimeBundle run(MagicCall call, MagicContext context) throws IOException {
        if (!call.args().isEmpty()) throw new UsageError("%pstree takes no arguments");
        int root = Native.libc().getpid();
        Map<Integer, List<ProcState>> kids = new HashMap<>();
        try (var dirs = Files.list(Path.of("/proc"))) {
            for (Path p : dirs.toList()) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) continue;
                ProcState s = ProcState.read(Integer.parseInt(name));
                if (s != null) kids.computeIfAbsent(s.ppid(), k -> new ArrayList<>()).add(s);
            }
        }
        List<String[]> rows = new ArrayList<>(); // depth, label
        StringBuilder text = new StringBuilder();
        walk(root, "kernel " + root + " (java)", 0, kids, rows, text);
        int width = 640, rowH = 24;
        StringBuilder svg = new StringBuilder("<svg xmlns='http://www.w3.org/2000/svg' width='" + width + "' height='"
                + (rows.size() * rowH + 10) + "' font-family='monospace' font-size='13'>");
        for (int i = 0; i < rows.size(); i++) {
            int depth = Integer.parseInt(rows.get(i)[0]);
            int x = 10 + depth * 28, y = 20 + i * rowH;
            if (depth > 0) {
                svg.append("<path d='M").append(x - 18).append(' ').append(y - rowH + 6).append(" V").append(y - 4)
                        .append(" H").append(x - 4).append("' stroke='#888' fill='none'/>");
            }
            svg.append("<rect x='").append(x - 2).append("' y='").append(y - 15).append("' width='")
                    .append(rows.get(i)[1].length() * 8 + 8).append("' height='20' rx='4' fill='")
                    .append(depth == 0 ? "#dbe9ff" : "#eef6e8").append("' stroke='#789'/>");
            svg.append("<text x='").append(x + 2).append("' y='").append(y).append("'>")
                    .append(LsMagic.escape(rows.get(i)[1])).append("</text>");
        }
        svg.append("</svg>");
        return new MimeBundle().put("text/plain", text.toString().stripTrailing()).put("image/svg+xml", svg.toString());
    }

    private static void walk(int pid, String label, int depth, Map<Integer, List<ProcState>> kids, List<String[]> rows, StringBuilder text) {
        rows.add(new String[]{Integer.toString(depth), label});
        text.append("  ".repeat(depth)).append(depth > 0 ? "└─ " : "").append(label).append('\n');
        for (ProcState c : kids.getOrDefault(pid, List.of())) {
            String state = switch (c.state()) {
                case 'R' -> "running";
                case 'S', 'D', 'I' -> "sleeping";
                case 'T', 't' -> "stopped";
                case 'Z' -> "zombie";
                default -> String.valueOf(c.state());
            };
            walk(c.pid(), c.pid() + " " + state + " (" + c.command() + ")", depth + 1, kids, rows, text);
        }
    }
}
