package jfork.magics;

import jfork.execution.JavaError;

/**
 * IPython's expansion of Python values in magic arguments, with Java: {@code {expression}} becomes the
 * value of a Java expression evaluated in the session, {@code $name} the value of a variable;
 * {@code {{}}, {@code }}} and {@code $$} stand for a literal {, } and $. So after
 * {@code int pid = os.fork();} a cell can say {@code %kill -TERM {pid}} or {@code %output $pid}.
 * Done once, where magics are dispatched, before a magic sees its arguments.
 */
public final class ArgumentExpansion {
    /** Evaluates a Java expression in the session and gives its value as text (String.valueOf). */
    @FunctionalInterface
    public interface Session {
        String valueOf(String javaExpression) throws JavaError;
    }

    /** For %lsmagic and NAME? help. */
    public static final String HELP = "Java values in the arguments: {expression} is replaced by the value of a Java expression\n"
            + "evaluated in the session, $name by the value of a variable (as in IPython); {{, }} and $$ give a\n"
            + "literal {, } and $. Example: int pid = os.fork(); then %kill -TERM {pid} or %output $pid.";

    /** Expands {@code raw}; a bad expression fails with a UsageError that names it and says why. */
    public static String expand(String raw, Session session) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < raw.length()) {
            char c = raw.charAt(i);
            char next = i + 1 < raw.length() ? raw.charAt(i + 1) : 0;
            if ((c == '{' || c == '}' || c == '$') && next == c) {
                out.append(c);
                i += 2;
            } else if (c == '{') {
                int end = closingBrace(raw, i);
                if (end < 0) throw new UsageError("unclosed { in: " + raw.strip() + " (write {{ for a literal {)");
                String expression = raw.substring(i + 1, end).strip();
                if (expression.isEmpty()) throw new UsageError("empty {} in: " + raw.strip() + " (write {{}} for literal braces)");
                out.append(value("{" + expression + "}", expression, session));
                i = end + 1;
            } else if (c == '}') {
                throw new UsageError("single } in: " + raw.strip() + " (write }} for a literal })");
            } else if (c == '$' && isNameStart(next)) {
                int end = i + 1;
                while (end < raw.length() && isNamePart(raw.charAt(end))) end++;
                String name = raw.substring(i + 1, end);
                out.append(value("$" + name, name, session));
                i = end;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static String value(String written, String expression, Session session) {
        try {
            return session.valueOf(expression);
        } catch (JavaError e) {
            String why = e.evalue.lines().limit(2).map(String::strip).reduce((a, b) -> a + " (" + b + ")").orElse(e.ename);
            if (e.ename.equals("CompilationException")) throw new UsageError(written + " does not compile as Java: " + why);
            throw new UsageError(written + " failed: " + e.ename + (e.evalue.isEmpty() ? "" : ": " + e.evalue));
        }
    }

    /** The } that closes the { at {@code open}: nested braces count, braces in Java string and char literals do not. */
    private static int closingBrace(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\'') {
                i = endOfLiteral(s, i);
                if (i < 0) return -1;
            } else if (c == '{') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                return i;
            }
        }
        return -1;
    }

    private static int endOfLiteral(String s, int start) {
        char quote = s.charAt(start);
        for (int i = start + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') i++;
            else if (c == quote) return i;
        }
        return -1;
    }

    private static boolean isNameStart(char c) {
        return c != '$' && c != 0 && Character.isJavaIdentifierStart(c);
    }

    private static boolean isNamePart(char c) {
        return c != '$' && Character.isJavaIdentifierPart(c);
    }

    private ArgumentExpansion() {
    }
}
