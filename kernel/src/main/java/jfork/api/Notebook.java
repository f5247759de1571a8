package jfork.api;

import jfork.display.MimeBundle;
import jfork.display.Renderers;
import jfork.execution.CellOutput;
import jfork.execution.Prompt;

/** Functions pre-declared in every cell (statically imported): display, clearOutput, input. */
public final class Notebook {
    /** Shows a value in the cell's output now: a {@link MimeBundle}, or any object as text. */
    public static void display(Object value) {
        CellOutput.current().display(Renderers.render(value), null, false);
    }

    /** Shows a value under a display id, so that {@link #updateDisplay} can replace it later. */
    public static void display(Object value, String displayId) {
        CellOutput.current().display(Renderers.render(value), displayId, false);
    }

    public static void updateDisplay(Object value, String displayId) {
        CellOutput.current().display(Renderers.render(value), displayId, true);
    }

    public static MimeBundle html(String html) {
        return MimeBundle.html(html, html.replaceAll("<[^>]*>", ""));
    }

    public static MimeBundle svg(String svg) {
        return new MimeBundle().put("image/svg+xml", svg).put("text/plain", "<svg image>");
    }

    public static MimeBundle png(byte[] png) {
        return new MimeBundle().put("image/png", java.util.Base64.getEncoder().encodeToString(png))
                .put("text/plain", "<png image, " + png.length + " bytes>");
    }

    public static void clearOutput() {
        CellOutput.current().clearOutput(false);
    }

    public static void clearOutput(boolean wait) {
        CellOutput.current().clearOutput(wait);
    }

    /** Reads a line typed in the frontend, like Python's input(). */
    public static String input(String prompt) {
        return Prompt.readLine(prompt, false);
    }

    public static String input() {
        return input("");
    }

    private Notebook() {
    }
}
