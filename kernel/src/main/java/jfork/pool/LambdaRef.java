package jfork.pool;

import java.io.ObjectStreamException;
import java.io.Serial;
import java.io.Serializable;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Method;

/**
 * What a {@link SerializedLambda} says, sent to spawn workers in its place ({@link SpawnCode}) so
 * that the worker can rebuild the lambda as a {@link DirectLambda} instead of going through the
 * JDK's lambda deserialization; the standard way remains the fallback.
 */
record LambdaRef(String capturingClass, String functionalInterfaceClass, String functionalInterfaceMethodName,
                 String functionalInterfaceMethodSignature, int implMethodKind, String implClass,
                 String implMethodName, String implMethodSignature, String instantiatedMethodType,
                 Object[] capturedArgs) implements Serializable {
    @Serial private static final long serialVersionUID = 1L;

    static LambdaRef of(SerializedLambda l) {
        Object[] captured = new Object[l.getCapturedArgCount()];
        for (int i = 0; i < captured.length; i++) captured[i] = l.getCapturedArg(i);
        return new LambdaRef(l.getCapturingClass(), l.getFunctionalInterfaceClass(), l.getFunctionalInterfaceMethodName(),
                l.getFunctionalInterfaceMethodSignature(), l.getImplMethodKind(), l.getImplClass(), l.getImplMethodName(),
                l.getImplMethodSignature(), l.getInstantiatedMethodType(), captured);
    }

    /** In the worker: the lambda itself (its class loader is the thread's context loader, the snippet loader). */
    @Serial
    private Object readResolve() throws ObjectStreamException {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        Object direct = DirectLambda.of(this, loader);
        if (direct != null) return direct;
        try {
            Class<?> capturing = Class.forName(capturingClass.replace('/', '.'), false, loader);
            SerializedLambda l = new SerializedLambda(capturing, functionalInterfaceClass, functionalInterfaceMethodName,
                    functionalInterfaceMethodSignature, implMethodKind, implClass, implMethodName, implMethodSignature,
                    instantiatedMethodType, capturedArgs);
            Method deserialize = capturing.getDeclaredMethod("$deserializeLambda$", SerializedLambda.class);
            deserialize.setAccessible(true);
            return deserialize.invoke(null, l);
        } catch (ReflectiveOperationException | RuntimeException e) {
            java.io.InvalidObjectException bad = new java.io.InvalidObjectException("cannot rebuild the lambda "
                    + implClass + "." + implMethodName + ": " + e);
            bad.initCause(e);
            throw bad;
        }
    }
}
