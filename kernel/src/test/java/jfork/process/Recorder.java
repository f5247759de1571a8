package jfork.process;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A ChildOutput that keeps everything it receives, for assertions. */
final class Recorder implements ChildOutput {
    record Control(int pid, byte type, byte[] payload) {}

    private final Map<Integer, ByteArrayOutputStream> out = new ConcurrentHashMap<>();
    private final Map<Integer, ByteArrayOutputStream> err = new ConcurrentHashMap<>();
    final List<Control> controls = new CopyOnWriteArrayList<>();
    final List<Integer> closed = new CopyOnWriteArrayList<>();

    @Override public void onOutput(int pid, Stream stream, byte[] data) {
        var m = stream == Stream.STDOUT ? out : err;
        ByteArrayOutputStream b = m.computeIfAbsent(pid, k -> new ByteArrayOutputStream());
        synchronized (b) { b.writeBytes(data); }
    }

    @Override public void onControl(int pid, byte type, byte[] payload) { controls.add(new Control(pid, type, payload)); }

    @Override public void onClosed(int pid) { closed.add(pid); }

    String stdout(int pid) { return text(out.get(pid)); }

    String stderr(int pid) { return text(err.get(pid)); }

    /** All stdout received, whatever pid wrote it (grandchildren share the child's pipe). */
    String allStdout() {
        StringBuilder sb = new StringBuilder();
        for (var b : out.values()) sb.append(text(b));
        return sb.toString();
    }

    private static String text(ByteArrayOutputStream b) {
        if (b == null) return "";
        synchronized (b) { return b.toString(StandardCharsets.UTF_8); }
    }
}
