package jfork.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Who a process runs as, in words ("root (uid 0)"), for errors such as EPERM from kill(2). */
public final class ProcessOwner {
    /** The real uid of pid from /proc/PID/status, or -1 when it cannot be read (ended, hidden). */
    public static int realUid(int pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                // Uid: real effective saved filesystem
                if (line.startsWith("Uid:")) return Integer.parseInt(line.substring(4).trim().split("\\s+")[0]);
            }
        } catch (IOException | RuntimeException e) {
            // unknown
        }
        return -1;
    }

    /** "nobody (uid 65534)", or "uid 1234" when /etc/passwd does not name it. */
    public static String describe(int uid) {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":");
                if (f.length > 2 && f[2].equals(Integer.toString(uid))) return f[0] + " (uid " + uid + ")";
            }
        } catch (IOException | RuntimeException e) {
            // no name
        }
        return "uid " + uid;
    }

    private ProcessOwner() {
    }
}
