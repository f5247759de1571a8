package jfork.magics;

/** Bad magic arguments: the message says what is wrong; the kernel adds the usage text. */
public final class UsageError extends RuntimeException {
    public UsageError(String message) {
        super(message);
    }
}
