package jfork;

import jfork.execution.Interpreter;
import jfork.execution.JShellInterpreter;
import jfork.execution.KernelSignals;
import jfork.magics.ForkConfigMagic;
import jfork.magics.ForkMagic;
import jfork.magics.KillMagic;
import jfork.magics.OutputMagic;
import jfork.magics.SignalMagic;
import jfork.magics.StartMethodMagic;
import jfork.magics.LsMagic;
import jfork.magics.PsMagic;
import jfork.magics.PsTreeMagic;
import jfork.magics.MagicRegistry;
import jfork.magics.PoolMagic;
import jfork.magics.TimeMagic;
import jfork.magics.TimeitMagic;
import jfork.protocol.KernelLauncher;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

/** Entry point: {@code java -jar jfork-kernel.jar CONNECTION_FILE}. */
public final class Main {
    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("--self-test")) {
            // install/run records the classes of a whole session into a CDS archive this way
            jfork.protocol.SelfTest.run((sink, input) -> new JShellInterpreter(sink, input, magics()));
            System.exit(0);
        }
        if (args.length != 1) {
            System.err.println("usage: java -jar jfork-kernel.jar CONNECTION_FILE | --self-test");
            System.exit(2);
        }
        Log.warn("starting, pid " + ProcessHandle.current().pid());
        bindNativeInBackground();
        AtomicReference<Interpreter> interpreter = new AtomicReference<>();
        KernelLauncher.launch(Path.of(args[0]), (sink, input) -> {
            interpreter.set(new JShellInterpreter(sink, input, magics()));
            return interpreter.get();
        }, Main::exitNow);
        // SIGINT interrupts the running cell (unless a cell installed a handler); it must never end the kernel.
        KernelSignals.installKernelInterrupt(() -> interpreter.get().interrupt());
    }

    private static volatile boolean nativeReady;

    /**
     * Ends the process at once. The JVM's own exit waits for busy JIT threads (up to seconds right
     * after start-up); libc's _exit does not, but binding it takes a moment, so it is bound early
     * in the background and halt is the fallback until then.
     */
    static void exitNow(int code) {
        if (nativeReady) jfork.process.Native.libc()._exit(code);
        Runtime.getRuntime().halt(code);
    }

    private static void bindNativeInBackground() {
        Thread t = new Thread(() -> {
            jfork.process.Native.libc().getpid();
            nativeReady = true;
        }, "jfork-native-init");
        t.setDaemon(true);
        t.start();
    }

    static MagicRegistry magics() {
        return new MagicRegistry()
                .register(new LsMagic())
                .register(new TimeMagic(false))
                .register(new TimeMagic(true))
                .register(new TimeitMagic())
                .register(new ForkMagic())
                .register(new PoolMagic())
                .register(new StartMethodMagic())
                .register(new PsMagic())
                .register(new PsTreeMagic())
                .register(new OutputMagic())
                .register(new ForkConfigMagic())
                .register(new KillMagic())
                .register(new SignalMagic());
    }

    private Main() {
    }
}
