package jfork.process;

import java.io.ByteArrayOutputStream;

/**
 * Records on a child's control pipe: {@code [1 byte type][4 bytes big-endian length][payload]}.
 * Type 1 is {@link #STARTED}; 2..127 are free for upper layers.
 */
public final class ControlFrames {
    public static final byte STARTED = 1;
    /** Instead of STARTED: the child found a HotSpot mutex held and stopped (see Forker). */
    static final byte VM_MUTEX_HELD = -1;
    static final int HEADER = 5;
    /** Refuse absurd lengths: a corrupt stream must not make the pump allocate gigabytes. */
    static final int MAX_PAYLOAD = 64 << 20;

    private ControlFrames() {}

    public static byte[] encode(byte type, byte[] payload) {
        int n = payload == null ? 0 : payload.length;
        byte[] out = new byte[HEADER + n];
        out[0] = type;
        out[1] = (byte) (n >>> 24); out[2] = (byte) (n >>> 16); out[3] = (byte) (n >>> 8); out[4] = (byte) n;
        if (n > 0) System.arraycopy(payload, 0, out, HEADER, n);
        return out;
    }

    public interface Sink { void record(byte type, byte[] payload); }

    /** Turns arbitrary chunks of the byte stream back into whole records. */
    public static final class Reassembler {
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        public void feed(byte[] data, int off, int len, Sink sink) {
            pending.write(data, off, len);
            byte[] buf = pending.toByteArray();
            int pos = 0;
            while (buf.length - pos >= HEADER) {
                int n = ((buf[pos + 1] & 0xff) << 24) | ((buf[pos + 2] & 0xff) << 16)
                        | ((buf[pos + 3] & 0xff) << 8) | (buf[pos + 4] & 0xff);
                if (n < 0 || n > MAX_PAYLOAD) throw new IllegalStateException("corrupt control record length " + n);
                if (buf.length - pos - HEADER < n) break;
                byte[] payload = new byte[n];
                System.arraycopy(buf, pos + HEADER, payload, 0, n);
                sink.record(buf[pos], payload);
                pos += HEADER + n;
            }
            pending.reset();
            pending.write(buf, pos, buf.length - pos);
        }

        /** Bytes of an unfinished record (non-zero at EOF means the child died mid-record). */
        public int pendingBytes() { return pending.size(); }
    }
}
