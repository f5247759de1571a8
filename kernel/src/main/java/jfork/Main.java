package jfork;

import jfork.execution.Interpreter;
import jfork.execution.JShellInterpreter;
import jfork.magics.ForkMagic;
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
        if (args.length != 1) {
            System.err.println("usage: java -jar jfork-kernel.jar CONNECTION_FILE");
            System.exit(2);
        }
        Log.warn("starting, pid " + ProcessHandle.current().pid());
        AtomicReference<Interpreter> interpreter = new AtomicReference<>();
        KernelLauncher.launch(Path.of(args[0]), (sink, input) -> {
            interpreter.set(new JShellInterpreter(sink, input, magics()));
            return interpreter.get();
        });
        // SIGINT interrupts the running cell; it must never end the kernel (a JVM's default).
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), s -> interpreter.get().interrupt());
    }

    static MagicRegistry magics() {
        return new MagicRegistry()
                .register(new LsMagic())
                .register(new TimeMagic(false))
                .register(new TimeMagic(true))
                .register(new TimeitMagic())
                .register(new ForkMagic())
                .register(new PoolMagic())
                .register(new PsMagic())
                .register(new PsTreeMagic());
    }

    private Main() {
    }
}
