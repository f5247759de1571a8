package jfork.process;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.reflect.Method;
import java.util.List;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

class CompileBeforeForkTest {

    /**
     * A lambda never called in this JVM: compiled here before the fork, it is compiled in the child
     * too (a forked JVM has no compiler; without this it would run interpreted there). The child
     * reports through its exit code: 0 all compiled, 1 not, 2 none to check.
     */
    @Test
    void aFunctionTheParentNeverRanIsCompiledInTheChild() throws Exception {
        assertTrue(CompileBeforeFork.available(), "the WhiteBox API: -XX:+WhiteBoxAPI and the whitebox jar on the boot class path");
        IntUnaryOperator neverRun = x -> x * 3 + 1;
        List<Method> methods = CompileBeforeFork.methodsFor(neverRun);
        assertTrue(methods.stream().anyMatch(m -> m.getName().startsWith("lambda$")), "no lambda body among " + methods);
        for (Method m : methods) assertFalse(CompileBeforeFork.isCompiled(m), m + " compiled before anything asked");

        List<Method> compiled = CompileBeforeFork.compile(neverRun, 5_000);
        assertEquals(methods, compiled, "compiled in the parent");

        Forker forker = Forker.get();
        ForkedProcess child = forker.start("compiled?", new Recorder(), () -> {
            if (methods.isEmpty()) Forker.exitChild(2);
            for (Method m : methods) if (!CompileBeforeFork.isCompiled(m)) Forker.exitChild(1);
            Forker.exitChild(0);
        });
        assertEquals("exited with code 0", child.waitFor().toString(), "the child found interpreted methods: " + methods);
    }

    /** The check can fail: a lambda nobody compiled is interpreted in a child. */
    @Test
    void aFunctionNobodyCompiledIsInterpretedInTheChild() throws Exception {
        IntUnaryOperator neverCompiled = x -> x * 5 + 2;
        List<Method> methods = CompileBeforeFork.methodsFor(neverCompiled);
        ForkedProcess child = Forker.get().start("interpreted?", new Recorder(), () -> {
            for (Method m : methods) if (CompileBeforeFork.isCompiled(m)) Forker.exitChild(1);
            Forker.exitChild(0);
        });
        assertEquals("exited with code 0", child.waitFor().toString());
    }
}
