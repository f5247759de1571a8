package jfork.execution;

import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.SourceCodeAnalysis.Completeness;

import java.util.ArrayList;
import java.util.List;

/** Splits a cell into the snippets JShell evaluates one by one, keeping where each starts. */
final class Snippets {
    record Piece(String source, int line) {
    }

    static List<Piece> split(SourceCodeAnalysis analysis, String cell) {
        List<Piece> pieces = new ArrayList<>();
        String rest = cell;
        int consumed = 0;
        while (!rest.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(rest);
            Completeness c = info.completeness();
            if (c == Completeness.EMPTY) break;
            int line = lineOf(cell, consumed + leadingBlank(rest));
            if (c == Completeness.COMPLETE || c == Completeness.COMPLETE_WITH_SEMI) {
                pieces.add(new Piece(info.source(), line));
                consumed += rest.length() - info.remaining().length();
                rest = info.remaining();
            } else {
                // incomplete or unparsable: let JShell report the error on the remainder
                pieces.add(new Piece(rest, line));
                break;
            }
        }
        return pieces;
    }

    private static int leadingBlank(String s) {
        int i = 0;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        return i;
    }

    private static int lineOf(String text, int offset) {
        int line = 1;
        for (int i = 0; i < offset && i < text.length(); i++) if (text.charAt(i) == '\n') line++;
        return line;
    }

    private Snippets() {
    }
}
