package jfork.pool;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Values between the kernel and its workers (results; items of a spawn pool, and of a fork pool call
 * made after its workers were forked). Boxed primitives and strings get a compact tag of their
 * own (fast, and no ObjectOutputStream machinery in the child, where a first use of a class can
 * hang: see jvm-fork.md); anything else goes through Java serialization, one stream per value.
 */
final class Codec {
    static final byte NULL = 0, INT = 1, LONG = 2, DOUBLE = 3, STRING = 4, BOOLEAN = 5, SERIALIZED = 6,
            FLOAT = 7, CHAR = 8, SHORT = 9, BYTE = 10, ARRAY = 11;

    /** A value that Java serialization refused; the message names the class. */
    static final class Unsendable extends Exception {
        final String typeName;

        Unsendable(String typeName, String detail) {
            super(detail);
            this.typeName = typeName;
        }
    }

    private Codec() {
    }

    static void write(DataOutputStream out, Object v) throws IOException, Unsendable {
        if (v == null) {
            out.writeByte(NULL);
        } else if (v instanceof Integer i) {
            out.writeByte(INT);
            out.writeInt(i);
        } else if (v instanceof Long l) {
            out.writeByte(LONG);
            out.writeLong(l);
        } else if (v instanceof Double d) {
            out.writeByte(DOUBLE);
            out.writeDouble(d);
        } else if (v instanceof String s) {
            out.writeByte(STRING);
            writeString(out, s);
        } else if (v instanceof Boolean b) {
            out.writeByte(BOOLEAN);
            out.writeBoolean(b);
        } else if (v instanceof Float f) {
            out.writeByte(FLOAT);
            out.writeFloat(f);
        } else if (v instanceof Character c) {
            out.writeByte(CHAR);
            out.writeChar(c);
        } else if (v instanceof Short s) {
            out.writeByte(SHORT);
            out.writeShort(s);
        } else if (v instanceof Byte b) {
            out.writeByte(BYTE);
            out.writeByte(b);
        } else if (v.getClass() == Object[].class) {
            Object[] a = (Object[]) v;
            out.writeByte(ARRAY);
            out.writeInt(a.length);
            for (Object e : a) write(out, e);
        } else {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream oos = new ObjectOutputStream(bytes)) {
                oos.writeObject(v);
            } catch (NotSerializableException e) {
                throw new Unsendable(v.getClass().getName(), e.getMessage());
            } catch (IOException | RuntimeException e) {
                throw new Unsendable(v.getClass().getName(), String.valueOf(e));
            }
            out.writeByte(SERIALIZED);
            out.writeInt(bytes.size());
            bytes.writeTo(out);
        }
    }

    static Object read(DataInputStream in, ClassLoader loader) throws IOException {
        byte tag = in.readByte();
        switch (tag) {
            case NULL: return null;
            case INT: return in.readInt();
            case LONG: return in.readLong();
            case DOUBLE: return in.readDouble();
            case STRING: return readString(in);
            case BOOLEAN: return in.readBoolean();
            case FLOAT: return in.readFloat();
            case CHAR: return in.readChar();
            case SHORT: return in.readShort();
            case BYTE: return in.readByte();
            case ARRAY: {
                Object[] a = new Object[in.readInt()];
                for (int i = 0; i < a.length; i++) a[i] = read(in, loader);
                return a;
            }
            case SERIALIZED: {
                byte[] b = new byte[in.readInt()];
                in.readFully(b);
                try (ObjectInputStream ois = new ObjectInputStream(new ByteArrayInputStream(b)) {
                    @Override
                    protected Class<?> resolveClass(java.io.ObjectStreamClass desc) throws IOException, ClassNotFoundException {
                        // JShell's snippet classes live in its own loader: try the loader of the user's function too
                        try {
                            return super.resolveClass(desc);
                        } catch (ClassNotFoundException e) {
                            if (loader == null) throw e;
                            return Class.forName(desc.getName(), false, loader);
                        }
                    }
                }) {
                    return ois.readObject();
                } catch (ClassNotFoundException e) {
                    throw new IOException("a worker's result has a class the kernel cannot load: " + e.getMessage(), e);
                }
            }
            default: throw new IOException("corrupt result stream: tag " + tag);
        }
    }

    /**
     * Values from..to of a list: their count, then each value; a run of Integers (the common case: a
     * map over numbers) as a negative count and raw 4-byte ints, several times faster both ways than
     * a tag and a stream call per value.
     */
    static void writeValues(DataOutputStream out, List<?> values, int from, int to) throws IOException, Unsendable {
        // one copy of the range, then array reads: a List.get per value is an interface call
        writeValues(out, values.subList(from, to).toArray(), 0, to - from);
    }

    static void writeValues(DataOutputStream out, Object[] values, int from, int to) throws IOException, Unsendable {
        int n = to - from;
        boolean ints = true;
        for (int i = from; i < to && ints; i++) ints = values[i] instanceof Integer;
        if (ints && n > 0) {
            out.writeInt(-n);
            byte[] b = new byte[4 * n];
            for (int i = 0, k = 0; i < n; i++, k += 4) {
                int v = (Integer) values[from + i];
                b[k] = (byte) (v >>> 24);
                b[k + 1] = (byte) (v >>> 16);
                b[k + 2] = (byte) (v >>> 8);
                b[k + 3] = (byte) v;
            }
            out.write(b);
            return;
        }
        out.writeInt(n);
        for (int i = from; i < to; i++) write(out, values[i]);
    }

    static Object[] readValues(DataInputStream in, ClassLoader loader) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            Object[] values = new Object[-n];
            byte[] b = new byte[4 * values.length];
            in.readFully(b);
            for (int i = 0, k = 0; i < values.length; i++, k += 4) {
                values[i] = ((b[k] & 0xff) << 24) | ((b[k + 1] & 0xff) << 16) | ((b[k + 2] & 0xff) << 8) | (b[k + 3] & 0xff);
            }
            return values;
        }
        Object[] values = new Object[n];
        for (int i = 0; i < n; i++) values[i] = read(in, loader);
        return values;
    }

    /**
     * Whether v has a tag of its own (no Java serialization): what may travel to a fork worker after it
     * was forked, since deserializing a class in a forked JVM for the first time can hang it.
     */
    static boolean compact(Object v) {
        if (v == null || v instanceof Integer || v instanceof Long || v instanceof Double || v instanceof String
                || v instanceof Boolean || v instanceof Float || v instanceof Character || v instanceof Short
                || v instanceof Byte) {
            return true;
        }
        if (v.getClass() != Object[].class) return false;
        for (Object e : (Object[]) v) if (!compact(e)) return false;
        return true;
    }

    static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    static String readString(DataInputStream in) throws IOException {
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
