package jfork.process;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import jnr.ffi.Pointer;

/**
 * Switches JIT compilation requests off in a forked child: in the parent for the instant of the
 * fork ({@link #pauseForFork}), so that the child is born with them off, and again in the child
 * first thing ({@link #apply}). A child has no
 * compiler thread, yet an interpreted method of the child that crosses its compile threshold
 * queues a compilation: under HotSpot's compile-queue lock, which another kernel thread may have
 * held at the instant of fork, and then with a broadcast on the condition variable the compiler
 * thread was waiting on, whose waiter no longer exists. Either way the child hangs for ever (gdb:
 * CompileBroker::compile_method_base, in lock or in pthread_cond_broadcast; seen in notebook 07,
 * in %%fork and in SignalCellTest). HotSpot checks {@code CompileBroker::_should_compile_new_jobs}
 * before all that and gives the compilation up when it says "stop" (as when the code cache is
 * full), so the child sets it to stop. The parent finds the variable once, through libjvm.so's
 * symbol table and the address libjvm is loaded at, and checks it reads "run" before trusting the
 * address; without the symbol (a stripped libjvm) nothing changes.
 */
final class ChildCompilerOff {
    private static final String SYMBOL = "_ZN13CompileBroker24_should_compile_new_jobsE";
    private static final int RUN_COMPILATION = 1;
    private static final int STOP_COMPILATION = 0;
    private static final int SHT_SYMTAB = 2;

    private final Pointer flag;
    private final Pointer scratchMemory; // kept reachable: freed when collected
    private final Pointer scratch;

    private ChildCompilerOff(Pointer flag) {
        this.flag = flag;
        jnr.ffi.Runtime rt = jnr.ffi.Runtime.getSystemRuntime();
        scratchMemory = rt.getMemoryManager().allocateDirect(8, true);
        // the same pointer class as flag's: memory of our own, addressed the same way
        scratch = rt.getMemoryManager().newPointer(scratchMemory.address());
    }

    /** Null when libjvm's symbol cannot be found or does not read as expected. */
    static ChildCompilerOff locate() {
        try {
            long[] base = new long[1];
            Path libjvm = loadedLibjvm(base);
            if (libjvm == null) return null;
            long offset = symbolValue(libjvm, SYMBOL);
            if (offset <= 0) return null;
            Pointer p = jnr.ffi.Runtime.getSystemRuntime().getMemoryManager().newPointer(base[0] + offset);
            return p.getInt(0) == RUN_COMPILATION ? new ChildCompilerOff(p) : null;
        } catch (IOException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    /**
     * In the child ({@code inChild}): no compilation request from now on. In the parent it only
     * runs the same call on scratch memory, so that the child's first call links nothing new.
     */
    void apply(boolean inChild) {
        Pointer target = inChild ? flag : scratch;
        target.putInt(0, STOP_COMPILATION);
    }

    /**
     * In the parent, for a fork (the wait for idle VM threads, then fork()): stops compilation requests, so that the child starts
     * with them stopped and never runs a single bytecode with them on (one child crossed a compile
     * threshold between fork() returning and {@link #apply}). Returns whether it did (the flag said
     * "run"; when HotSpot stopped compilation itself, as with a full code cache, it is left alone).
     * Parent threads whose methods cross a threshold meanwhile are simply not compiled this time,
     * as with a full code cache: they ask again at their next threshold.
     */
    boolean pauseForFork() {
        if (flag.getInt(0) != RUN_COMPILATION) return false;
        flag.putInt(0, STOP_COMPILATION);
        return true;
    }

    /** After the fork, in the parent: requests run again, unless something else changed the flag since. */
    void resumeAfterFork() {
        if (flag.getInt(0) == STOP_COMPILATION) flag.putInt(0, RUN_COMPILATION);
    }

    /** What the flag says in this process: 1 run, 0 stop. */
    int state() {
        return flag.getInt(0);
    }

    /**
     * The libjvm.so this JVM runs, and (in base[0]) the address the dynamic loader put it at: its
     * private mapping at file offset 0. Not a shared one: reading the symbol table maps the file
     * too ("r--s"), and that mapping's address is not where libjvm's variables are.
     */
    static Path loadedLibjvm(long[] base) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 6 || !f[5].endsWith("/libjvm.so") || f[1].charAt(3) != 'p' || Long.parseLong(f[2], 16) != 0) continue;
            base[0] = Long.parseUnsignedLong(f[0].substring(0, f[0].indexOf('-')), 16);
            return Path.of(f[5]);
        }
        return null;
    }

    /** st_value of a symbol in an ELF64 little-endian file's .symtab, or -1. */
    static long symbolValue(Path elf, String name) throws IOException {
        return symbolValues(elf, name)[0];
    }

    /** st_value of each symbol in an ELF64 little-endian file's .symtab (-1 when missing), in one pass. */
    static long[] symbolValues(Path elf, String... names) throws IOException {
        long[] values = new long[names.length];
        java.util.Arrays.fill(values, -1);
        try (FileChannel ch = FileChannel.open(elf, StandardOpenOption.READ)) {
            MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            b.order(ByteOrder.LITTLE_ENDIAN);
            if (b.getInt(0) != 0x464c457f || b.get(4) != 2 || b.get(5) != 1) return values; // ELF, 64-bit, LE
            long shoff = b.getLong(0x28);
            int shentsize = Short.toUnsignedInt(b.getShort(0x3A)), shnum = Short.toUnsignedInt(b.getShort(0x3C));
            byte[][] wanted = new byte[names.length][];
            for (int k = 0; k < names.length; k++) wanted[k] = names[k].getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < shnum; i++) {
                int sh = (int) (shoff + (long) i * shentsize);
                if (b.getInt(sh + 4) != SHT_SYMTAB) continue;
                int symOff = (int) b.getLong(sh + 0x18), symSize = (int) b.getLong(sh + 0x20);
                int strSh = (int) (shoff + (long) b.getInt(sh + 0x28) * shentsize);
                int strOff = (int) b.getLong(strSh + 0x18);
                for (int s = symOff; s + 24 <= symOff + symSize; s += 24) {
                    int at = strOff + b.getInt(s);
                    for (int k = 0; k < wanted.length; k++) {
                        if (values[k] == -1 && nameEquals(b, at, wanted[k])) values[k] = b.getLong(s + 8);
                    }
                }
            }
            return values;
        }
    }

    private static boolean nameEquals(MappedByteBuffer b, int at, byte[] wanted) {
        for (int k = 0; k < wanted.length; k++) if (b.get(at + k) != wanted[k]) return false;
        return b.get(at + wanted.length) == 0;
    }
}
