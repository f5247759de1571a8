package jfork.protocol;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import jfork.display.MimeBundle;
import jfork.execution.OutputSink;
import org.zeromq.ZMQ;

import java.util.List;

/** Broadcasts on the IOPub socket; every thread publishes through here, one message at a time. */
final class IOPub implements OutputSink {
    private static final Gson GSON = new Gson();
    private final ZMQ.Socket socket;
    private final WireCodec codec;
    private final Session session;

    IOPub(ZMQ.Socket socket, WireCodec codec, Session session) {
        this.socket = socket;
        this.codec = codec;
        this.session = session;
    }

    synchronized void publish(JsonObject parentHeader, String msgType, JsonObject content) {
        Sockets.send(socket, codec.encode(session.broadcast(parentHeader, msgType, content)));
    }

    void status(WireMessage parent, String state) {
        JsonObject c = new JsonObject();
        c.addProperty("execution_state", state);
        publish(parent == null ? null : parent.header, "status", c);
    }

    void executeInput(WireMessage parent, String code, int count) {
        JsonObject c = new JsonObject();
        c.addProperty("code", code);
        c.addProperty("execution_count", count);
        publish(parent.header, "execute_input", c);
    }

    void executeResult(WireMessage parent, int count, MimeBundle bundle) {
        JsonObject c = bundleContent(bundle);
        c.addProperty("execution_count", count);
        publish(parent.header, "execute_result", c);
    }

    void error(WireMessage parent, String ename, String evalue, List<String> traceback) {
        publish(parent.header, "error", errorContent(ename, evalue, traceback));
    }

    static JsonObject errorContent(String ename, String evalue, List<String> traceback) {
        JsonObject c = new JsonObject();
        c.addProperty("ename", ename);
        c.addProperty("evalue", evalue);
        JsonArray tb = new JsonArray();
        traceback.forEach(tb::add);
        c.add("traceback", tb);
        return c;
    }

    @Override
    public void stream(Object cell, String name, String text) {
        JsonObject c = new JsonObject();
        c.addProperty("name", name);
        c.addProperty("text", text);
        publish(header(cell), "stream", c);
    }

    @Override
    public void display(Object cell, MimeBundle bundle, String displayId, boolean update) {
        JsonObject c = bundleContent(bundle);
        JsonObject t = new JsonObject();
        if (displayId != null) t.addProperty("display_id", displayId);
        c.add("transient", t);
        publish(header(cell), update ? "update_display_data" : "display_data", c);
    }

    @Override
    public void clearOutput(Object cell, boolean wait) {
        JsonObject c = new JsonObject();
        c.addProperty("wait", wait);
        publish(header(cell), "clear_output", c);
    }

    private static JsonObject header(Object cell) {
        return cell instanceof WireMessage m ? m.header : null;
    }

    static JsonObject bundleContent(MimeBundle bundle) {
        JsonObject c = new JsonObject();
        c.add("data", toJson(bundle.data));
        c.add("metadata", toJson(bundle.metadata));
        return c;
    }

    private static JsonElement toJson(Object o) {
        return GSON.toJsonTree(o);
    }
}
