package jfork.magics;

import java.util.ArrayList;
import java.util.List;

/** One use of a magic: the words after its name (shell-like quoting) and, for a cell magic, the body. */
public record MagicCall(String name, String rawArgs, List<String> args, String body) {

    public static MagicCall of(String name, String rawArgs, String body) {
        return new MagicCall(name, rawArgs.strip(), split(rawArgs), body);
    }

    /** Splits on blanks, honouring single and double quotes and backslash escapes. */
    static List<String> split(String s) {
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == quote) quote = 0;
                else if (c == '\\' && quote == '"' && i + 1 < s.length()) w.append(s.charAt(++i));
                else w.append(c);
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (c == '\\' && i + 1 < s.length()) {
                w.append(s.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) words.add(w.toString());
                w.setLength(0);
                inWord = false;
            } else {
                w.append(c);
                inWord = true;
            }
        }
        if (quote != 0) throw new UsageError("unterminated " + quote + " quote in: " + s);
        if (inWord) words.add(w.toString());
        return words;
    }
}
