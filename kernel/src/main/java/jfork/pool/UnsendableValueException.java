package jfork.pool;

/**
 * A spawn pool could not send something to its workers: the function, a cell variable it reads,
 * or an item, because Java serialization refused it. The message names it and its type.
 */
public final class UnsendableValueException extends IllegalArgumentException {
    private final String name;
    private final String typeName;

    public UnsendableValueException(String message, String name, String typeName) {
        super(message);
        this.name = name;
        this.typeName = typeName;
    }

    /** The variable or item that could not be sent ("function" for the function itself). */
    public String name() { return name; }

    /** The class of the value that could not be sent. */
    public String typeName() { return typeName; }
}
