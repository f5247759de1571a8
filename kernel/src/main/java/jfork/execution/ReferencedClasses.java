package jfork.execution;

import org.objectweb.asm.ClassReader;

/**
 * Makes a class loader the initiating loader of every class a class file names in its constant
 * pool. A forked child resolving such a reference for the first time would otherwise go through
 * SystemDictionary::load_instance_class and a lock another thread may have held at the instant of
 * fork (gdb-observed hang); once recorded, the lookup takes no lock.
 */
final class ReferencedClasses {
    static void resolve(byte[] classFile, ClassLoader loader) {
        ClassReader reader = new ClassReader(classFile);
        char[] buf = new char[reader.getMaxStringLength()];
        for (int i = 1; i < reader.getItemCount(); i++) {
            int offset = reader.getItem(i);
            if (offset == 0 || classFile[offset - 1] != 7) continue; // CONSTANT_Class
            String name = reader.readUTF8(offset, buf);
            try {
                Class.forName(name.replace('/', '.'), false, loader);
            } catch (Throwable notLoadable) {
                // a name that does not resolve fails the same way in the kernel and in a child
            }
        }
    }

    private ReferencedClasses() {
    }
}
