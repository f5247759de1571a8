package jfork.process;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import jnr.ffi.Pointer;

/**
 * The Serial collector's eden, read in place: its bottom, its allocation top and its end. Found the
 * way HotSpot's serviceability agent finds it, through the field table libjvm exports
 * ({@code gHotSpotVMStructs}): {@code Universe::_collectedHeap} -> the heap's {@code _young_gen}
 * -> {@code DefNewGeneration::_eden_space} -> its {@code _bottom}, {@code _top} and {@code _end}.
 * Reading the top is one memory load: no allocation, no call into the VM, so it can be done at the
 * instant of a fork.
 *
 * <p>Only for the Serial collector (the kernel's), and only after checking the result against the
 * eden pool's own figures ({@code capacity == end - bottom}, {@code used} within what was allocated
 * between two readings); anything else gives null.
 */
final class EdenSpace {
    private final Pointer space;
    private final long bottomOffset, topOffset, endOffset;

    private EdenSpace(Pointer space, long bottomOffset, long topOffset, long endOffset) {
        this.space = space;
        this.bottomOffset = bottomOffset;
        this.topOffset = topOffset;
        this.endOffset = endOffset;
    }

    long bottom() { return space.getLong(bottomOffset); }

    /** Where the next TLAB or object outside a TLAB is carved from: everything allocated is below it. */
    long top() { return space.getLong(topOffset); }

    long end() { return space.getLong(endOffset); }

    /** Null unless this JVM runs the Serial collector and its eden could be found and checked. */
    static EdenSpace locate() {
        try {
            if (!serialCollector()) return null;
            MemoryPoolMXBean pool = null;
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) if (p.getName().equals("Eden Space")) pool = p;
            if (pool == null) return null;
            long[] base = new long[1];
            Path libjvm = ChildCompilerOff.loadedLibjvm(base);
            if (libjvm == null) return null;
            Map<String, Long> fields = vmStructs(libjvm, base[0]);
            Long heapVar = fields.get("Universe::_collectedHeap");
            Long youngGen = first(fields, "SerialHeap::_young_gen", "GenCollectedHeap::_young_gen");
            Long edenSpace = fields.get("DefNewGeneration::_eden_space");
            Long bottom = first(fields, "ContiguousSpace::_bottom", "Space::_bottom");
            Long top = fields.get("ContiguousSpace::_top");
            Long end = first(fields, "ContiguousSpace::_end", "Space::_end");
            if (heapVar == null || youngGen == null || edenSpace == null || bottom == null || top == null || end == null) return null;
            var mm = jnr.ffi.Runtime.getSystemRuntime().getMemoryManager();
            long heap = mm.newPointer(heapVar).getLong(0);
            long young = heap == 0 ? 0 : mm.newPointer(heap + youngGen).getLong(0);
            long eden = young == 0 ? 0 : mm.newPointer(young + edenSpace).getLong(0);
            if (eden == 0) return null;
            EdenSpace s = new EdenSpace(mm.newPointer(eden), bottom, top, end);
            long usedBefore = pool.getUsage().getUsed();
            long b = s.bottom(), t = s.top(), e = s.end();
            long usedAfter = pool.getUsage().getUsed();
            long capacity = pool.getUsage().getCommitted();
            boolean consistent = b > 0 && b <= t && t <= e && e - b == capacity
                    && t - b >= Math.min(usedBefore, usedAfter) && t - b <= Math.max(usedBefore, usedAfter);
            return consistent ? s : null;
        } catch (RuntimeException | LinkageError | java.io.IOException e) {
            return null;
        }
    }

    private static boolean serialCollector() {
        boolean copy = false, markSweep = false;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            copy |= gc.getName().equals("Copy");
            markSweep |= gc.getName().equals("MarkSweepCompact");
        }
        return copy && markSweep;
    }

    private static Long first(Map<String, Long> fields, String... names) {
        for (String n : names) if (fields.containsKey(n)) return fields.get(n);
        return null;
    }

    /**
     * "Type::_field" -> offset of a non-static field, or the address of a static one, from the
     * table HotSpot exports for debuggers (the layout of its entries is exported too).
     */
    private static Map<String, Long> vmStructs(Path libjvm, long base) throws java.io.IOException {
        var mm = jnr.ffi.Runtime.getSystemRuntime().getMemoryManager();
        String[] names = {"gHotSpotVMStructs", "gHotSpotVMStructEntryTypeNameOffset", "gHotSpotVMStructEntryFieldNameOffset",
                "gHotSpotVMStructEntryIsStaticOffset", "gHotSpotVMStructEntryOffsetOffset", "gHotSpotVMStructEntryAddressOffset",
                "gHotSpotVMStructEntryArrayStride"};
        long[] symbols = ChildCompilerOff.symbolValues(libjvm, names);
        long[] v = new long[names.length];
        for (int i = 0; i < names.length; i++) {
            if (symbols[i] <= 0) return Map.of();
            v[i] = mm.newPointer(base + symbols[i]).getLong(0);
        }
        long entry = v[0];
        long typeName = v[1], fieldName = v[2], isStatic = v[3], offset = v[4], address = v[5], stride = v[6];
        Map<String, Long> out = new HashMap<>();
        if (entry == 0 || stride <= 0 || stride > 256) return out;
        for (int i = 0; i < 10_000; i++, entry += stride) {
            Pointer e = mm.newPointer(entry);
            long type = e.getLong(typeName);
            if (type == 0) break;
            long field = e.getLong(fieldName);
            if (field == 0) continue;
            String key = cString(mm.newPointer(type)) + "::" + cString(mm.newPointer(field));
            out.put(key, e.getInt(isStatic) != 0 ? e.getLong(address) : e.getLong(offset));
        }
        return out;
    }

    private static String cString(Pointer p) {
        byte[] b = new byte[96];
        p.get(0, b, 0, b.length);
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.US_ASCII);
    }
}
