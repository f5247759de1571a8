package jfork.execution;

import jfork.display.MimeBundle;

import java.util.List;
import java.util.Map;

/** The result of one cell: ok with an optional value and pager payloads, or an error with its traceback. */
public record ExecuteOutcome(boolean ok, MimeBundle result, String ename, String evalue, List<String> traceback,
                             List<Map<String, Object>> payloads) {

    public static ExecuteOutcome success(MimeBundle result, List<Map<String, Object>> payloads) {
        return new ExecuteOutcome(true, result, null, null, List.of(), payloads);
    }

    public static ExecuteOutcome failure(String ename, String evalue, List<String> traceback) {
        return new ExecuteOutcome(false, null, ename, evalue, traceback, List.of());
    }
}
