package jfork.protocol;

import com.google.gson.JsonArray;
import jfork.Log;
import com.google.gson.JsonObject;
import jfork.execution.Completeness;
import jfork.execution.Completion;
import jfork.execution.ExecuteOutcome;
import jfork.execution.ExecuteRequest;
import jfork.execution.Inspection;
import jfork.execution.Interpreter;
import org.zeromq.ZMQ;

import java.util.List;
import java.util.Map;

/**
 * The request dispatcher: one handler table per channel, busy/idle owned here (not by handlers),
 * and the abort flag that makes queued cells fail fast after an error.
 */
public final class Kernel {
    private static final boolean TIMING = System.getenv("JFORK_TIMING") != null;
    static final String VERSION = "0.1.0";

    private interface Handler {
        void handle(ZMQ.Socket channel, WireMessage request);
    }

    private final Sockets sockets;
    private final WireCodec codec;
    private final Session session;
    private final IOPub iopub;
    private final Interpreter interpreter;
    private final History history = new History();
    private final Map<String, Handler> shellHandlers;
    private final Map<String, Handler> controlHandlers;
    private final Object shellSendLock = new Object();
    private final Object controlSendLock = new Object();
    private int executionCount = 0;
    private volatile boolean shuttingDown;
    // Runtime.halt can wait up to 10 s for a JIT compiler thread to leave native code; the launcher
    // may give something quicker (libc _exit) once replies are out.
    private volatile java.util.function.IntConsumer exit = code -> Runtime.getRuntime().halt(code);

    void exitWith(java.util.function.IntConsumer exit) {
        this.exit = exit;
    }

    Kernel(Sockets sockets, WireCodec codec, Session session, IOPub iopub, Interpreter interpreter) {
        this.sockets = sockets;
        this.codec = codec;
        this.session = session;
        this.iopub = iopub;
        this.interpreter = interpreter;
        this.shellHandlers = Map.of(
                "kernel_info_request", this::kernelInfo,
                "execute_request", this::execute,
                "complete_request", this::complete,
                "inspect_request", this::inspect,
                "is_complete_request", this::isComplete,
                "history_request", this::history,
                "comm_info_request", this::commInfo,
                "shutdown_request", this::shutdown);
        this.controlHandlers = Map.of(
                "kernel_info_request", this::kernelInfo,
                "interrupt_request", this::interrupt,
                "shutdown_request", this::shutdown);
    }

