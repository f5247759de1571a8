package jfork.process;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * ONE daemon thread that poll(2)s the read ends of all live children's pipes plus a self-wakeup
 * pipe, delivers bytes to each child's {@link ChildOutput} in order, reassembles control records,
 * closes each fd at EOF and reports onClosed once all pipes of a child are done.
 * Between polls (at most every {@link #TICK_MS} ms) it runs a tick, used to reap exited children.
 */
public final class OutputPump implements AutoCloseable {
    static final int TICK_MS = 50;
    private static final int EINTR = 4, EAGAIN = 11;

    private enum Kind { STDOUT, STDERR, CONTROL }

    private static final class Source {
        final Pipes owner; final Kind kind; final int fd; boolean done;
        Source(Pipes owner, Kind kind, int fd) { this.owner = owner; this.kind = kind; this.fd = fd; }
    }

    private static final class Pipes {
        final int pid; final ChildOutput out; int open;
        final ControlFrames.Reassembler control = new ControlFrames.Reassembler();
        Pipes(int pid, ChildOutput out) { this.pid = pid; this.out = out; }
    }

    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    /** Every fd this pump owns, for a forked child to close (it must not hold our pipes open). */
    private final Set<Integer> ownedFds = ConcurrentHashMap.newKeySet();
    private final Set<Integer> openPids = ConcurrentHashMap.newKeySet();
    private final int wakeRead, wakeWrite;
    private final Runnable tick;
    private final Thread thread;
    private volatile boolean closing;

    // Pump-thread-only state.
    private final List<Source> sources = new ArrayList<>();
    private final Map<Integer, Pipes> byPid = new HashMap<>();
    private final byte[] buf = new byte[64 * 1024];
    private int[] pollfds = new int[64];

    public OutputPump(Runnable tick) {
        int[] wake = new int[2];
        if (Native.posix().pipe(wake) < 0) throw PosixException.last("pipe() for the output pump wakeup");
        wakeRead = wake[0];
        wakeWrite = wake[1];
        ownedFds.add(wakeRead);
        ownedFds.add(wakeWrite);
        this.tick = tick == null ? () -> {} : tick;
        thread = new Thread(this::loop, "jfork-output-pump");
        thread.setDaemon(true);
        thread.start();
    }

    /** Hands the read ends of a freshly forked child's pipes to the pump. */
    public void register(int pid, int stdoutFd, int stderrFd, int controlFd, ChildOutput out) {
        ownedFds.add(stdoutFd);
        ownedFds.add(stderrFd);
        ownedFds.add(controlFd);
        openPids.add(pid);
        commands.add(() -> {
            Pipes p = new Pipes(pid, out);
            byPid.put(pid, p);
            sources.add(new Source(p, Kind.STDOUT, stdoutFd));
            sources.add(new Source(p, Kind.STDERR, stderrFd));
            sources.add(new Source(p, Kind.CONTROL, controlFd));
            p.open = 3;
        });
        wake();
    }

    /** Closes a child's pipes without waiting for EOF (its descendants may hold them open). */
    public void forget(int pid) {
        commands.add(() -> {
            for (Source s : sources) if (s.owner.pid == pid && !s.done) finish(s);
            sources.removeIf(s -> s.done);
        });
        wake();
    }

    // pump thread only: callers waiting until everything children have written so far is delivered
    private final java.util.List<java.util.concurrent.CountDownLatch> syncs = new java.util.ArrayList<>();

    /**
     * Waits until the pump has delivered everything live children had written before this call
     * (a poll finds nothing more to read). For a cell that ends while its children still run.
     */
    public boolean sync(long timeoutMillis) {
        if (Thread.currentThread() == thread) return true;
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        commands.add(() -> syncs.add(done));
        wake();
        try {
            return done.await(timeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Waits until all pipes of pid hit EOF (or were forgotten); false on timeout. */
    public boolean awaitClosed(int pid, long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        synchronized (openPids) {
            while (openPids.contains(pid)) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) return false;
                try {
                    openPids.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return true;
    }

    /** Pids whose pipes are still open. */
    public Set<Integer> openPids() { return Set.copyOf(openPids); }

    /** Snapshot of every fd the pump owns (including its wakeup pipe). */
    public int[] ownedFds() {
        return ownedFds.stream().mapToInt(Integer::intValue).toArray();
    }

    private void wake() {
        byte[] one = {1};
        Native.posix().write(wakeWrite, one, 1);
    }

    private void loop() {
        LibC libc = Native.libc();
        while (!closing) {
            int n;
            ForkGate.enter();
            try {
                Runnable c;
                while ((c = commands.poll()) != null) c.run();
                n = sources.size() + 1;
                if (pollfds.length < 2 * n) pollfds = new int[4 * n];
                pollfds[0] = wakeRead;
                pollfds[1] = LibC.POLLIN;
                for (int i = 1; i < n; i++) {
                    pollfds[2 * i] = sources.get(i - 1).fd;
                    pollfds[2 * i + 1] = LibC.POLLIN;
                }
            } finally {
                ForkGate.leave();
            }
            int r = libc.poll(pollfds, n, syncs.isEmpty() ? TICK_MS : 0);
            ForkGate.enter();
            try {
                r = afterPoll(r, n);
            } finally {
                ForkGate.leave();
            }
        }
        for (Source s : sources) if (!s.done) finish(s);
        Native.posix().close(wakeRead);
        Native.posix().close(wakeWrite);
    }

    private long lastTick = System.nanoTime();

    /** Everything the pump does between two polls: reaping tick, reading, delivering. */
    private int afterPoll(int r, int n) {
        {
            long now = System.nanoTime();
            if (now - lastTick >= TICK_MS * 1_000_000L) {
                lastTick = now;
                try {
                    tick.run();
                } catch (Throwable t) {
                    t.printStackTrace();
                }
            }
            boolean dataReady = false;
            for (int i = 1; r > 0 && i < n; i++) dataReady |= (pollfds[2 * i + 1] >>> 16) != 0;
            if (!dataReady && !syncs.isEmpty()) {
                syncs.forEach(java.util.concurrent.CountDownLatch::countDown);
                syncs.clear();
            }
            if (r <= 0) return r;
            if ((pollfds[1] >>> 16) != 0) Native.posix().read(wakeRead, buf, buf.length);
            boolean removed = false;
            for (int i = 1; i < n; i++) {
                int revents = pollfds[2 * i + 1] >>> 16;
                if (revents == 0) continue;
                Source s = sources.get(i - 1);
                if ((revents & LibC.POLLNVAL) != 0) {
                    finish(s); // someone closed it under us: drop, never close a number we may not own
                } else {
                    drain(s);
                }
                removed |= s.done;
            }
            if (removed) sources.removeIf(s -> s.done);
            return r;
        }
    }

    private void drain(Source s) {
        int n = Native.posix().read(s.fd, buf, buf.length);
        if (n > 0) {
            deliver(s, n);
        } else if (n == 0) {
            finish(s);
        } else {
            int errno = Native.posix().errno();
            if (errno != EINTR && errno != EAGAIN) finish(s);
        }
    }

    private void deliver(Source s, int n) {
        Pipes p = s.owner;
        try {
            switch (s.kind) {
                case STDOUT -> p.out.onOutput(p.pid, ChildOutput.Stream.STDOUT, java.util.Arrays.copyOf(buf, n));
                case STDERR -> p.out.onOutput(p.pid, ChildOutput.Stream.STDERR, java.util.Arrays.copyOf(buf, n));
                case CONTROL -> p.control.feed(buf, 0, n, (type, payload) -> p.out.onControl(p.pid, type, payload));
            }
        } catch (Throwable t) {
            // A faulty listener must not stop output of every other child.
            System.err.println("jfork: ChildOutput listener failed for pid " + p.pid + ": " + t);
        }
    }

    /** Closes one fd; when it was the child's last, reports onClosed. */
    private void finish(Source s) {
        if (s.done) return;
        s.done = true;
        ownedFds.remove(s.fd); // before close: once closed, the number may be reused by a new pipe
        Native.posix().close(s.fd);
        Pipes p = s.owner;
        if (--p.open == 0) {
            byPid.remove(p.pid);
            try {
                p.out.onClosed(p.pid);
            } catch (Throwable t) {
                System.err.println("jfork: ChildOutput.onClosed failed for pid " + p.pid + ": " + t);
            }
            synchronized (openPids) {
                openPids.remove(p.pid);
                openPids.notifyAll();
            }
        }
    }

    @Override public void close() {
        closing = true;
        wake();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
