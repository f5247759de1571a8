package jfork.protocol;

import com.google.gson.JsonArray;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** The cells of this session, answered as history_reply tuples (session, line, input | [input, output]). */
final class History {
    static final int SESSION = 1;

    private record Entry(int line, String input, String output) {
    }

    private final List<Entry> entries = new ArrayList<>();

    synchronized void record(int line, String input, String output) {
        entries.add(new Entry(line, input, output));
    }

    synchronized JsonArray tail(int n, boolean withOutput) {
        int from = n <= 0 ? 0 : Math.max(0, entries.size() - n);
        return toJson(entries.subList(from, entries.size()), withOutput);
    }

    synchronized JsonArray range(int session, int start, int stop, boolean withOutput) {
        List<Entry> picked = new ArrayList<>();
        if (session == SESSION || session == 0) {
            for (Entry e : entries) {
                if (e.line >= start && (stop <= 0 || e.line < stop)) picked.add(e);
            }
        }
        return toJson(picked, withOutput);
    }

    /** Glob search as in IPython: '*' and '?' wildcards over the whole input. */
    synchronized JsonArray search(String pattern, int n, boolean unique, boolean withOutput) {
        Pattern glob = globToRegex(pattern);
        List<Entry> picked = new ArrayList<>();
        for (Entry e : entries) {
            if (glob.matcher(e.input).matches()) picked.add(e);
        }
        if (unique) {
            Map<String, Entry> last = new LinkedHashMap<>();
            for (Entry e : picked) {
                last.remove(e.input);
                last.put(e.input, e);
            }
            picked = new ArrayList<>(last.values());
        }
        if (n > 0 && picked.size() > n) picked = picked.subList(picked.size() - n, picked.size());
        return toJson(picked, withOutput);
    }

    static Pattern globToRegex(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    private static JsonArray toJson(List<Entry> list, boolean withOutput) {
        JsonArray out = new JsonArray();
        for (Entry e : list) {
            JsonArray t = new JsonArray();
            t.add(SESSION);
            t.add(e.line);
            if (withOutput) {
                JsonArray io = new JsonArray();
                io.add(e.input);
                io.add(e.output);
                t.add(io);
            } else {
                t.add(e.input);
            }
            out.add(t);
        }
        return out;
    }
}