    void start() {
        daemon("jfork-heartbeat", this::heartbeatLoop).start();
        daemon("jfork-control", () -> serve(sockets.control, controlHandlers)).start();
        Thread shell = new Thread(() -> serve(sockets.shell, shellHandlers), "jfork-shell");
        shell.start();
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private void heartbeatLoop() {
        while (!shuttingDown) {
            byte[] ping = sockets.heartbeat.recv(0);
            if (ping == null) return;
            sockets.heartbeat.send(ping, 0);
        }
    }

    private void serve(ZMQ.Socket channel, Map<String, Handler> handlers) {
        while (!shuttingDown) {
            List<byte[]> frames;
            try {
                frames = Sockets.receive(channel);
            } catch (RuntimeException closed) {
                return;
            }
            if (frames == null) return;
            WireMessage request = decodeOrLog(frames);
            if (request != null) dispatch(channel, handlers, request);
        }
    }

    private WireMessage decodeOrLog(List<byte[]> frames) {
        try {
            return codec.decode(frames);
        } catch (WireCodec.BadSignature bad) {
            Log.warn("rejected a message: " + bad.getMessage());
            return null;
        } catch (RuntimeException malformed) {
            Log.warn("rejected a malformed message: " + malformed);
            return null;
        }
    }

    private void dispatch(ZMQ.Socket channel, Map<String, Handler> handlers, WireMessage request) {
        Handler handler = handlers.get(request.type());
        if (handler == null) {
            if (!request.type().startsWith("comm_")) Log.warn("unknown message type: " + request.type());
            return;
        }
        long t0 = System.nanoTime();
        iopub.status(request, "busy");
        try {
            handler.handle(channel, request);
        } catch (RuntimeException e) {
            Log.warn(request.type() + " failed: " + e);
        } finally {
            iopub.status(request, "idle");
            if (TIMING) Log.warn(String.format("%s: busy to idle %.2f ms", request.type(), (System.nanoTime() - t0) / 1e6));
        }
    }

    private void send(ZMQ.Socket channel, WireMessage request, String replyType, JsonObject content) {
        Object lock = channel == sockets.control ? controlSendLock : shellSendLock;
        synchronized (lock) {
            Sockets.send(channel, codec.encode(session.reply(request, replyType, content)));
        }
    }

    private static JsonObject ok() {
        JsonObject c = new JsonObject();
        c.addProperty("status", "ok");
        return c;
    }

    // ---- handlers -------------------------------------------------------------------------

    private void kernelInfo(ZMQ.Socket channel, WireMessage request) {
        JsonObject c = ok();
        c.addProperty("protocol_version", Session.PROTOCOL_VERSION);
        c.addProperty("implementation", "jfork");
        c.addProperty("implementation_version", VERSION);
        JsonObject lang = new JsonObject();
        lang.addProperty("name", "java");
        lang.addProperty("version", Runtime.version().toString());
        lang.addProperty("mimetype", "text/x-java-source");
        lang.addProperty("file_extension", ".jshell");
        lang.addProperty("pygments_lexer", "java");
        lang.addProperty("codemirror_mode", "text/x-java");
        c.add("language_info", lang);
        c.addProperty("banner", "jfork " + VERSION + ": Java " + Runtime.version() + " (JShell) with POSIX fork");
        JsonArray links = new JsonArray();
        c.add("help_links", links);
        c.addProperty("debugger", false);
        send(channel, request, "kernel_info_reply", c);
    }

    private void execute(ZMQ.Socket channel, WireMessage request) {
        String code = request.contentString("code", "");
        boolean silent = request.contentBoolean("silent", false);
        boolean storeHistory = !silent && request.contentBoolean("store_history", true);
        boolean stopOnError = request.contentBoolean("stop_on_error", true);
        boolean allowStdin = request.contentBoolean("allow_stdin", true);
        int count;
        synchronized (this) {
            if (storeHistory) executionCount++;
            count = executionCount;
        }
        if (!silent) iopub.executeInput(request, code, count);

        ExecuteOutcome outcome = interpreter.execute(
                new ExecuteRequest(code, silent, storeHistory, allowStdin, count, request));

        JsonObject reply;
        if (outcome.ok()) {
            if (outcome.result() != null && !silent) iopub.executeResult(request, count, outcome.result());
            reply = ok();
            reply.addProperty("execution_count", count);
            JsonArray payload = new JsonArray();
            for (Map<String, Object> p : outcome.payloads()) payload.add(com.google.gson.JsonParser.parseString(WireCodec.toJson(p)));
            reply.add("payload", payload);
            reply.add("user_expressions", new JsonObject());
        } else {
            iopub.error(request, outcome.ename(), outcome.evalue(), outcome.traceback());
            reply = IOPub.errorContent(outcome.ename(), outcome.evalue(), outcome.traceback());
            reply.addProperty("status", "error");
            reply.addProperty("execution_count", count);
            reply.add("user_expressions", new JsonObject());
            reply.add("payload", new JsonArray());
        }
        if (storeHistory) {
            String output = outcome.ok() && outcome.result() != null ? outcome.result().toString() : "";
            history.record(count, code, output);
        }
        send(channel, request, "execute_reply", reply);
        if (!outcome.ok() && stopOnError) abortQueuedCells(channel);
    }

    /** After a failing cell, the cells already queued behind it are answered 'aborted' (stop_on_error). */
    private void abortQueuedCells(ZMQ.Socket channel) {
        // Take what is queued now before answering any of it: a client that sends its next cell as
        // soon as it reads the last 'aborted' reply must not see that cell aborted too.
        List<List<byte[]>> queue = new java.util.ArrayList<>();
        List<byte[]> next;
        while ((next = receiveNow(channel)) != null) queue.add(next);
        for (List<byte[]> frames : queue) {
            WireMessage queued = decodeOrLog(frames);
            if (queued == null) continue;
            if ("execute_request".equals(queued.type())) {
                iopub.status(queued, "busy");
                JsonObject c = new JsonObject();
                c.addProperty("status", "aborted");
                c.addProperty("execution_count", executionCount);
                send(channel, queued, "execute_reply", c);
                iopub.status(queued, "idle");
            } else {
                dispatch(channel, shellHandlers, queued);
            }
        }
    }

    private static List<byte[]> receiveNow(ZMQ.Socket socket) {
        byte[] first = socket.recv(ZMQ.DONTWAIT);
        if (first == null) return null;
        List<byte[]> frames = new java.util.ArrayList<>();
        frames.add(first);
        while (socket.hasReceiveMore()) frames.add(socket.recv(0));
        return frames;
    }

    private void complete(ZMQ.Socket channel, WireMessage request) {
        String code = request.contentString("code", "");
        int cursor = Math.min(request.contentInt("cursor_pos", code.length()), code.length());
        Completion completion = interpreter.complete(code, cursor);
        JsonObject c = ok();
        JsonArray matches = new JsonArray();
        completion.matches().forEach(matches::add);
        c.add("matches", matches);
        c.addProperty("cursor_start", completion.cursorStart());
        c.addProperty("cursor_end", completion.cursorEnd());
        c.add("metadata", new JsonObject());
        send(channel, request, "complete_reply", c);
    }

    private void inspect(ZMQ.Socket channel, WireMessage request) {
        String code = request.contentString("code", "");
        int cursor = Math.min(request.contentInt("cursor_pos", code.length()), code.length());
        Inspection found = interpreter.inspect(code, cursor, request.contentInt("detail_level", 0));
        JsonObject c = ok();
        c.addProperty("found", found.found());
        JsonObject bundle = IOPub.bundleContent(found.bundle());
        c.add("data", bundle.get("data"));
        c.add("metadata", bundle.get("metadata"));
        send(channel, request, "inspect_reply", c);
    }

    private void isComplete(ZMQ.Socket channel, WireMessage request) {
        Completeness answer = interpreter.isComplete(request.contentString("code", ""));
        JsonObject c = new JsonObject();
        c.addProperty("status", answer.status());
        if ("incomplete".equals(answer.status())) c.addProperty("indent", answer.indent());
        send(channel, request, "is_complete_reply", c);
    }

    private void history(ZMQ.Socket channel, WireMessage request) {
        boolean output = request.contentBoolean("output", false);
        String access = request.contentString("hist_access_type", "tail");
        JsonArray entries = switch (access) {
            case "range" -> history.range(request.contentInt("session", 0), request.contentInt("start", 0),
                    request.contentInt("stop", 0), output);
            case "search" -> history.search(request.contentString("pattern", "*"), request.contentInt("n", 0),
                    request.contentBoolean("unique", false), output);
            default -> history.tail(request.contentInt("n", 10), output);
        };
        JsonObject c = ok();
        c.add("history", entries);
        send(channel, request, "history_reply", c);
    }

    private void commInfo(ZMQ.Socket channel, WireMessage request) {
        JsonObject c = ok();
        c.add("comms", new JsonObject());
        send(channel, request, "comm_info_reply", c);
    }

    private void interrupt(ZMQ.Socket channel, WireMessage request) {
        interpreter.interrupt();
        send(channel, request, "interrupt_reply", ok());
    }

    private void shutdown(ZMQ.Socket channel, WireMessage request) {
        boolean restart = request.contentBoolean("restart", false);
        JsonObject c = ok();
        c.addProperty("restart", restart);
        send(channel, request, "shutdown_reply", c);
        iopub.publish(request.header, "shutdown_reply", c);
        shutdownNow(0);
    }

    /** Ends children and the JVM within a bounded time, even while a cell is still running. */
    void shutdownNow(int exitCode) {
        shuttingDown = true;
        Thread watchdog = daemon("jfork-shutdown-watchdog", () -> {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException ignored) {
            }
            exit.accept(exitCode);
        });
        watchdog.start();
        long t0 = System.nanoTime();
        try {
            interpreter.shutdown();
        } catch (RuntimeException e) {
            Log.warn("shutdown: " + e);
        }
        Log.warn(String.format("shutdown: children ended in %d ms", (System.nanoTime() - t0) / 1_000_000));
        iopub.status(null, "idle");
        try {
            Thread.sleep(50); // let ZeroMQ's I/O thread push the last replies out
        } catch (InterruptedException ignored) {
        }
        exit.accept(exitCode);
    }
}
