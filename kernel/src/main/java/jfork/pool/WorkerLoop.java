package jfork.pool;

import jfork.process.Native;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * What a worker runs after fork: read a chunk number (4 bytes) from its task pipe, run the items of
 * that chunk, send one record back on the control pipe, repeat until EOF. Like CPython's worker(),
 * a bare loop; EOF is the sentinel. Every path here is first run in the kernel by
 * {@link ProcessPool#warmUp()}, because code a forked JVM runs for the first time can hang.
 */
final class WorkerLoop {
    /** Control record types (2..127 are free for upper layers of the fork layer). */
    static final byte RESULT = 20, FAILED = 21, UNSENDABLE = 22;
    private static final int EINTR = 4;

    interface Sender {
        void send(byte type, byte[] payload) throws IOException;
    }

    private WorkerLoop() {
    }

    static void serve(int taskFd, ProcessPool.Task task, int count, int chunksize, Sender sender) throws IOException {
        byte[] four = new byte[4];
        while (true) {
            int chunk = readInt(taskFd, four);
            if (chunk < 0) return;
            runChunk(chunk, task, count, chunksize, sender);
        }
    }

    static void runChunk(int chunk, ProcessPool.Task task, int count, int chunksize, Sender sender) throws IOException {
        int from = chunk * chunksize;
        int to = Math.min(count, from + chunksize);
        long t0 = System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream(16 + (to - from) * 6);
        DataOutputStream out = new DataOutputStream(body);
        for (int i = from; i < to; i++) {
            Object v;
            try {
                v = task.run(i);
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
            try {
                Codec.write(out, v);
            } catch (Codec.Unsendable u) {
                ByteArrayOutputStream fail = header(chunk, t0);
                DataOutputStream f = new DataOutputStream(fail);
                f.writeInt(i);
                Codec.writeString(f, u.typeName);
                Codec.writeString(f, String.valueOf(u.getMessage()));
                sender.send(UNSENDABLE, fail.toByteArray());
                return;
            }
        }
        ByteArrayOutputStream rec = header(chunk, t0);
        new DataOutputStream(rec).writeInt(to - from);
        body.writeTo(rec);
        sender.send(RESULT, rec.toByteArray());
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

    /** The next chunk number, or -1 at EOF (the pool has no more work for this worker). */
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
}
