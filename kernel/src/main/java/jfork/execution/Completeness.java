package jfork.execution;

/** Answer to is_complete: status is complete, incomplete, invalid or unknown. */
public record Completeness(String status, String indent) {
}
