package jfork.pool;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Which worker ran which chunk when, drawn as SVG: one row per worker, one bar per chunk. */
public final class Timeline {
    /** One chunk run: times are System.nanoTime() of the worker (CLOCK_MONOTONIC, shared by all processes). */
    public record Span(long job, String kind, int pid, int chunk, int firstItem, int items, long startNanos,
                       long endNanos, boolean ok) {
    }

    private static final String[] COLORS = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
            "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

    private Timeline() {
    }

    public static String svg(List<Span> spans) {
        if (spans.isEmpty()) {
            return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"320\" height=\"40\"><text x=\"8\" y=\"24\" "
                    + "font-family=\"sans-serif\" font-size=\"13\">no chunks run yet</text></svg>";
        }
        long t0 = Long.MAX_VALUE, t1 = Long.MIN_VALUE;
        Map<Integer, Integer> row = new LinkedHashMap<>();
        for (Span s : spans) {
            t0 = Math.min(t0, s.startNanos());
            t1 = Math.max(t1, s.endNanos());
            row.putIfAbsent(s.pid(), row.size());
        }
        double total = Math.max(1, t1 - t0);
        int left = 110, width = 640, rowH = 22, top = 24;
        int height = top + row.size() * rowH + 34;
        StringBuilder sb = new StringBuilder();
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(left + width + 20).append("\" height=\"")
                .append(height).append("\" font-family=\"sans-serif\" font-size=\"12\">");
        sb.append("<text x=\"").append(left).append("\" y=\"15\">pool timeline: ").append(spans.size())
                .append(" chunks on ").append(row.size()).append(" workers, ")
                .append(ms(total)).append("</text>");
        for (Map.Entry<Integer, Integer> e : row.entrySet()) {
            int y = top + e.getValue() * rowH;
            sb.append("<text x=\"4\" y=\"").append(y + 15).append("\">worker ").append(e.getKey()).append("</text>");
            sb.append("<line x1=\"").append(left).append("\" x2=\"").append(left + width).append("\" y1=\"")
                    .append(y + rowH - 1).append("\" y2=\"").append(y + rowH - 1).append("\" stroke=\"#ddd\"/>");
        }
        for (Span s : spans) {
            double x = left + (s.startNanos() - t0) / total * width;
            double w = Math.max(1.0, (s.endNanos() - s.startNanos()) / total * width);
            int y = top + row.get(s.pid()) * rowH + 2;
            String color = s.ok() ? COLORS[(int) (s.job() % COLORS.length)] : "#d62728";
            sb.append("<rect x=\"").append(fmt(x)).append("\" y=\"").append(y).append("\" width=\"").append(fmt(w))
                    .append("\" height=\"").append(rowH - 5).append("\" fill=\"").append(color)
                    .append("\" stroke=\"white\" stroke-width=\"0.5\"><title>job ").append(s.job()).append(' ')
                    .append(s.kind()).append(", chunk ").append(s.chunk()).append(", items ").append(s.firstItem())
                    .append("..").append(s.firstItem() + s.items() - 1).append(", worker ").append(s.pid()).append(", ")
                    .append(ms(s.endNanos() - s.startNanos())).append(s.ok() ? "" : ", failed").append("</title></rect>");
        }
        int axisY = top + row.size() * rowH + 14;
        for (int i = 0; i <= 4; i++) {
            double x = left + width * i / 4.0;
            sb.append("<text x=\"").append(fmt(x)).append("\" y=\"").append(axisY).append("\" text-anchor=\"middle\">")
                    .append(ms(total * i / 4.0)).append("</text>");
        }
        sb.append("</svg>");
        return sb.toString();
    }

    /** A text version: one line per worker with its chunks and busy time. */
    public static String text(List<Span> spans) {
        Map<Integer, List<Span>> byPid = new LinkedHashMap<>();
        for (Span s : spans) byPid.computeIfAbsent(s.pid(), k -> new ArrayList<>()).add(s);
        StringBuilder sb = new StringBuilder("pool timeline: " + spans.size() + " chunks on " + byPid.size() + " workers");
        for (Map.Entry<Integer, List<Span>> e : byPid.entrySet()) {
            long busy = 0;
            int items = 0;
            for (Span s : e.getValue()) {
                busy += s.endNanos() - s.startNanos();
                items += s.items();
            }
            sb.append("\n  worker ").append(e.getKey()).append(": ").append(e.getValue().size()).append(" chunks, ")
                    .append(items).append(" items, busy ").append(ms(busy));
        }
        return sb.toString();
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String ms(double nanos) {
        double ms = nanos / 1e6;
        return ms >= 1000 ? String.format(Locale.ROOT, "%.2f s", ms / 1000) : String.format(Locale.ROOT, "%.1f ms", ms);
    }
}
