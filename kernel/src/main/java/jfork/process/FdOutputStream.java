package jfork.process;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Unbuffered writes straight to a file descriptor with write(2): a child killed right after
 * println has lost nothing, because nothing sits in a Java buffer.
 */
public final class FdOutputStream extends OutputStream {
    private static final int EINTR = 4;
    private final int fd;
    private final byte[] one = new byte[1];

    public FdOutputStream(int fd) { this.fd = fd; }

    public int fd() { return fd; }

    @Override public void write(int b) throws IOException {
        one[0] = (byte) b;
        write(one, 0, 1);
    }

    @Override public void write(byte[] b, int off, int len) throws IOException {
        // jnr passes a byte[] from its start only: copy when an offset is asked for.
        byte[] buf = off == 0 ? b : java.util.Arrays.copyOfRange(b, off, off + len);
        int done = 0;
        while (done < len) {
            byte[] rest = done == 0 ? buf : java.util.Arrays.copyOfRange(buf, done, len);
            int n = Native.posix().write(fd, rest, len - done);
            if (n < 0) {
                int errno = Native.posix().errno();
                if (errno == EINTR) continue;
                throw new IOException(new PosixException("write(fd " + fd + ")", errno).getMessage());
            }
            done += n;
        }
    }
}
