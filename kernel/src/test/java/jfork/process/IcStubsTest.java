package jfork.process;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashMap;
import org.junit.jupiter.api.Test;

/** The inline-cache stub buffer a child inherits: found on JDK 17, emptied by the kernel's safepoint. */
class IcStubsTest {
    @Test
    void foundOnJdk17AndEmptiedByASafepoint() {
        IcStubs stubs = IcStubs.locate(Forker.get().vmMutexes());
        if (Runtime.version().feature() >= 22) {
            assertNull(stubs, "JDK " + Runtime.version() + " has no inline-cache buffer");
            return;
        }
        assertNotNull(stubs, "InlineCacheBuffer::_buffer not found or not as expected on " + Runtime.version());
        Object[] receivers = {"a", 1, 2L, 3.0, new ArrayList<>(), new HashMap<>()};
        long sink = 0;
        int most = 0;
        for (int round = 0; round < 20 && most == 0; round++) { // megamorphic call sites in compiled code take stubs
            for (int i = 0; i < 200_000; i++) sink += receivers[(i * 7 + round) % receivers.length].hashCode();
            most = Math.max(most, stubs.used());
        }
        assertTrue(stubs.used() >= 0 && stubs.used() < 1000, "implausible stub count " + stubs.used());
        stubs.emptyWithASafepoint();
        assertTrue(stubs.used() <= 2, "after the safepoint " + stubs.used() + " stubs (" + most + " before; " + sink + ")");
    }
}
