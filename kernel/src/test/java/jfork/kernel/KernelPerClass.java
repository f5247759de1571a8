package jfork.kernel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One real kernel per test class, over ZeroMQ, warmed by a first fork (the children's pipes and
 * the output pump exist from then on), and after every test what every fork-related test checks:
 * children gone, no zombie, no orphan, no leaked descriptor.
 */
abstract class KernelPerClass {
    static KernelProcess kernel;
    static TestClient client;
    static int baselineFds;

    @BeforeAll
    static void startKernel() throws Exception {
        kernel = new KernelProcess();
        client = new TestClient(kernel);
        client.waitReady();
        assertEquals("ok", client.execute("os.getpid()").status());
        client.execute("int warm = os.fork(); if (warm == 0) os._exit(0);");
        // the lowest count, not the first stable one: the fork layer keeps the threads' stat files
        // open for a burst of forks and closes them once forking pauses (~0.3 s)
        baselineFds = lowestFdCountOverASecond();
    }

    @AfterAll
    static void stopKernel() throws Exception {
        client.close();
        kernel.close();
    }

    /** How long children may take to be gone after a test. */
    long childGraceMillis() {
        return 100;
    }

    @AfterEach
    void noZombieNoOrphanNoLeakedDescriptor() throws Exception {
        kernel.assertNoZombieNoOrphanNoLeakedFd(baselineFds, childGraceMillis());
    }

    /** The smallest descriptor count over a second: one open for an instant must not raise the baseline. */
    static int lowestFdCountOverASecond() throws Exception {
        KernelProcess.stableFdCount(kernel.pid());
        int lowest = Integer.MAX_VALUE;
        for (int i = 0; i < 20; i++) {
            lowest = Math.min(lowest, KernelProcess.fds(kernel.pid()));
            Thread.sleep(50);
        }
        return lowest;
    }

    static String evalue(TestClient.Execution r) {
        return r.reply().content().has("evalue") ? r.reply().content().get("evalue").getAsString() : "";
    }
}
