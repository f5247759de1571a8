package jfork.pool;

import java.lang.invoke.MethodHandleInfo;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * A cell's lambda ({@link LambdaRef}) rebuilt in a spawn worker without the JDK's lambda machinery: a proxy of its
 * functional interface that calls the lambda's implementation method by reflection. Java
 * deserializes a lambda through its capturing class's {@code $deserializeLambda$}, which links an
 * invokedynamic call site and spins a class for it: 24-27 ms per new lambda in a worker, mostly
 * interpreted JDK code, paid by the first task of every job (a tenth of a 4-item primes map).
 * Lambdas this cannot call directly (constructor references, an inaccessible method) keep the
 * standard path.
 */
final class DirectLambda implements InvocationHandler {
    private final Class<?> functionalInterface;
    private final String methodName;
    private final int kind;
    private final Method target;
    private final Object[] captured;

    private DirectLambda(Class<?> functionalInterface, String methodName, int kind, Method target, Object[] captured) {
        this.functionalInterface = functionalInterface;
        this.methodName = methodName;
        this.kind = kind;
        this.target = target;
        this.captured = captured;
    }

    /** A proxy standing for the lambda, or null when it must go the standard way. */
    static Object of(LambdaRef l, ClassLoader loader) {
        int kind = l.implMethodKind();
        boolean onReceiver = kind == MethodHandleInfo.REF_invokeVirtual || kind == MethodHandleInfo.REF_invokeInterface
                || kind == MethodHandleInfo.REF_invokeSpecial;
        if (kind != MethodHandleInfo.REF_invokeStatic && !onReceiver) return null;
        if (onReceiver && l.capturedArgs().length == 0) return null; // an unbound method reference: String::length
        try {
            Class<?> iface = Class.forName(l.functionalInterfaceClass().replace('/', '.'), false, loader);
            Class<?> owner = Class.forName(l.implClass().replace('/', '.'), false, loader);
            Method m = findMethod(owner, l.implMethodName(), l.implMethodSignature());
            if (m == null || !iface.isInterface() || !m.trySetAccessible()) return null;
            // invokespecial: only a private method (a lambda body), where reflection's virtual call is the same call
            if (kind == MethodHandleInfo.REF_invokeSpecial && !java.lang.reflect.Modifier.isPrivate(m.getModifiers())) return null;
            return Proxy.newProxyInstance(loader, new Class<?>[] {iface},
                    new DirectLambda(iface, l.functionalInterfaceMethodName(), kind, m, l.capturedArgs().clone()));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    private static Method findMethod(Class<?> owner, String name, String descriptor) {
        for (Class<?> c = owner; c != null; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                if (m.getName().equals(name) && descriptorOf(m).equals(descriptor)) return m;
            }
        }
        return null;
    }

    private static String descriptorOf(Method m) {
        return java.lang.invoke.MethodType.methodType(m.getReturnType(), m.getParameterTypes()).toMethodDescriptorString();
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return switch (method.getName()) {
                case "equals" -> proxy == args[0];
                case "hashCode" -> System.identityHashCode(proxy);
                default -> functionalInterface.getName() + " lambda calling " + target.getDeclaringClass().getName()
                        + "." + target.getName();
            };
        }
        if (!method.getName().equals(methodName) || method.isDefault()) {
            return InvocationHandler.invokeDefault(proxy, method, args);
        }
        int n = args == null ? 0 : args.length;
        Method m = target;
        try {
            if (kind == MethodHandleInfo.REF_invokeStatic) {
                Object[] all = new Object[captured.length + n];
                System.arraycopy(captured, 0, all, 0, captured.length);
                if (n > 0) System.arraycopy(args, 0, all, captured.length, n);
                return m.invoke(null, all);
            }
            Object[] rest = new Object[captured.length - 1 + n];
            System.arraycopy(captured, 1, rest, 0, captured.length - 1);
            if (n > 0) System.arraycopy(args, 0, rest, captured.length - 1, n);
            return m.invoke(captured[0], rest);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
