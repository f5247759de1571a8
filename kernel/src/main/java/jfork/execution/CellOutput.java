package jfork.execution;

import jfork.display.MimeBundle;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Routes System.out/System.err to the cell that produced the text, batches it and flushes at least
 * every {@value #FLUSH_INTERVAL_MS} ms and at cell end: one message per batch, never one per line,
 * so nothing is dropped and the final idle always follows the output.
 */
public final class CellOutput {
    static final int FLUSH_INTERVAL_MS = 20;
    private static final int FLUSH_NOW_BYTES = 1 << 20;

    private record Chunk(Object cell, String stream, byte[] bytes) {
    }

    private static volatile CellOutput installed;

    /** Output tagged with this goes to the next cell that starts (a signal handler ran while the kernel was idle). */
    public static final Object NEXT_CELL = new Object() {
        @Override
        public String toString() {
            return "the next cell";
        }
    };

    private final OutputSink sink;
    private final InheritableThreadLocal<Object> threadCell = new InheritableThreadLocal<>();
    private volatile Object lastCell;
    private volatile Object runningCell;
    private final Object bufferLock = new Object();
    private final Object sendLock = new Object();
    private List<Chunk> pending = new ArrayList<>();
    private int pendingBytes;

    private CellOutput(OutputSink sink) {
        this.sink = sink;
    }

    /** Replaces System.out and System.err for the whole kernel JVM. */
    public static CellOutput install(OutputSink sink) {
        CellOutput out = new CellOutput(sink);
        System.setOut(new PrintStream(out.stream("stdout"), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(out.stream("stderr"), true, StandardCharsets.UTF_8));
        Thread flusher = new Thread(out::flushLoop, "jfork-output-flusher");
        flusher.setDaemon(true);
        flusher.start();
        installed = out;
        return out;
    }

    public static CellOutput current() {
        return installed;
    }

    /** Marks the calling thread (and threads it starts from now on) as working for {@code cell}. */
    void enterCell(Object cell) {
        threadCell.set(cell);
        lastCell = cell;
        runningCell = cell;
        synchronized (bufferLock) {
            pending.replaceAll(c -> c.cell == NEXT_CELL ? new Chunk(cell, c.stream, c.bytes) : c);
        }
    }

    /** The cell has ended: output of signal handlers now waits for the next one. */
    void leaveCell() {
        runningCell = null;
    }

    /** The cell being executed now, or null when the kernel is idle. */
    Object runningCell() {
        return runningCell;
    }

    /** Routes the calling thread's output to {@code cell} only (not the fallback of other threads). */
    void setThreadCell(Object cell) {
        threadCell.set(cell);
    }

    /** The cell whose output the calling thread produces; threads a cell started keep their cell. */
    public Object cell() {
        Object c = threadCell.get();
        return c != null ? c : lastCell;
    }

    OutputStream stream(String name) {
        return new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[]{(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                append(cell(), name, b, off, len);
            }
        };
    }

    public void append(Object cell, String stream, byte[] b, int off, int len) {
        if (len == 0) return;
        byte[] copy = new byte[len];
        System.arraycopy(b, off, copy, 0, len);
        boolean flushNow;
        synchronized (bufferLock) {
            pending.add(new Chunk(cell, stream, copy));
            pendingBytes += len;
            flushNow = pendingBytes >= FLUSH_NOW_BYTES;
        }
        if (flushNow) flush();
    }

    public void display(MimeBundle bundle, String displayId, boolean update) {
        Object cell = cell();
        synchronized (sendLock) {
            flush();
            sink.display(cell, bundle, displayId, update);
        }
    }

    public void clearOutput(boolean wait) {
        Object cell = cell();
        synchronized (sendLock) {
            flush();
            sink.clearOutput(cell, wait);
        }
    }

    /** Sends everything buffered so far, in order, merging runs of the same cell and stream. */
    public void flush() {
        synchronized (sendLock) {
            List<Chunk> batch;
            synchronized (bufferLock) {
                if (pending.isEmpty()) return;
                batch = new ArrayList<>();
                List<Chunk> held = new ArrayList<>();
                for (Chunk c : pending) (c.cell == NEXT_CELL ? held : batch).add(c);
                if (batch.isEmpty()) return;
                pending = held;
                pendingBytes = 0;
                for (Chunk c : held) pendingBytes += c.bytes.length;
            }
            int i = 0;
            while (i < batch.size()) {
                Chunk first = batch.get(i);
                int j = i;
                int total = 0;
                while (j < batch.size() && batch.get(j).cell == first.cell && batch.get(j).stream.equals(first.stream)) {
                    total += batch.get(j).bytes.length;
                    j++;
                }
                byte[] all = new byte[total];
                int pos = 0;
                for (int k = i; k < j; k++) {
                    byte[] b = batch.get(k).bytes;
                    System.arraycopy(b, 0, all, pos, b.length);
                    pos += b.length;
                }
                int complete = Utf8.completePrefix(all);
                if (complete < all.length) {
                    // keep a split multi-byte character for the next batch
                    byte[] tail = new byte[all.length - complete];
                    System.arraycopy(all, complete, tail, 0, tail.length);
                    synchronized (bufferLock) {
                        pending.add(0, new Chunk(first.cell, first.stream, tail));
                        pendingBytes += tail.length;
                    }
                }
                if (complete > 0) sink.stream(first.cell, first.stream, new String(all, 0, complete, StandardCharsets.UTF_8));
                i = j;
            }
        }
    }

    private void flushLoop() {
        while (true) {
            try {
                Thread.sleep(FLUSH_INTERVAL_MS);
                jfork.process.ForkGate.enter();
                try {
                    flush();
                } finally {
                    jfork.process.ForkGate.leave();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                jfork.Log.warn("output flush failed: " + e);
            }
        }
    }
}
