package jfork.kernel;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/** A small Jupyter client over ZeroMQ with signed messages, independent of the kernel's own code. */
final class TestClient implements AutoCloseable {
    record Msg(String type, JsonObject header, JsonObject parent, JsonObject content) {
        String parentId() {
            return parent.has("msg_id") ? parent.get("msg_id").getAsString() : "";
        }
    }

    private final ZContext ctx = new ZContext();
    final ZMQ.Socket shell;
    final ZMQ.Socket control;
    final ZMQ.Socket stdin;
    final ZMQ.Socket iopub;
    final ZMQ.Socket hb;
    private final byte[] key;
    private final String session = UUID.randomUUID().toString();
    // like jupyter_client: every channel uses the session as identity, so the kernel can address stdin
    private final byte[] identity = session.getBytes(StandardCharsets.UTF_8);

    private KernelProcess kernel;

    /** A client of a kernel started by the test: failures then show the kernel's log. */
    TestClient(KernelProcess kernel) {
        this(kernel.connection);
        this.kernel = kernel;
    }

    TestClient(JsonObject conn) {
        String base = "tcp://" + conn.get("ip").getAsString() + ":";
        key = conn.get("key").getAsString().getBytes(StandardCharsets.UTF_8);
        shell = connect(SocketType.DEALER, base + conn.get("shell_port").getAsInt());
        control = connect(SocketType.DEALER, base + conn.get("control_port").getAsInt());
        stdin = connect(SocketType.DEALER, base + conn.get("stdin_port").getAsInt());
        iopub = ctx.createSocket(SocketType.SUB);
        iopub.subscribe(new byte[0]);
        iopub.connect(base + conn.get("iopub_port").getAsInt());
        hb = connect(SocketType.REQ, base + conn.get("hb_port").getAsInt());
    }

    private ZMQ.Socket connect(SocketType type, String addr) {
        ZMQ.Socket s = ctx.createSocket(type);
        if (type != SocketType.REQ) s.setIdentity(identity);
        s.setLinger(0);
        s.connect(addr);
        return s;
    }

    String send(ZMQ.Socket socket, String type, JsonObject content) {
        return send(socket, type, content, true);
    }

    String send(ZMQ.Socket socket, String type, JsonObject content, boolean validSignature) {
        JsonObject h = new JsonObject();
        String id = UUID.randomUUID().toString();
        h.addProperty("msg_id", id);
        h.addProperty("session", session);
        h.addProperty("username", "test");
        h.addProperty("date", java.time.OffsetDateTime.now().toString());
        h.addProperty("msg_type", type);
        h.addProperty("version", "5.3");
        List<byte[]> parts = List.of(bytes(h), bytes(new JsonObject()), bytes(new JsonObject()), bytes(content));
        String sig = validSignature ? sign(parts) : "0".repeat(64);
        socket.sendMore("<IDS|MSG>");
        socket.sendMore(sig);
        for (int i = 0; i < 4; i++) socket.send(parts.get(i), i < 3 ? ZMQ.SNDMORE : 0);
        return id;
    }

    String sign(List<byte[]> parts) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            for (byte[] p : parts) mac.update(p);
            return HexFormat.of().formatHex(mac.doFinal());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Receives one message, checking its signature; null on timeout. */
    Msg receive(ZMQ.Socket socket, int timeoutMs) {
        socket.setReceiveTimeOut(timeoutMs);
        List<byte[]> frames = new ArrayList<>();
        byte[] f = socket.recv(0);
        if (f == null) return null;
        frames.add(f);
        while (socket.hasReceiveMore()) frames.add(socket.recv(0));
        int d = 0;
        while (!new String(frames.get(d), StandardCharsets.UTF_8).equals("<IDS|MSG>")) d++;
        List<byte[]> parts = frames.subList(d + 2, d + 6);
        String sig = new String(frames.get(d + 1), StandardCharsets.US_ASCII);
        if (!sig.equals(sign(parts))) throw new AssertionError("kernel sent a badly signed message");
        JsonObject header = parse(parts.get(0));
        return new Msg(header.get("msg_type").getAsString(), header, parse(parts.get(1)), parse(parts.get(3)));
    }

    /** Everything one execute produced, up to its idle, and its reply. */
    record Execution(Msg reply, List<Msg> iopub) {
        String stdout() {
            return stream("stdout");
        }

        String stderr() {
            return stream("stderr");
        }

        String stream(String name) {
            StringBuilder sb = new StringBuilder();
            for (Msg m : iopub) {
                if (m.type.equals("stream") && m.content.get("name").getAsString().equals(name)) {
                    sb.append(m.content.get("text").getAsString());
                }
            }
            return sb.toString();
        }

        List<Msg> of(String type) {
            return iopub.stream().filter(m -> m.type.equals(type)).toList();
        }

        String status() {
            return reply.content.get("status").getAsString();
        }

