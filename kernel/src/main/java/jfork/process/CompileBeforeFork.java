package jfork.process;

import java.lang.reflect.Executable;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * JIT-compiles, in the kernel and before a fork, code that its children will run. A forked JVM
 * never compiles (it has no compiler thread), so a function the kernel never ran runs interpreted
 * in every child: ~10x slower for CPU-bound code, and for a pool map of small items the function
 * call was most of the time (a 1,250-item chunk of {@code x -> x * 2}: 0.30 ms interpreted, 0.02 ms
 * compiled). Running the user's function in the kernel to warm it is not an option (its side
 * effects), so this asks HotSpot to compile it, through the WhiteBox API: the kernel's JVM runs
 * with {@code -XX:+WhiteBoxAPI} and {@code jdk.test.whitebox.WhiteBox} on the boot class path
 * (install/run and the tests set both). Without them {@link #available()} is false and nothing
 * changes.
 *
 * <p>What is compiled for a function object: the methods of its class; for a lambda, also the
 * {@code lambda$} methods of the class that defined it; then, following the calls in their bytecode,
 * the methods of classes of the same class loader they call (a cell's own methods), a few levels
 * deep. JDK methods are left alone: the kernel's own use keeps the common ones compiled.
 */
public final class CompileBeforeFork {
    /** C1 without profiling: what the kernel runs with (-XX:TieredStopAtLevel=1), and no profile to update in a child. */
    private static final int LEVEL = 1;
    private static final int MAX_DEPTH = 3;
    private static final int MAX_METHODS = 64;
    private static final Object WB;
    private static final Method ENQUEUE, IS_COMPILED;
    private static volatile Function<String, byte[]> bytecodeSource = name -> null;

    static {
        Object wb = null;
        Method enqueue = null, isCompiled = null;
        try {
            // only where the API is on: elsewhere (a spawn worker) fd 1 carries the user's output
            if (!java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:+WhiteBoxAPI")) {
                throw new ClassNotFoundException("the JVM runs without -XX:+WhiteBoxAPI");
            }
            Class<?> c = loadQuietly();
            wb = c.getField("WB").get(null);
            enqueue = c.getMethod("enqueueMethodForCompilation0", Executable.class, int.class, int.class);
            isCompiled = c.getMethod("isMethodCompiled0", Executable.class, boolean.class);
        } catch (ReflectiveOperationException | LinkageError | RuntimeException unavailable) {
            wb = null; // not on the boot class path, or -XX:+WhiteBoxAPI missing: functions stay as warm as the kernel made them
        }
        WB = wb;
        ENQUEUE = enqueue;
        IS_COMPILED = isCompiled;
    }

    private CompileBeforeFork() {
    }

    /**
     * Defines the WhiteBox class (boot loader only). HotSpot then prints one line on the JVM's
     * standard output for every WhiteBox method the class does not declare (~200); the kernel's
     * stdout is its log, so fd 1 points to /dev/null meanwhile.
     */
    private static Class<?> loadQuietly() throws ClassNotFoundException {
        var posix = Native.posix();
        int saved = posix.dup(1);
        int devNull = posix.open("/dev/null", 1 /* O_WRONLY */, 0);
        if (saved >= 0 && devNull >= 0) posix.dup2(devNull, 1);
        try {
            return Class.forName("jdk.test.whitebox.WhiteBox", true, null);
        } finally {
            if (saved >= 0 && devNull >= 0) posix.dup2(saved, 1);
            if (saved >= 0) posix.close(saved);
            if (devNull >= 0) posix.close(devNull);
        }
    }

    public static boolean available() {
        return WB != null;
    }

    /** Where the bytecode of classes defined at run time (a cell's) comes from, by binary name; null if unknown. */
    public static void setBytecodeSource(Function<String, byte[]> source) {
        bytecodeSource = source == null ? name -> null : source;
    }

    /**
     * Compiles function's code (see the class comment) and waits up to maxMillis for the compiler.
     * Returns the methods that are compiled now; empty when the WhiteBox API is not available.
     */
    public static List<Method> compile(Object function, long maxMillis) {
        if (WB == null || function == null) return List.of();
        List<Method> methods = methodsFor(function);
        List<Method> queued = new ArrayList<>();
        for (Method m : methods) {
            if (isCompiled(m) || enqueue(m)) queued.add(m);
        }
        long deadline = System.nanoTime() + maxMillis * 1_000_000L;
        List<Method> compiled = new ArrayList<>();
        for (Method m : queued) {
            while (!isCompiled(m) && System.nanoTime() < deadline) java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            if (isCompiled(m)) compiled.add(m);
        }
        return compiled;
    }

    /** The methods {@link #compile} compiles for function (whether or not the WhiteBox API is there). */
    public static List<Method> methodsFor(Object function) {
        return methodsOf(function.getClass());
    }

    /** Whether m has compiled code in this process (in a child: whether the kernel compiled it before the fork). */
    public static boolean isCompiled(Executable m) {
        if (WB == null) return false;
        try {
            return (Boolean) IS_COMPILED.invoke(WB, m, false);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    private static boolean enqueue(Method m) {
        try {
            return (Boolean) ENQUEUE.invoke(WB, m, LEVEL, -1);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /** The methods compiled for a function of class c, callees of the same loader included. */
    private static List<Method> methodsOf(Class<?> c) {
        List<Method> out = new ArrayList<>();
        Set<Method> seen = new HashSet<>();
        ArrayDeque<Object[]> todo = new ArrayDeque<>(); // {method, depth}
        for (Method m : c.getDeclaredMethods()) todo.add(new Object[] {m, 0});
        Class<?> host = c.getNestHost();
        if (c.isHidden() && host != c) {
            for (Method m : host.getDeclaredMethods()) if (m.getName().startsWith("lambda$")) todo.add(new Object[] {m, 0});
        }
        while (!todo.isEmpty() && out.size() < MAX_METHODS) {
            Object[] next = todo.poll();
            Method m = (Method) next[0];
            int depth = (Integer) next[1];
            if (!seen.add(m) || Modifier.isAbstract(m.getModifiers()) || Modifier.isNative(m.getModifiers())) continue;
            out.add(m);
            if (depth < MAX_DEPTH) for (Method callee : calleesOf(m)) todo.add(new Object[] {callee, depth + 1});
        }
        return out;
    }

    /** Methods m calls that belong to classes of m's own class loader (not the JDK's, not the kernel's). */
    private static List<Method> calleesOf(Method m) {
        Class<?> owner = m.getDeclaringClass();
        ClassLoader loader = owner.getClassLoader();
        if (loader == null || loader == CompileBeforeFork.class.getClassLoader()) return List.of();
        byte[] bytes = bytecodeSource.apply(owner.getName());
        if (bytes == null) return List.of();
        String descriptor = Type.getMethodDescriptor(m);
        List<String[]> calls = new ArrayList<>(); // {owner, name, descriptor}
        new ClassReader(bytes).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String signature, String[] exceptions) {
                if (!name.equals(m.getName()) || !desc.equals(descriptor)) return null;
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitMethodInsn(int opcode, String calleeOwner, String calleeName, String calleeDesc, boolean itf) {
                        calls.add(new String[] {calleeOwner, calleeName, calleeDesc});
                    }
                };
            }
        }, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        List<Method> out = new ArrayList<>();
        for (String[] call : calls) {
            try {
                Class<?> c = Class.forName(call[0].replace('/', '.'), false, loader);
                if (c.getClassLoader() != loader) continue;
                for (Method candidate : c.getDeclaredMethods()) {
                    if (candidate.getName().equals(call[1]) && Type.getMethodDescriptor(candidate).equals(call[2])) out.add(candidate);
                }
            } catch (ClassNotFoundException | LinkageError notHere) {
                // a name the loader does not know: nothing to compile
            }
        }
        return out;
    }
}
