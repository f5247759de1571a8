package jfork.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import jnr.ffi.Pointer;

/**
 * HotSpot's named mutexes (SystemDictionary_lock, CodeCache_lock, Heap_lock... about a hundred),
 * read straight from memory to tell whether one is held. A thread that holds one at the instant
 * of fork does not exist in the child, so nobody ever releases it there: the child hangs the first
 * time it needs that lock (gdb: SystemDictionary::add_loader_constraint at a child's first
 * cross-loader field access; AdapterHandlerLibrary creating a native wrapper under CodeCache_lock).
 * Both sides use this: the parent waits until none is held before it forks, and the child looks
 * again first thing, since a thread may take one between that check and the fork; a child that
 * finds one held tells the parent which (and who held it) and stops, and the parent forks again.
 * No hang, no timeout.
 *
 * <p>HotSpot lists the mutexes in an array (JDK 17: static {@code _mutex_array}; JDK 21+:
 * {@code Mutex::_mutex_array}), found through libjvm.so's symbol table like
 * {@link ChildCompilerOff}. Layout on Linux x86-64, JDK 17 to 25: {@code Thread* _owner} at 0,
 * the pthread mutex at 8 (glibc keeps its lock word at +0 and the owner's tid at +8), the name
 * at 96. Checked when located: every entry must carry a readable name ending in "lock" (or
 * "Lock"), else the class is not used.
 *
 * <p>A safepoint counts as one more: while {@code SafepointSynchronize::_state} is not "not
 * synchronized", the VM thread is stopping or has stopped every Java thread, and a child forked
 * then would wait at its first safepoint poll for a VM thread it does not have. A precaution (the
 * wait for idle VM threads makes it rare): no child has been caught by it in the stress runs so far.
 */
final class VmMutexes {
    private static final String[][] SYMBOLS = {
            {"_ZL12_mutex_array", "_ZL10_num_mutex"},                  // JDK 17: Mutex* _mutex_array[128]
            {"_ZN5Mutex12_mutex_arrayE", "_ZN5Mutex10_num_mutexE"}};  // JDK 21+: Mutex** Mutex::_mutex_array
    private static final int OWNER = 0, PTHREAD_LOCK = 8, PTHREAD_OWNER_TID = 16, NAME = 96;
    private static final int MAX_MUTEXES = 512;
    private static final String SAFEPOINT_STATE = "_ZN20SafepointSynchronize6_stateE";
    private static final int NOT_SYNCHRONIZED = 0;

    private final Pointer[] mutexes;
    private final String[] names;
    private final Pointer safepointState; // null when not found

    private VmMutexes(Pointer[] mutexes, String[] names, Pointer safepointState) {
        this.mutexes = mutexes;
        this.names = names;
        this.safepointState = safepointState;
    }

    /** Null when libjvm's symbols are missing or its mutexes do not look as expected. */
    static VmMutexes locate() {
        try {
            long[] base = new long[1];
            Path libjvm = ChildCompilerOff.loadedLibjvm(base);
            if (libjvm == null) return null;
            for (String[] s : SYMBOLS) {
                long array = ChildCompilerOff.symbolValue(libjvm, s[0]);
                long count = ChildCompilerOff.symbolValue(libjvm, s[1]);
                if (array <= 0 || count <= 0) continue;
                long state = ChildCompilerOff.symbolValue(libjvm, SAFEPOINT_STATE);
                return read(base[0] + array, base[0] + count, s == SYMBOLS[1], state > 0 ? base[0] + state : 0);
            }
            return null;
        } catch (IOException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    private static VmMutexes read(long arrayAddress, long countAddress, boolean arrayIsPointer, long stateAddress) {
        var mm = jnr.ffi.Runtime.getSystemRuntime().getMemoryManager();
        int n = mm.newPointer(countAddress).getInt(0);
        if (n <= 0 || n > MAX_MUTEXES) return null;
        long first = arrayIsPointer ? mm.newPointer(arrayAddress).getLong(0) : arrayAddress;
        if (first == 0) return null;
        Pointer array = mm.newPointer(first);
        Pointer[] mutexes = new Pointer[n];
        String[] names = new String[n];
        for (int i = 0; i < n; i++) {
            long m = array.getLong(8L * i);
            if (m == 0) return null;
            mutexes[i] = mm.newPointer(m);
            names[i] = cString(mm.newPointer(mutexes[i].getLong(NAME)));
            if (names[i] == null || !(names[i].endsWith("lock") || names[i].endsWith("Lock"))) return null;
        }
        Pointer state = stateAddress == 0 ? null : mm.newPointer(stateAddress);
        // read while this thread runs Java code: no safepoint can be in progress, the value must say so
        if (state != null && state.getInt(0) != NOT_SYNCHRONIZED) state = null;
        return new VmMutexes(mutexes, names, state);
    }

    private static String cString(Pointer p) {
        if (p.address() == 0) return null;
        byte[] b = new byte[64];
        p.get(0, b, 0, b.length);
        for (int i = 0; i < b.length; i++) {
            if (b[i] == 0) return i == 0 ? null : new String(b, 0, i, StandardCharsets.US_ASCII);
            if (b[i] < 0x20 || b[i] > 0x7e) return null;
        }
        return null;
    }

    int count() { return mutexes.length; }

    /**
     * The first mutex some thread holds (or is taking), {@link #count()} for a safepoint in
     * progress, -1 when none. Allocates nothing and calls nothing new: it runs in a child before
     * anything else.
     */
    int firstHeld() {
        if (safepointState != null && safepointState.getInt(0) != NOT_SYNCHRONIZED) return mutexes.length;
        for (int i = 0; i < mutexes.length; i++) {
            Pointer m = mutexes[i];
            if (m.getLong(OWNER) != 0 || m.getInt(PTHREAD_LOCK) != 0) return i;
        }
        return -1;
    }

    /** The mutex whose lock or condition variable holds address (a futex word), -1 if none. */
    int containing(long address) {
        for (int i = 0; i < mutexes.length; i++) {
            long m = mutexes[i].address();
            if (address >= m + PTHREAD_LOCK && address < m + NAME) return i;
        }
        return -1;
    }

    boolean watchesSafepoints() { return safepointState != null; }

    int indexOf(String name) {
        for (int i = 0; i < names.length; i++) if (names[i].equals(name)) return i;
        return -1;
    }

    /** Address of HotSpot's Mutex object index. */
    long mutexAddress(int index) {
        return mutexes[index].address();
    }

    /** Address of the pthread mutex inside mutex index: what a thread locks to hold it. */
    long pthreadMutexAddress(int index) {
        return mutexes[index].address() + PTHREAD_LOCK;
    }

    String name(int index) {
        if (index == mutexes.length) return "safepoint";
        return index >= 0 && index < names.length ? names[index] : "mutex #" + index;
    }

    /** The thread id glibc recorded as the holder of mutex index (0 when none or for the safepoint). */
    int ownerTid(int index) {
        return index < mutexes.length ? mutexes[index].getInt(PTHREAD_OWNER_TID) : 0;
    }
}
