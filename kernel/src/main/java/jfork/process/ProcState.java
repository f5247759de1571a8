package jfork.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** One reading of /proc/&lt;pid&gt;/stat: what %ps shows. */
public record ProcState(int pid, String command, char state, int ppid, int pgrp,
                        long utimeTicks, long stimeTicks, int threads, long startTicks, long rssPages) {

    /** CPU time used so far, in clock ticks (normally 100 per second). */
    public long cpuTicks() { return utimeTicks + stimeTicks; }

    /** Null when the process does not exist (any more). */
    public static ProcState read(int pid) {
        String s;
        try {
            s = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/stat")), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            if (!Files.exists(Path.of("/proc/" + pid))) return null;
            throw new IllegalStateException("cannot read /proc/" + pid + "/stat: " + e, e);
        }
        return parse(s);
    }

    /** The command sits in parentheses and may itself contain spaces and ')': split after the last ')'. */
    static ProcState parse(String stat) {
        int open = stat.indexOf('('), close = stat.lastIndexOf(')');
        int pid = Integer.parseInt(stat.substring(0, open).trim());
        String command = stat.substring(open + 1, close);
        String[] f = stat.substring(close + 2).trim().split(" ");
        // f[0] is field 3 of proc(5): state, ppid, pgrp, ... utime=14, stime=15, threads=20, start=22, rss=24
        return new ProcState(pid, command, f[0].charAt(0), Integer.parseInt(f[1]), Integer.parseInt(f[2]),
                Long.parseLong(f[11]), Long.parseLong(f[12]), Integer.parseInt(f[17]),
                Long.parseLong(f[19]), Long.parseLong(f[21]));
    }
}
