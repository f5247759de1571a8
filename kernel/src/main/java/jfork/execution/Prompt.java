package jfork.execution;

/** The kernel's stdin, for the pre-declared input(prompt). */
public final class Prompt {
    private static volatile InputSource source;

    static void install(InputSource s) {
        source = s;
    }

    public static String readLine(String prompt, boolean password) {
        InputSource s = source;
        if (s == null) throw new IllegalStateException("no frontend is connected for input");
        CellOutput out = CellOutput.current();
        if (out != null) out.flush();
        return s.readLine(out == null ? null : out.cell(), prompt, password);
    }

    private Prompt() {
    }
}
