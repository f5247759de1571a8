package jfork.pool;

import jfork.execution.SnippetClasses;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Packs a spawn job's function for the trip to a worker: the function by Java serialization (a lambda
 * whose interface is Serializable travels as a {@link SerializedLambda} naming its snippet class), and
 * the current values of the cell variables its code reads. Cell variables are static fields of JShell's
 * snippet classes; a fresh JVM would see them at their default values (0, null). Which ones the
 * function reads is found in the bytecode: from the lambda's implementation method, every GETSTATIC on
 * a snippet class, following calls into methods defined in cells, transitively. Only those are sent,
 * so an unrelated unsendable variable (the Pool itself, a Thread) does not get in the way.
 */
final class SpawnCode {
    private record Ref(String owner, String name, String desc) {
    }

    private record MethodInfo(Set<Ref> fields, Set<Ref> calls) {
    }

    /** Parsed snippet classes: method name+desc to what it reads and calls. Bytecode never changes. */
    private static final Map<String, Map<String, MethodInfo>> PARSED = new HashMap<>();

    private SpawnCode() {
    }

    /** The JOB frame body after the job id: statics (owner, name, value), then the serialized function. */
    static byte[] encode(RemoteFn fn, ClassLoader snippetLoader) {
        List<Ref> roots = new ArrayList<>();
        ByteArrayOutputStream fnBytes = new ByteArrayOutputStream();
        try (ObjectOutputStream oos = new ObjectOutputStream(fnBytes) {
            {
                enableReplaceObject(true);
            }

            @Override
            protected Object replaceObject(Object obj) {
                if (obj instanceof SerializedLambda l) {
                    roots.add(new Ref(l.getImplClass(), l.getImplMethodName(), l.getImplMethodSignature()));
                    return LambdaRef.of(l); // the worker calls it directly (DirectLambda)
                } else if (obj != null && isSnippet(obj.getClass().getName().replace('.', '/'))) {
                    roots.add(new Ref(obj.getClass().getName().replace('.', '/'), null, null)); // every method
                }
                return obj;
            }
        }) {
            oos.writeObject(fn);
        } catch (NotSerializableException e) {
            String type = e.getMessage();
            String hint = type != null && type.contains("$$Lambda$")
                    ? "a lambda whose interface is not Serializable (give Pool.Fn / Pool.Call lambdas, or declare "
                    + "the helper as a method in a cell)" : "a " + type + ", which is not Serializable";
            throw new UnsendableValueException("the function cannot be sent to the spawn workers: it holds " + hint
                    + ". Spawn workers are fresh JVMs: what the function captures travels by Java serialization",
                    "function", type);
        } catch (IOException | RuntimeException e) {
            throw new UnsendableValueException("the function cannot be sent to the spawn workers: " + e, "function",
                    fn.getClass().getName());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(out);
        try {
            List<Ref> statics = readStatics(roots);
            d.writeInt(statics.size());
            for (Ref f : statics) {
                Object value = value(f, snippetLoader);
                d.writeUTF(f.owner.replace('/', '.'));
                d.writeUTF(f.name);
                try {
                    Codec.write(d, value);
                } catch (Codec.Unsendable u) {
                    throw new UnsendableValueException("cell variable '" + f.name + "' is a " + u.typeName
                            + ", which cannot be sent to the spawn workers: it is not Serializable (" + u.getMessage()
                            + "). The function reads it; spawn workers are fresh JVMs that get the values of the "
                            + "cell variables a function reads by Java serialization. Copy what it needs into a "
                            + "Serializable value, create it inside the function, or use a fork pool",
                            f.name, u.typeName);
                }
            }
            d.writeInt(fnBytes.size());
            fnBytes.writeTo(d);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    private static Object value(Ref f, ClassLoader loader) {
        try {
            Class<?> c = Class.forName(f.owner.replace('/', '.'), true, loader);
            Field field = c.getDeclaredField(f.name);
            field.setAccessible(true);
            return field.get(null);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            throw new IllegalStateException("cannot read cell variable " + f.name + " for the spawn workers: " + e, e);
        }
    }

    static boolean isSnippet(String internalName) {
        return SnippetClasses.bytecode(internalName.replace('/', '.')) != null;
    }

    /** Non-final static fields of snippet classes read by code reachable from roots. */
    static List<Ref> readStatics(List<Ref> roots) {
        Set<Ref> seen = new LinkedHashSet<>();
        Set<Ref> fields = new LinkedHashSet<>();
        ArrayDeque<Ref> work = new ArrayDeque<>(roots);
        while (!work.isEmpty()) {
            Ref m = work.poll();
            if (!seen.add(m) || !isSnippet(m.owner)) continue;
            Map<String, MethodInfo> methods = parsed(m.owner);
            for (Map.Entry<String, MethodInfo> e : methods.entrySet()) {
                String key = e.getKey();
                String name = key.substring(0, key.indexOf('('));
                // the method itself; an unknown descriptor (inherited, or all methods) takes every one of that name
                boolean match = m.name == null || key.equals(m.name + m.desc)
                        || (name.equals(m.name) && !methods.containsKey(m.name + m.desc));
                if (!match) continue;
                fields.addAll(e.getValue().fields);
                work.addAll(e.getValue().calls);
            }
        }
        List<Ref> out = new ArrayList<>();
        for (Ref f : fields) if (!isFinalOrConstant(f)) out.add(f);
        return out;
    }

    private static boolean isFinalOrConstant(Ref f) {
        boolean[] fin = {false};
        new ClassReader(SnippetClasses.bytecode(f.owner.replace('/', '.'))).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public org.objectweb.asm.FieldVisitor visitField(int access, String name, String desc, String sig, Object v) {
                if (name.equals(f.name) && (access & Modifier.FINAL) != 0) fin[0] = true;
                return null;
            }
        }, ClassReader.SKIP_CODE);
        return fin[0];
    }

    private static synchronized Map<String, MethodInfo> parsed(String owner) {
        Map<String, MethodInfo> m = PARSED.get(owner);
        if (m != null) return m;
        Map<String, MethodInfo> methods = new HashMap<>();
        new ClassReader(SnippetClasses.bytecode(owner.replace('/', '.'))).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] exceptions) {
                MethodInfo info = new MethodInfo(new LinkedHashSet<>(), new LinkedHashSet<>());
                methods.put(name + desc, info);
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitFieldInsn(int opcode, String o, String n, String d) {
                        if (opcode == Opcodes.GETSTATIC && isSnippet(o)) info.fields.add(new Ref(o, n, d));
                    }

                    @Override
                    public void visitMethodInsn(int opcode, String o, String n, String d, boolean itf) {
                        if (isSnippet(o)) info.calls.add(new Ref(o, n, d));
                    }

                    @Override
                    public void visitTypeInsn(int opcode, String type) {
                        if (opcode == Opcodes.NEW && isSnippet(type)) info.calls.add(new Ref(type, null, null));
                    }

                    @Override
                    public void visitInvokeDynamicInsn(String n, String d, Handle bsm, Object... args) {
                        for (Object a : args) handle(a);
                    }

                    @Override
                    public void visitLdcInsn(Object value) {
                        handle(value);
                    }

                    private void handle(Object a) {
                        if (a instanceof Handle h && isSnippet(h.getOwner())) {
                            info.calls.add(new Ref(h.getOwner(), h.getName(), h.getDesc()));
                        }
                    }
                };
            }
        }, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        PARSED.put(owner, methods);
        return methods;
    }
}
