package jfork.protocol;

import com.google.gson.JsonObject;
import io.github.spencerpark.jupyter.messages.HMACGenerator;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Starts a kernel on free loopback ports and talks to it as a client would (kernel_info, a few
 * cells), so that install/run can record the classes a session loads into a CDS archive.
 */
public final class SelfTest {
    public static void run(java.util.function.BiFunction<jfork.execution.OutputSink, jfork.execution.InputSource,
            jfork.execution.Interpreter> interpreters) throws Exception {
        String key = UUID.randomUUID().toString();
        JsonObject conn = new JsonObject();
        conn.addProperty("transport", "tcp");
        conn.addProperty("ip", "127.0.0.1");
        conn.addProperty("signature_scheme", "hmac-sha256");
        conn.addProperty("key", key);
        for (String p : List.of("shell_port", "control_port", "stdin_port", "iopub_port", "hb_port")) {
            try (ServerSocket s = new ServerSocket(0)) {
                conn.addProperty(p, s.getLocalPort());
            }
        }
        Path file = Files.createTempFile("jfork-selftest", ".json");
        Files.writeString(file, conn.toString());
        KernelLauncher.launch(file, interpreters);
        WireCodec codec = new WireCodec(new Signer(new HMACGenerator("HmacSHA256", key)));
        Session session = new Session();
        try (ZContext ctx = new ZContext()) {
            ZMQ.Socket shell = ctx.createSocket(SocketType.DEALER);
            shell.connect("tcp://127.0.0.1:" + conn.get("shell_port").getAsInt());
            for (String code : new String[]{null, "1 + 1", "System.out.println(\"warm\");", "int w = 2; w * 21",
                    "void greet() { System.out.println(\"hi\"); } greet();", "%lsmagic"}) {
                JsonObject content = new JsonObject();
                String type = code == null ? "kernel_info_request" : "execute_request";
                if (code != null) {
                    content.addProperty("code", code);
                    content.addProperty("silent", false);
                }
                WireMessage m = new WireMessage(List.of(), session.header(type), new JsonObject(), new JsonObject(), content, List.of());
                Sockets.send(shell, codec.encode(m));
                shell.setReceiveTimeOut(60_000);
                List<byte[]> frames = Sockets.receive(shell);
                if (frames == null) throw new IllegalStateException("no reply to " + type);
                codec.decode(new ArrayList<>(frames));
            }
        }
        Files.deleteIfExists(file);
        System.err.println("[jfork] self-test passed: kernel_info and 5 cells answered");
    }

    private SelfTest() {
    }
}
