package jfork.process;

/** fork() did not produce a started child after all attempts; the message says why each failed. */
public class ForkFailedException extends RuntimeException {
    public ForkFailedException(String message) { super(message); }
}
