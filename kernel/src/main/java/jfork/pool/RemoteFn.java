package jfork.pool;

import java.io.Serializable;

/** The function of a spawn pool job, as it travels to a worker: called once per item. */
public interface RemoteFn extends Serializable {
    Object call(Object item) throws Throwable;
}
