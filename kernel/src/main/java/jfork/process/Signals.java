package jfork.process;

import java.util.Locale;

/** Linux signal numbers and names (x86_64 and aarch64 share these numbers). */
public final class Signals {
    public static final int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGABRT = 6, SIGKILL = 9,
            SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14, SIGTERM = 15,
            SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20;

    private static final String[] NAMES = {null,
            "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
            "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
            "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
            "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"};

    private Signals() {}

    /** "SIGTERM" for 15; "signal 40" for numbers without a name. */
    public static String name(int signal) {
        return signal > 0 && signal < NAMES.length ? NAMES[signal] : "signal " + signal;
    }

    /** Accepts "SIGTERM", "TERM", "sigterm", "15". */
    public static int parse(String text) {
        String t = text == null ? "" : text.trim();
        if (!t.isEmpty() && t.chars().allMatch(Character::isDigit)) {
            int n = Integer.parseInt(t);
            if (n >= 1 && n <= 64) return n;
            throw unknown(text);
        }
        String u = t.toUpperCase(Locale.ROOT);
        if (!u.startsWith("SIG")) u = "SIG" + u;
        for (int i = 1; i < NAMES.length; i++) if (NAMES[i].equals(u)) return i;
        throw unknown(text);
    }

    private static IllegalArgumentException unknown(String text) {
        StringBuilder valid = new StringBuilder();
        for (int i = 1; i < NAMES.length; i++) valid.append(i == 1 ? "" : ", ").append(NAMES[i]);
        return new IllegalArgumentException("unknown signal '" + text + "'; valid: " + valid
                + " (with or without SIG, any case) or a number 1-64");
    }
}
