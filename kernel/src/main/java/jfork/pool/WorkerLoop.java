package jfork.pool;

import jfork.process.Native;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.Map;

/**
 * What a fork pool worker runs after fork, like CPython's worker(): read a task frame from its task
 * pipe, run the items of that chunk, send one record back on the control pipe, repeat until EOF.
 * A frame names either a call that existed when the worker was forked ({@link #KNOWN}: the items are
 * in the worker's memory) or a later call of a function the worker knows ({@link #SENT}: the items
 * travel in the frame). Every path here is first run in the kernel by {@link ProcessPool#warmUp()},
 * because code a forked JVM runs for the first time can hang; so no lambda is created here.
 */
final class WorkerLoop {
    /** Control record types (2..127 are free for upper layers of the fork layer). */
    static final byte RESULT = 20, FAILED = 21, UNSENDABLE = 22;
    /** Task frame types. */
    static final byte KNOWN = 1, SENT = 2;
    /** What serve() returns when the worker used up half of the garbage it may make without a GC. */
    static final int RETIRED = 86;
    private static final int EINTR = 4;

    interface Sender {
        void send(byte type, byte[] payload) throws IOException;
    }

    private WorkerLoop() {
    }

    /**
     * Serves task frames until EOF (returns 0) or until this thread has allocated more than budget
     * bytes since allocatedAtFork (returns {@link #RETIRED}: a forked JVM cannot collect garbage, so a
     * worker that has made much of it ends before the next task could hang it; the pool re-queues
     * what it had prefetched).
     */
    static int serve(int taskFd, Map<Long, Job> known, RemoteFn[] fns, long budget, long allocatedAtFork,
                     Sender sender) throws IOException {
        byte[] four = new byte[4];
        while (true) {
            int len = readInt(taskFd, four);
            if (len < 0) return 0;
            byte[] frame = readFully(taskFd, len);
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(frame));
            byte type = in.readByte();
            long jobId = in.readLong();
            IdSender withId = new IdSender(jobId, sender);
            if (type == KNOWN) {
                int chunk = in.readInt();
                Job job = known.get(jobId);
                if (job == null) throw new IOException("task frame for call " + jobId + ", unknown to this worker");
                runChunk(chunk, new KnownTask(job), job.count, job.chunksize, withId);
            } else if (type == SENT) {
                int slot = in.readInt();
                int chunk = in.readInt();
                int chunksize = in.readInt();
                int count = in.readInt();
                Object[] items = Codec.readValues(in, null);
                RemoteFn fn = slot < fns.length ? fns[slot] : null;
                if (fn == null) throw new IOException("task frame for function slot " + slot + ", unknown to this worker");
                runChunk(chunk, new SentTask(fn, items, chunk * chunksize), count, chunksize, withId);
            } else {
                throw new IOException("unknown task frame type " + type);
            }
            if (allocatedBytes() - allocatedAtFork > budget) return RETIRED;
        }
    }

    /** Bytes this thread has allocated so far (a per-thread counter: no lock, no VM operation). */
    static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** Item i of a call the worker has in memory. */
    static final class KnownTask implements ProcessPool.Task {
        private final Job job;

        KnownTask(Job job) {
            this.job = job;
        }

        @Override
        public Object run(int index) throws Throwable {
            return job.run(index);
        }
    }

    /** Item i of a call whose items came in the frame (from: the input index of the first one). */
    static final class SentTask implements ProcessPool.Task {
        private final RemoteFn fn;
        private final Object[] items;
        private final int from;

        SentTask(RemoteFn fn, Object[] items, int from) {
            this.fn = fn;
            this.items = items;
            this.from = from;
        }

        @Override
        public Object run(int index) throws Throwable {
            return fn.call(items[index - from]);
        }
    }

    /** Prefixes each record with the call's id, so that a worker can serve several calls. */
    static final class IdSender implements Sender {
        private final long id;
        private final Sender to;

        IdSender(long id, Sender to) {
            this.id = id;
            this.to = to;
        }

        @Override
        public void send(byte type, byte[] payload) throws IOException {
            byte[] p = new byte[8 + payload.length];
            for (int k = 0; k < 8; k++) p[k] = (byte) (id >>> (56 - 8 * k));
            System.arraycopy(payload, 0, p, 8, payload.length);
            to.send(type, p);
        }
    }

    static void runChunk(int chunk, ProcessPool.Task task, int count, int chunksize, Sender sender) throws IOException {
        int from = chunk * chunksize;
        int to = Math.min(count, from + chunksize);
        long t0 = System.nanoTime();
        Object[] values = new Object[to - from];
        for (int i = from; i < to; i++) {
            try {
                values[i - from] = task.run(i);
            } catch (Throwable t) {
                ByteArrayOutputStream fail = header(chunk, t0);
                DataOutputStream f = new DataOutputStream(fail);
                f.writeInt(i);
                Codec.writeString(f, t.getClass().getName());
                Codec.writeString(f, String.valueOf(t.getMessage()));
                Codec.writeString(f, traceback(t));
                sender.send(FAILED, fail.toByteArray());
                return;
            }
        }
        ByteArrayOutputStream rec = header(chunk, t0);
        try {
            Codec.writeValues(new DataOutputStream(rec), values, 0, values.length);
        } catch (Codec.Unsendable u) {
            int i = from;
            for (int k = 0; k < values.length; k++) if (!Codec.compact(values[k]) && !sendable(values[k])) { i = from + k; break; }
            ByteArrayOutputStream fail = header(chunk, t0);
            DataOutputStream f = new DataOutputStream(fail);
            f.writeInt(i);
            Codec.writeString(f, u.typeName);
            Codec.writeString(f, String.valueOf(u.getMessage()));
            sender.send(UNSENDABLE, fail.toByteArray());
            return;
        }
        sender.send(RESULT, rec.toByteArray());
    }

    /** Whether Java serialization takes v (to name the first unsendable result of a chunk). */
    private static boolean sendable(Object v) {
        try {
            Codec.write(new DataOutputStream(new ByteArrayOutputStream()), v);
            return true;
        } catch (IOException | Codec.Unsendable e) {
            return false;
        }
    }

    private static ByteArrayOutputStream header(int chunk, long t0) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(chunk);
        d.writeLong(t0);
        d.writeLong(System.nanoTime());
        return b;
    }

    /** The throwable and its causes, frames up to the first jfork frame (the pool's own machinery). */
    static String traceback(Throwable t) {
        StringBuilder sb = new StringBuilder();
        int depth = 0;
        for (Throwable c = t; c != null && depth < 8; c = c.getCause(), depth++) {
            if (c != t) sb.append("Caused by: ");
            sb.append(c).append('\n');
            for (StackTraceElement e : c.getStackTrace()) {
                if (e.getClassName().startsWith("jfork.")) break;
                sb.append("\tat ").append(e).append('\n');
            }
        }
        return sb.toString();
    }

    /** The next int of the task pipe, or -1 at EOF (the pool has no more work for this worker). */
    static int readInt(int fd, byte[] four) throws IOException {
        int have = 0;
        byte[] rest = four;
        while (have < 4) {
            int n = Native.posix().read(fd, rest, 4 - have);
            if (n == 0) return -1;
            if (n < 0) {
                int errno = Native.posix().errno();
                if (errno == EINTR) continue;
                throw new IOException("task pipe read failed, errno " + errno);
            }
            if (rest != four) System.arraycopy(rest, 0, four, have, n);
            have += n;
            if (have < 4) rest = new byte[4 - have];
        }
        return ((four[0] & 0xff) << 24) | ((four[1] & 0xff) << 16) | ((four[2] & 0xff) << 8) | (four[3] & 0xff);
    }

    /** len bytes of the task pipe (a frame's body). */
    static byte[] readFully(int fd, int len) throws IOException {
        byte[] frame = new byte[len];
        byte[] part = frame;
        int have = 0;
        while (have < len) {
            int n = Native.posix().read(fd, part, len - have);
            if (n == 0) throw new IOException("task pipe closed in the middle of a frame");
            if (n < 0) {
                int errno = Native.posix().errno();
                if (errno == EINTR) continue;
                throw new IOException("task pipe read failed, errno " + errno);
            }
            if (part != frame) System.arraycopy(part, 0, frame, have, n);
            have += n;
            if (have < len) part = new byte[len - have];
        }
        return frame;
    }
}
