package jfork.protocol;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Frames <-> WireMessage, following the wire protocol: identities, delimiter, signature, 4 JSON parts, buffers. */
final class WireCodec {
    static final byte[] DELIMITER = "<IDS|MSG>".getBytes(StandardCharsets.US_ASCII);
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    static final class BadSignature extends Exception {
        BadSignature(String message) {
            super(message);
        }
    }

    private final Signer signer;

    WireCodec(Signer signer) {
        this.signer = signer;
    }

    WireMessage decode(List<byte[]> frames) throws BadSignature {
        int delim = -1;
        for (int i = 0; i < frames.size(); i++) {
            if (Arrays.equals(frames.get(i), DELIMITER)) {
                delim = i;
                break;
            }
        }
        if (delim < 0 || frames.size() < delim + 6) throw new BadSignature("malformed message: no delimiter or missing parts");
        String signature = new String(frames.get(delim + 1), StandardCharsets.US_ASCII);
        List<byte[]> json = frames.subList(delim + 2, delim + 6);
        if (!signer.verifies(signature, json)) throw new BadSignature("invalid HMAC signature");
        return new WireMessage(
                new ArrayList<>(frames.subList(0, delim)),
                parse(json.get(0)), parse(json.get(1)), parse(json.get(2)), parse(json.get(3)),
                new ArrayList<>(frames.subList(delim + 6, frames.size())));
    }

    List<byte[]> encode(WireMessage m) {
        List<byte[]> json = List.of(bytes(m.header), bytes(m.parentHeader), bytes(m.metadata), bytes(m.content));
        List<byte[]> frames = new ArrayList<>(m.identities.size() + 6 + m.buffers.size());
        frames.addAll(m.identities);
        frames.add(DELIMITER);
        frames.add(signer.sign(json).getBytes(StandardCharsets.US_ASCII));
        frames.addAll(json);
        frames.addAll(m.buffers);
        return frames;
    }

    static String toJson(Object o) {
        return GSON.toJson(o);
    }

    private static byte[] bytes(JsonObject o) {
        return GSON.toJson(o).getBytes(StandardCharsets.UTF_8);
    }

    private static JsonObject parse(byte[] b) {
        if (b.length == 0) return new JsonObject();
        var e = JsonParser.parseString(new String(b, StandardCharsets.UTF_8));
        return e.isJsonObject() ? e.getAsJsonObject() : new JsonObject();
    }
}
