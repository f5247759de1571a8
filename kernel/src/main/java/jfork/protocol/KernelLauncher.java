package jfork.protocol;

import io.github.spencerpark.jupyter.kernel.KernelConnectionProperties;
import jfork.execution.InputSource;
import jfork.execution.Interpreter;
import jfork.execution.OutputSink;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BiFunction;

/** Binds the sockets of a connection file and starts serving with the interpreter it is given. */
public final class KernelLauncher {
    public static Kernel launch(Path connectionFile, BiFunction<OutputSink, InputSource, Interpreter> interpreterFactory)
            throws Exception {
        return launch(connectionFile, interpreterFactory, code -> Runtime.getRuntime().halt(code));
    }

    /** @param exit ends the process once the kernel has answered a shutdown request */
    public static Kernel launch(Path connectionFile, BiFunction<OutputSink, InputSource, Interpreter> interpreterFactory,
                                java.util.function.IntConsumer exit) throws Exception {
        KernelConnectionProperties props = KernelConnectionProperties.parse(Files.readString(connectionFile));
        Signer signer = new Signer(props.createHMACGenerator());
        WireCodec codec = new WireCodec(signer);
        Session session = new Session();
        Sockets sockets = new Sockets(props);
        IOPub iopub = new IOPub(sockets.iopub, codec, session);
        Stdin stdin = new Stdin(sockets.stdin, codec, session);
        Interpreter interpreter = interpreterFactory.apply(iopub, stdin);
        Kernel kernel = new Kernel(sockets, codec, session, iopub, interpreter);
        kernel.exitWith(exit);
        kernel.start();
        ParentWatch.start(kernel);
        iopub.status(null, "starting");
        return kernel;
    }

    private KernelLauncher() {
    }
}
