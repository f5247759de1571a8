package jfork.magics;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** An explicit table of magics, filled at start-up (no reflection: errors show at registration). */
public final class MagicRegistry {
    private final Map<String, Magic> lineMagics = new TreeMap<>();
    private final Map<String, Magic> cellMagics = new TreeMap<>();

    public MagicRegistry register(Magic magic) {
        Map<String, Magic> table = magic.isCellMagic() ? cellMagics : lineMagics;
        if (table.putIfAbsent(magic.name(), magic) != null) {
            throw new IllegalArgumentException("magic registered twice: " + magic.name());
        }
        return this;
    }

    public Optional<Magic> line(String name) {
        return Optional.ofNullable(lineMagics.get(name));
    }

    public Optional<Magic> cell(String name) {
        return Optional.ofNullable(cellMagics.get(name));
    }

    public Collection<Magic> lineMagics() {
        return lineMagics.values();
    }

    public Collection<Magic> cellMagics() {
        return cellMagics.values();
    }

    /** "%name" or "%%name" with a hint of the nearest names, for an unknown magic. */
    public String unknown(String prefix, String name) {
        Map<String, Magic> table = prefix.equals("%%") ? cellMagics : lineMagics;
        return "unknown magic " + prefix + name + ". Known " + (prefix.equals("%%") ? "cell" : "line") + " magics: "
                + String.join(", ", table.keySet().stream().map(n -> prefix + n).toList())
                + ". %lsmagic lists them all.";
    }
}
