package jfork.protocol;

import com.google.gson.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/** Builds headers and replies for this kernel's session. */
final class Session {
    static final String PROTOCOL_VERSION = "5.3";
    final String id = UUID.randomUUID().toString();

    JsonObject header(String msgType) {
        JsonObject h = new JsonObject();
        h.addProperty("msg_id", UUID.randomUUID().toString());
        h.addProperty("session", id);
        h.addProperty("username", "kernel");
        h.addProperty("date", Timestamps.now());
        h.addProperty("msg_type", msgType);
        h.addProperty("version", PROTOCOL_VERSION);
        return h;
    }

    WireMessage reply(WireMessage request, String replyType, JsonObject content) {
        return new WireMessage(request.identities, header(replyType), request.header, new JsonObject(), content, List.of());
    }

    WireMessage broadcast(JsonObject parentHeader, String msgType, JsonObject content) {
        byte[] topic = ("kernel." + id + "." + msgType).getBytes(StandardCharsets.UTF_8);
        return new WireMessage(List.of(topic), header(msgType),
                parentHeader == null ? new JsonObject() : parentHeader, new JsonObject(), content, List.of());
    }
}
