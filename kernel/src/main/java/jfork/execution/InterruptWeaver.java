package jfork.execution;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.util.HashSet;
import java.util.Set;

/** Inserts {@link Interrupts#check()} at method entry and before every backward jump of snippet classes. */
final class InterruptWeaver {
    private static final String OWNER = Interrupts.class.getName().replace('.', '/');

    static byte[] weave(byte[] classFile) {
        ClassReader reader = new ClassReader(classFile);
        // The inserted call neither pushes nor pops, so frames and max stack stay valid as they are.
        ClassWriter writer = new ClassWriter(reader, 0);
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] exceptions) {
                MethodVisitor mv = super.visitMethod(access, name, desc, sig, exceptions);
                if ((access & (Opcodes.ACC_ABSTRACT | Opcodes.ACC_NATIVE)) != 0) return mv;
                return new BackEdgeChecks(mv);
            }
        }, 0);
        return writer.toByteArray();
    }

    private static final class BackEdgeChecks extends MethodVisitor {
        private final Set<Label> seen = new HashSet<>();

        BackEdgeChecks(MethodVisitor mv) {
            super(Opcodes.ASM9, mv);
        }

        @Override
        public void visitCode() {
            super.visitCode();
            check();
        }

        @Override
        public void visitLabel(Label label) {
            seen.add(label);
            super.visitLabel(label);
        }

        @Override
        public void visitJumpInsn(int opcode, Label target) {
            if (seen.contains(target)) check();
            super.visitJumpInsn(opcode, target);
        }

        private void check() {
            super.visitMethodInsn(Opcodes.INVOKESTATIC, OWNER, "check", "()V", false);
        }
    }

    private InterruptWeaver() {
    }
}
