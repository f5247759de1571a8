package jfork.execution;

import java.util.List;

public record Completion(List<String> matches, int cursorStart, int cursorEnd) {
}
