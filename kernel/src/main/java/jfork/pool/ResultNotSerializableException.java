package jfork.pool;

/** A worker computed a result it could not send back (Python's MaybeEncodingError). */
public final class ResultNotSerializableException extends TaskFailedException {
    public ResultNotSerializableException(String message, int workerPid, int itemIndex, String type, String detail) {
        super(message, workerPid, itemIndex, type, detail);
    }
}
