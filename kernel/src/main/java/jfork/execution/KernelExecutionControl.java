package jfork.execution;

import jdk.jshell.execution.DirectExecutionControl;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs snippets inside the kernel JVM, on the {@link ExecutionThread}, with interrupt checks woven
 * into their bytecode. Keeps the last value object so the kernel can render it richly.
 */
final class KernelExecutionControl extends DirectExecutionControl {
    private final ExecutionThread thread;
    private volatile Object lastValue;
    private volatile boolean running;
    // While recording, JShell compiles and loads snippets but their doit methods are kept, not run.
    // One source can be several snippets (int a = 1, b = 2; is two), each with its own doit.
    private volatile boolean recording;
    private final java.util.List<Method> recorded = new java.util.ArrayList<>();
    private final java.util.List<ClassBytecodes> unresolved = new java.util.ArrayList<>();

    KernelExecutionControl(ExecutionThread thread) {
        this.thread = thread;
    }

    static ExecutionControlProvider provider(KernelExecutionControl control) {
        return new ExecutionControlProvider() {
            @Override
            public String name() {
                return "jfork";
            }

            @Override
            public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) {
                return control;
            }
        };
    }

    @Override
    public void load(ClassBytecodes[] cbcs) throws ClassInstallException, NotImplementedException, EngineTerminationException {
        for (ClassBytecodes c : cbcs) SnippetClasses.record(c.name(), c.bytecodes()); // for spawn pool workers
        ClassBytecodes[] woven = Stream.of(cbcs)
                .map(c -> new ClassBytecodes(c.name(), InterruptWeaver.weave(c.bytecodes())))
                .toArray(ClassBytecodes[]::new);
        super.load(woven);
        synchronized (unresolved) {
            unresolved.addAll(java.util.Arrays.asList(woven));
        }
    }

    /**
     * Before a fork (any fork: a cell's, a pool's), on the forking thread: resolves the classes
     * named by the snippet classes loaded since the last fork. Done here rather than at load, so
     * that cells which never fork do not pay for it (about a millisecond a cell).
     */
    void resolveReferencedClasses() {
        ClassBytecodes[] pending;
        synchronized (unresolved) {
            pending = unresolved.toArray(new ClassBytecodes[0]);
            unresolved.clear();
        }
        for (ClassBytecodes c : pending) {
            try {
                ReferencedClasses.resolve(c.bytecodes(), findClass(c.name()).getClassLoader());
            } catch (ClassNotFoundException e) {
                // not loaded: nothing a child could resolve either
            }
        }
    }

    @Override
    protected String invoke(Method doitMethod) throws Exception {
        if (recording) {
            synchronized (recorded) {
                recorded.add(doitMethod);
            }
            return "";
        }
        lastValue = null;
        Object value;
        try {
            value = thread.call(() -> {
                running = true;
                try {
                    return doitMethod.invoke(null);
                } finally {
                    running = false;
                }
            });
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof CellInterrupted) throw new StoppedException();
            throw e;
        } catch (CellInterrupted e) {
            throw new StoppedException();
        }
        lastValue = value;
        return valueString(value);
    }

    void startRecording() {
        synchronized (recorded) {
            recorded.clear();
        }
        recording = true;
    }

    /** @return the doit methods JShell asked to run while recording, in order; empty for methods and classes */
    java.util.List<Method> stopRecording() {
        recording = false;
        synchronized (recorded) {
            return java.util.List.copyOf(recorded);
        }
    }

    /** Runs a recorded doit method on the execution thread. */
    Object invokeRecorded(Method doit) throws Throwable {
        try {
            return thread.call(() -> doit.invoke(null));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    static String describe(Object value) {
        return valueString(value);
    }

    /** The object the last expression snippet produced (null for statements and declarations). */
    Object lastValue() {
        return lastValue;
    }

    boolean running() {
        return running;
    }

    @Override
    public void stop() {
        Interrupts.request();
        thread.interrupt();
    }

    @Override
    public void close() {
        // The kernel JVM is the engine: nothing to tear down.
    }
}
