package jfork.pool;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectStreamClass;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Main class of a spawn pool worker: a fresh JVM (all its GC, JIT and VM threads) started by
 * {@link SpawnPool} with ProcessBuilder on the kernel's classpath.
 *
 * <p>Protocol, one frame = [int length][byte type][length bytes]. Kernel to worker on stdin:
 * {@link #CLASSES} (snippet class bytecode to define), {@link #JOB} (cell variables the function reads,
 * then the serialized function), {@link #CHUNK} (items to run), {@link #FORGET}. Worker to kernel
 * on stdout: {@link #READY}, {@link #OUT}/{@link #ERR} (what the task printed: System.out and
 * System.err are redirected into frames, so the protocol stream stays clean and output arrives
 * before the result it precedes), and the {@link WorkerLoop} result records prefixed with the job id.
 * stderr (fd 2) is inherited: only JVM-level messages land there (the kernel's log).
 *
 * <p>The worker ends when its stdin closes, at once, even in the middle of a task: after close()
 * and also when the kernel dies (even by SIGKILL), so no worker JVM outlives its kernel.
 */
public final class SpawnWorker {
    static final byte CLASSES = 1, JOB = 2, CHUNK = 3, FORGET = 4;
    static final byte READY = 1, OUT = 2, ERR = 3;

    private static final Object SEND_LOCK = new Object();
    private static DataOutputStream proto;

    private SpawnWorker() {
    }

    /** Defines the kernel's snippet classes (REPL.$JShell$NN...) on demand, from shipped bytecode. */
    static final class SnippetLoader extends ClassLoader {
        private final Map<String, byte[]> bytes = new HashMap<>();

        SnippetLoader(ClassLoader parent) {
            super("jfork-spawn-snippets", parent);
        }

        synchronized void add(String name, byte[] b) {
            bytes.putIfAbsent(name, b);
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            byte[] b;
            synchronized (this) {
                b = bytes.get(name);
            }
            if (b == null) throw new ClassNotFoundException(name);
            return defineClass(name, b, 0, b.length);
        }
    }

    /** An ObjectInputStream that resolves classes in the snippet loader (and so the classpath) first. */
    static ObjectInputStream input(InputStream in, ClassLoader loader) throws IOException {
        return new ObjectInputStream(in) {
            @Override
            protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
                try {
                    return Class.forName(desc.getName(), false, loader);
                } catch (ClassNotFoundException e) {
                    return super.resolveClass(desc); // primitives
                }
            }
        };
    }

    public static void main(String[] args) throws Exception {
        proto = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16));
        System.setOut(new PrintStream(new FrameStream(OUT), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new FrameStream(ERR), true, StandardCharsets.UTF_8));
        SnippetLoader loader = new SnippetLoader(SpawnWorker.class.getClassLoader());
        Thread.currentThread().setContextClassLoader(loader);

        // stdin is drained by its own thread, so the kernel's writes never wait on a busy worker; EOF ends the JVM.
        BlockingQueue<byte[]> frames = new LinkedBlockingQueue<>();
        Thread stdin = new Thread(() -> {
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(FileDescriptor.in), 1 << 16))) {
                while (true) {
                    int len = in.readInt();
                    byte[] frame = new byte[len + 1];
                    in.readFully(frame);
                    frames.add(frame);
                }
            } catch (EOFException e) {
                // the pool closed us, or the kernel is gone
            } catch (Throwable t) {
                t.printStackTrace();
            }
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(0);
        }, "jfork-spawn-stdin");
        stdin.setDaemon(true);
        stdin.start();

        warmUp(loader);
        ByteArrayOutputStream hello = new ByteArrayOutputStream();
        new DataOutputStream(hello).writeLong(ProcessHandle.current().pid());
        send(READY, hello.toByteArray());

        Map<Long, Object> jobs = new HashMap<>(); // job id -> RemoteFn, or the Throwable that prevented loading it
        while (true) {
            byte[] frame = frames.take();
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(frame, 1, frame.length - 1));
            switch (frame[0]) {
                case CLASSES -> {
                    int n = in.readInt();
                    String[] names = new String[n];
                    for (int i = 0; i < n; i++) {
                        names[i] = in.readUTF();
                        byte[] b = new byte[in.readInt()];
                        in.readFully(b);
                        loader.add(names[i], b);
                    }
                    // defined now, while idle (the kernel sends them when the worker is ready), not by the first task
                    for (String name : names) {
                        try {
                            Class.forName(name, false, loader);
                        } catch (Throwable t) {
                            // it names a class this JVM lacks: the task that needs it will say so
                        }
                    }
                }
                case JOB -> {
                    long id = in.readLong();
                    jobs.put(id, loadJob(in, loader));
                }
                case FORGET -> jobs.remove(in.readLong());
                case CHUNK -> runChunk(in, jobs, loader);
                default -> throw new IOException("unknown frame type " + frame[0]);
            }
        }
    }

    /**
     * Before READY, runs once what the first task needs: deserializing a lambda (the first one in a JVM
     * bootstraps the whole java.lang.invoke machinery, tens of ms of mostly interpreted code), object
     * streams, a chunk through the worker loop and the codec. Otherwise the first task of each worker
     * pays for it, which shows in short CPU-bound maps.
     */
    private static void warmUp(ClassLoader loader) {
        try {
            RemoteFn echo = (RemoteFn & java.io.Serializable) item -> item;
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(b)) {
                out.writeObject(echo);
                out.writeObject(new java.util.ArrayList<>(java.util.List.of(1, "x")));
            }
            Object back;
            try (ObjectInputStream in = input(new ByteArrayInputStream(b.toByteArray()), loader)) {
                back = in.readObject();
                in.readObject();
            }
            RemoteFn fn = (RemoteFn) back;
            ByteArrayOutputStream records = new ByteArrayOutputStream();
            WorkerLoop.runChunk(0, i -> fn.call(i), 8, 8, (type, payload) -> records.write(payload));
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(records.toByteArray()));
            in.readInt();
            in.readLong();
            in.readLong();
            Codec.readValues(in, loader);
            java.util.List<Object> mixed = java.util.Arrays.asList(1, "x", 2L, null);
            ByteArrayOutputStream m = new ByteArrayOutputStream();
            Codec.writeValues(new DataOutputStream(m), mixed, 0, mixed.size());
            Codec.readValues(new DataInputStream(new ByteArrayInputStream(m.toByteArray())), loader);
            warmUpDirectLambda(loader);
        } catch (Throwable t) {
            System.err.println("spawn worker warm-up failed: " + t); // only slower
        }
    }

    /** A job's lambda arrives as a LambdaRef (see SpawnCode): the same trip once, with the cells' interface. */
    private static void warmUpDirectLambda(ClassLoader loader) throws Exception {
        String object = "(Ljava/lang/Object;)Ljava/lang/Object;";
        LambdaRef ref = new LambdaRef("jfork/pool/SpawnWorker", "jfork/api/Pool$Fn", "apply", object,
                java.lang.invoke.MethodHandleInfo.REF_invokeStatic, "jfork/pool/SpawnWorker", "echo", object, object,
                new Object[0]);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(b)) {
            out.writeObject(ref);
        }
        Object fn;
        try (ObjectInputStream in = input(new ByteArrayInputStream(b.toByteArray()), loader)) {
            fn = in.readObject();
        }
        Method apply = fn.getClass().getMethod("apply", Object.class);
        for (int i = 0; i < 3; i++) apply.invoke(fn, i);
    }

    private static Object echo(Object item) {
        return item;
    }

    /** Sets the cell variables the function reads to their values in the kernel, then reads the function. */
    private static Object loadJob(DataInputStream in, ClassLoader loader) {
        String variable = null;
        try {
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                String owner = in.readUTF();
                String name = in.readUTF();
                variable = name;
                Object value = Codec.read(in, loader);
                Field f = Class.forName(owner, true, loader).getDeclaredField(name);
                if (Modifier.isFinal(f.getModifiers())) continue;
                f.setAccessible(true);
                f.set(null, value);
            }
            variable = null;
            byte[] fn = new byte[in.readInt()];
            in.readFully(fn);
            try (ObjectInputStream ois = input(new ByteArrayInputStream(fn), loader)) {
                return ois.readObject();
            }
        } catch (Throwable t) {
            return variable == null ? new IllegalStateException("the function could not be loaded in the spawn worker: " + t, t)
                    : new IllegalStateException("cell variable " + variable + " could not be set in the spawn worker: " + t, t);
        }
    }

    private static void runChunk(DataInputStream in, Map<Long, Object> jobs, ClassLoader loader) throws IOException {
        long id = in.readLong();
        int chunk = in.readInt();
        int chunksize = in.readInt();
        int count = in.readInt();
        int from = chunk * chunksize;
        Object[] items = null;
        Throwable bad = null;
        try {
            items = Codec.readValues(in, loader);
        } catch (Throwable t) {
            bad = new IllegalStateException("the items could not be read in the spawn worker: " + t, t);
        }
        Object job = jobs.get(id);
        Throwable error = bad != null ? bad : job instanceof Throwable t ? t
                : job == null ? new IllegalStateException("job " + id + " unknown in the spawn worker") : null;
        RemoteFn fn = error == null ? (RemoteFn) job : null;
        Object[] values = items;
        ProcessPool.Task task = i -> {
            if (error != null) throw error;
            return fn.call(values[i - from]);
        };
        WorkerLoop.runChunk(chunk, task, count, chunksize, (type, payload) -> {
            byte[] p = new byte[8 + payload.length];
            for (int k = 0; k < 8; k++) p[k] = (byte) (id >>> (56 - 8 * k));
            System.arraycopy(payload, 0, p, 8, payload.length);
            System.out.flush();
            System.err.flush();
            send(type, p);
        });
    }

    static void send(byte type, byte[] payload) throws IOException {
        synchronized (SEND_LOCK) {
            proto.writeInt(payload.length);
            proto.writeByte(type);
            proto.write(payload);
            proto.flush();
        }
    }

    /** System.out / System.err of the worker: each write becomes an OUT / ERR frame. */
    private static final class FrameStream extends OutputStream {
        private final byte type;

        FrameStream(byte type) {
            this.type = type;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len == 0) return;
            byte[] copy = new byte[len];
            System.arraycopy(b, off, copy, 0, len);
            send(type, copy);
        }
    }
}
