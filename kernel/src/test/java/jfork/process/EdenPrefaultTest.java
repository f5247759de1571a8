package jfork.process;

import static org.junit.jupiter.api.Assertions.*;

import java.io.RandomAccessFile;
import org.junit.jupiter.api.Test;

class EdenPrefaultTest {
    private static final long PAGE = 4096, HUGE = 2L << 20;

    @Test
    void theFreePartOfEdenBecomesResident() throws Exception {
        EdenSpace eden = EdenSpace.locate();
        assertNotNull(eden);
        System.gc(); // an empty eden, whatever the tests before left in it
        EdenPrefault prefault = new EdenPrefault(eden);
        assertTrue(prefault.run(() -> false), "ran to the end");
        assertTrue(prefault.done());
        long from = ((eden.top() + HUGE - 1) & -HUGE) + HUGE, to = eden.end() & -HUGE;
        assertTrue(to - from >= 16L << 20, "a free part to look at: " + (to - from) + " bytes");
        long pages = (to - from) / PAGE, present = 0;
        byte[] entries = new byte[(int) (pages * 8)];
        try (RandomAccessFile pagemap = new RandomAccessFile("/proc/self/pagemap", "r")) {
            pagemap.seek(from / PAGE * 8);
            pagemap.readFully(entries);
        }
        for (int i = 0; i < pages; i++) if ((entries[i * 8 + 7] & 0x80) != 0) present++; // bit 63: present
        assertEquals(pages, present, "resident pages of eden's free part");
    }

    @Test
    void itStopsWhenAsked() {
        EdenPrefault prefault = new EdenPrefault(EdenSpace.locate());
        assertFalse(prefault.run(() -> true));
        assertFalse(prefault.done());
    }
}
