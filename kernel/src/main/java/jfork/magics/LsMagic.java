package jfork.magics;

import jfork.display.MimeBundle;

/** %lsmagic: every magic with its one-line summary. */
public final class LsMagic implements Magic {
    public String name() { return "lsmagic"; }

    public String summary() { return "list every magic with a one-line summary"; }

    public String usage() { return "%lsmagic\n\nLists the line magics (%name) and cell magics (%%name). Help on one: %name? or %%name?"; }

    public boolean isCellMagic() { return false; }

    public MimeBundle run(MagicCall call, MagicContext context) {
        if (!call.args().isEmpty()) throw new UsageError("%lsmagic takes no arguments");
        StringBuilder text = new StringBuilder("Line magics:\n");
        StringBuilder html = new StringBuilder("<table><tr><th>magic</th><th>what it does</th></tr>");
        for (Magic m : context.registry().lineMagics()) row(text, html, "%" + m.name(), m.summary());
        text.append("\nCell magics:\n");
        for (Magic m : context.registry().cellMagics()) row(text, html, "%%" + m.name(), m.summary());
        text.append("\nHelp on one magic: %name? or %%name?\n\n").append(ArgumentExpansion.HELP)
                .append("\n(Not in ").append(notExpanding(context)).append(": their arguments are Java code.)");
        html.append("</table><p>Help on one magic: <code>%name?</code> or <code>%%name?</code></p><p>")
                .append(escape(ArgumentExpansion.HELP)).append("<br>(Not in ").append(escape(notExpanding(context)))
                .append(": their arguments are Java code.)</p>");
        return MimeBundle.html(html.toString(), text.toString());
    }

    private static String notExpanding(MagicContext context) {
        java.util.List<String> names = new java.util.ArrayList<>();
        for (Magic m : context.registry().lineMagics()) if (!m.expandsArguments()) names.add("%" + m.name());
        for (Magic m : context.registry().cellMagics()) if (!m.expandsArguments()) names.add("%%" + m.name());
        return String.join(", ", names);
    }

    private static void row(StringBuilder text, StringBuilder html, String name, String summary) {
        text.append(String.format("  %-14s %s%n", name, summary));
        html.append("<tr><td><code>").append(name).append("</code></td><td>").append(escape(summary)).append("</td></tr>");
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
