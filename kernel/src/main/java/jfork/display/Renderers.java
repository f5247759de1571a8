package jfork.display;

import io.github.spencerpark.jupyter.kernel.display.DisplayData;

import java.util.Map;

/** Pure functions from values to MIME bundles. */
public final class Renderers {
    /** @param printed the value as JShell prints it, used when the object has no richer form */
    public static MimeBundle render(Object value, String printed) {
        if (value instanceof MimeBundle b) return b;
        if (value instanceof DisplayData d) return fromDisplayData(d);
        return MimeBundle.text(printed != null ? printed : String.valueOf(value));
    }

    /** display(x): strings are shown as text, without JShell's quotes. */
    public static MimeBundle render(Object value) {
        if (value instanceof CharSequence s) return MimeBundle.text(s.toString());
        return render(value, String.valueOf(value));
    }

    @SuppressWarnings("unchecked")
    private static MimeBundle fromDisplayData(DisplayData d) {
        MimeBundle b = new MimeBundle();
        try {
            var dataField = DisplayData.class.getDeclaredField("data");
            dataField.setAccessible(true);
            b.data.putAll((Map<String, Object>) dataField.get(d));
        } catch (ReflectiveOperationException e) {
            b.put("text/plain", d.toString());
        }
        return b;
    }

    private Renderers() {
    }
}
