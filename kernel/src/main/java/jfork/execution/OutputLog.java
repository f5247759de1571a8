package jfork.execution;

import java.nio.charset.StandardCharsets;

/** The tail of what one child printed, kept for %output after its cell has moved on. */
final class OutputLog {
    static final int CAPACITY = 64 * 1024;
    private final byte[] ring = new byte[CAPACITY];
    private long written;

    synchronized void append(byte[] data) {
        for (byte b : data) ring[(int) (written++ % CAPACITY)] = b;
    }

    synchronized String text() {
        int n = (int) Math.min(written, CAPACITY);
        byte[] out = new byte[n];
        long start = written - n;
        for (int i = 0; i < n; i++) out[i] = ring[(int) ((start + i) % CAPACITY)];
        String s = new String(out, StandardCharsets.UTF_8);
        return written > CAPACITY ? "[... earlier output dropped ...]\n" + s : s;
    }
}
