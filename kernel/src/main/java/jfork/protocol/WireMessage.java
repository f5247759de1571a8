package jfork.protocol;

import com.google.gson.JsonObject;

import java.util.List;

/** One Jupyter message as it travels: routing identities, the four JSON parts, binary buffers. */
public final class WireMessage {
    public final List<byte[]> identities;
    public final JsonObject header;
    public final JsonObject parentHeader;
    public final JsonObject metadata;
    public final JsonObject content;
    public final List<byte[]> buffers;

    public WireMessage(List<byte[]> identities, JsonObject header, JsonObject parentHeader,
                       JsonObject metadata, JsonObject content, List<byte[]> buffers) {
        this.identities = identities;
        this.header = header;
        this.parentHeader = parentHeader;
        this.metadata = metadata;
        this.content = content;
        this.buffers = buffers;
    }

    public String type() {
        return header.has("msg_type") ? header.get("msg_type").getAsString() : "";
    }

    public String id() {
        return header.has("msg_id") ? header.get("msg_id").getAsString() : "";
    }

    public String contentString(String key, String fallback) {
        return content.has(key) && content.get(key).isJsonPrimitive() ? content.get(key).getAsString() : fallback;
    }

    public boolean contentBoolean(String key, boolean fallback) {
        return content.has(key) && content.get(key).isJsonPrimitive() ? content.get(key).getAsBoolean() : fallback;
    }

    public int contentInt(String key, int fallback) {
        return content.has(key) && content.get(key).isJsonPrimitive() ? content.get(key).getAsInt() : fallback;
    }
}
