package jfork.display;

import java.util.LinkedHashMap;
import java.util.Map;

/** A value as Jupyter shows it: one representation per MIME type, plus metadata. */
public final class MimeBundle {
    public final Map<String, Object> data = new LinkedHashMap<>();
    public final Map<String, Object> metadata = new LinkedHashMap<>();

    public MimeBundle put(String mime, Object value) {
        data.put(mime, value);
        return this;
    }

    public static MimeBundle text(String plain) {
        return new MimeBundle().put("text/plain", plain);
    }

    public static MimeBundle html(String html, String plain) {
        return new MimeBundle().put("text/plain", plain).put("text/html", html);
    }

    @Override
    public String toString() {
        Object plain = data.get("text/plain");
        return plain != null ? plain.toString() : data.keySet().toString();
    }
}
