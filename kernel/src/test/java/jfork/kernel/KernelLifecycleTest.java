package jfork.kernel;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static jfork.kernel.TestClient.obj;
import static org.junit.jupiter.api.Assertions.*;

/** Shutdown is prompt even while a cell runs, and leaves no process behind. */
@Timeout(60)
class KernelLifecycleTest {
    @Test
    void shutdownWhileACellRunsEndsTheKernelWithinTwoSeconds() throws Exception {
        try (KernelProcess kernel = new KernelProcess(); TestClient client = new TestClient(kernel)) {
            client.waitReady();
            client.send(client.shell, "execute_request", obj("code", "while (true) { }", "silent", false,
                    "store_history", true, "user_expressions", new JsonObject(), "allow_stdin", false, "stop_on_error", true));
            Thread.sleep(500);
            long t0 = System.nanoTime();
            TestClient.Msg reply = client.request(client.control, "shutdown_request", obj("restart", false));
            assertEquals("ok", reply.content().get("status").getAsString());
            boolean ended = kernel.process.waitFor(2, TimeUnit.SECONDS);
            assertTrue(ended, () -> "kernel still running 2 s after shutdown; log:\n" + ForkCellTest.logOf(kernel));
            assertTrue((System.nanoTime() - t0) / 1e9 < 2.0);
            assertTrue(kernel.process.descendants().findAny().isEmpty());
        }
    }
}
