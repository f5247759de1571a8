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

    @Test
    void whenItsLauncherIsKilledTheKernelEndsWithItsChildren() throws Exception {
        try (KernelProcess launcher = new KernelProcess(true); TestClient client = new TestClient(launcher)) {
            client.waitReady();
            ProcessHandle kernel = launcher.process.children().findFirst().orElseThrow();
            assertEquals("ok", client.execute("%fork_config --wait 0").status());
            TestClient.Execution forked = client.execute(
                    "int sleeper = os.fork(); if (sleeper == 0) { Thread.sleep(600_000); } sleeper");
            assertEquals("ok", forked.status(), forked::toString);
            ProcessHandle child = kernel.children().findFirst().orElseThrow(() -> new AssertionError("no child of the kernel"));

            launcher.process.destroyForcibly().waitFor(); // SIGKILL: the kernel is not told
            long deadline = System.currentTimeMillis() + 5000;
            while ((kernel.isAlive() || child.isAlive()) && System.currentTimeMillis() < deadline) Thread.sleep(50);
            assertFalse(kernel.isAlive(), () -> "kernel still running 5 s after its launcher died; log:\n" + ForkCellTest.logOf(launcher));
            assertFalse(child.isAlive(), "the kernel's child outlived it");
            String log = launcher.log();
            assertTrue(log.contains("is gone: shutting down"), log);
        }
    }
}
