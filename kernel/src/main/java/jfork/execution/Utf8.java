package jfork.execution;

/** UTF-8 boundaries, so a character split across two writes is never sent as two broken halves. */
final class Utf8 {
    /** Length of the longest prefix of {@code b} that does not end inside a multi-byte sequence. */
    static int completePrefix(byte[] b) {
        int n = b.length;
        for (int back = 1; back <= 3 && back <= n; back++) {
            int c = b[n - back] & 0xFF;
            if ((c & 0xC0) == 0x80) continue; // continuation byte: look further back
            int need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            return need > back ? n - back : n;
        }
        return n;
    }

    private Utf8() {
    }
}
