package jfork.execution;

/** What a cell asks for; {@code cell} is an opaque token the output of this cell is tagged with. */
public record ExecuteRequest(String code, boolean silent, boolean storeHistory, boolean allowStdin,
                             int executionCount, Object cell) {
}
