package jfork.magics;

import java.io.IOException;
import java.io.OutputStream;

/** Puts a label at the start of every line, so the output of several children can be told apart. */
final class LinePrefixStream extends OutputStream {
    private final OutputStream out;
    private final byte[] prefix;
    private boolean atLineStart = true;

    LinePrefixStream(OutputStream out, String prefix) {
        this.out = out;
        this.prefix = prefix.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void write(int b) throws IOException {
        if (atLineStart) out.write(prefix);
        out.write(b);
        atLineStart = b == '\n';
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        int start = off;
        for (int i = off; i < off + len; i++) {
            if (atLineStart) {
                out.write(prefix);
                atLineStart = false;
            }
            if (b[i] == '\n') {
                out.write(b, start, i + 1 - start);
                start = i + 1;
                atLineStart = true;
            }
        }
        if (start < off + len) out.write(b, start, off + len - start);
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }
}