        String result() {
            List<Msg> r = of("execute_result");
            return r.isEmpty() ? null : r.get(0).content.getAsJsonObject("data").get("text/plain").getAsString();
        }

        String ename() {
            return reply.content.has("ename") ? reply.content.get("ename").getAsString() : null;
        }
    }

    Execution execute(String code) {
        return execute(code, new JsonObject(), 60_000);
    }

    Execution execute(String code, JsonObject extra, int timeoutMs) {
        JsonObject c = new JsonObject();
        c.addProperty("code", code);
        c.addProperty("silent", false);
        c.addProperty("store_history", true);
        c.add("user_expressions", new JsonObject());
        c.addProperty("allow_stdin", false);
        c.addProperty("stop_on_error", true);
        for (String k : extra.keySet()) c.add(k, extra.get(k));
        String id = send(shell, "execute_request", c);
        return collect(id, timeoutMs);
    }

    Execution collect(String id, int timeoutMs) {
        List<Msg> out = new ArrayList<>();
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            int left = (int) (deadline - System.currentTimeMillis());
            if (left <= 0) throw new AssertionError("no idle for " + id + " within " + timeoutMs + " ms; got " + types(out));
            Msg m = receive(iopub, left);
            if (m == null) continue;
            if (!m.parentId().equals(id)) continue;
            if (m.type.equals("status") && m.content.get("execution_state").getAsString().equals("idle")) break;
            out.add(m);
        }
        Msg reply = replyTo(shell, id, 10_000);
        return new Execution(reply, out);
    }

    Msg replyTo(ZMQ.Socket socket, String id, int timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            Msg m = receive(socket, (int) Math.max(1, deadline - System.currentTimeMillis()));
            if (m != null && m.parentId().equals(id)) return m;
        }
        throw new AssertionError("no reply to " + id);
    }

    Msg request(ZMQ.Socket socket, String type, JsonObject content) {
        String id = send(socket, type, content);
        return replyTo(socket, id, 30_000);
    }

    /** Drains IOPub messages that arrive within {@code ms}. */
    List<Msg> drainIopub(int ms) {
        List<Msg> out = new ArrayList<>();
        long deadline = System.currentTimeMillis() + ms;
        while (System.currentTimeMillis() < deadline) {
            Msg m = receive(iopub, (int) Math.max(1, deadline - System.currentTimeMillis()));
            if (m != null) out.add(m);
        }
        return out;
    }

    /** Waits until the kernel answers kernel_info (IOPub subscription is then also established). */
    void waitReady() {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            String id = send(shell, "kernel_info_request", new JsonObject());
            Msg m = receive(shell, 2000);
            // a reply later than 2 s (a loaded machine) answers an earlier request: skip it, or every
            // later try reads the reply to the one before and never matches
            while (m != null && !m.parentId().equals(id)) m = receive(shell, 2000);
            if (m != null && m.parentId().equals(id)) {
                // make sure the IOPub subscription is live before tests rely on it
                for (int i = 0; i < 50; i++) {
                    String ping = send(shell, "kernel_info_request", new JsonObject());
                    if (receive(iopub, 200) != null) {
                        replyTo(shell, ping, 5000);
                        drainIopub(100);
                        return;
                    }
                    replyTo(shell, ping, 5000);
                }
                return;
            }
        }
        String log = "";
        if (kernel != null) {
            try {
                // a thread dump into the kernel's log says where it is stuck
                new ProcessBuilder("kill", "-QUIT", Long.toString(kernel.pid())).start().waitFor();
                Thread.sleep(1000);
                log = "; kernel " + (kernel.process.isAlive() ? "alive" : "exited with " + kernel.process.exitValue())
                        + ", its log:\n" + kernel.log();
            } catch (java.io.IOException | InterruptedException e) {
                log = "; no kernel log: " + e;
            }
        }
        throw new AssertionError("kernel did not answer kernel_info within 30 s" + log);
    }

    private static String types(List<Msg> msgs) {
        return msgs.stream().map(Msg::type).toList().toString();
    }

    private static byte[] bytes(JsonElement e) {
        return new Gson().toJson(e).getBytes(StandardCharsets.UTF_8);
    }

    private static JsonObject parse(byte[] b) {
        return JsonParser.parseString(new String(b, StandardCharsets.UTF_8)).getAsJsonObject();
    }

    static JsonObject obj(Object... kv) {
        JsonObject o = new JsonObject();
        for (int i = 0; i < kv.length; i += 2) {
            Object v = kv[i + 1];
            if (v instanceof Boolean b) o.addProperty((String) kv[i], b);
            else if (v instanceof Number n) o.addProperty((String) kv[i], n);
            else if (v instanceof JsonElement e) o.add((String) kv[i], e);
            else o.addProperty((String) kv[i], String.valueOf(v));
        }
        return o;
    }

    static JsonArray arr(String... items) {
        JsonArray a = new JsonArray();
        for (String s : items) a.add(s);
        return a;
    }

    @Override
    public void close() {
        ctx.close();
    }
}
