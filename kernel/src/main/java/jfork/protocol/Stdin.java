package jfork.protocol;

import com.google.gson.JsonObject;
import jfork.Log;
import jfork.execution.InputSource;
import org.zeromq.ZMQ;

import java.util.List;

/** input_request / input_reply on the stdin channel, addressed to the frontend that sent the cell. */
final class Stdin implements InputSource {
    private final ZMQ.Socket socket;
    private final WireCodec codec;
    private final Session session;
    Stdin(ZMQ.Socket socket, WireCodec codec, Session session) {
        this.socket = socket;
        this.codec = codec;
        this.session = session;
    }

    @Override
    public synchronized String readLine(Object cell, String prompt, boolean password) {
        if (!(cell instanceof WireMessage request) || !request.contentBoolean("allow_stdin", true)) {
            throw new IllegalStateException("this frontend does not support input requests");
        }
        JsonObject c = new JsonObject();
        c.addProperty("prompt", prompt);
        c.addProperty("password", password);
        WireMessage ask = new WireMessage(request.identities, session.header("input_request"), request.header,
                new JsonObject(), c, List.of());
        Sockets.send(socket, codec.encode(ask));
        socket.setReceiveTimeOut(100);
        while (true) {
            List<byte[]> frames = Sockets.receive(socket);
            if (frames == null) {
                // an interrupt of the cell interrupts the thread that waits here
                if (Thread.currentThread().isInterrupted()) throw new IllegalStateException("input interrupted");
                continue;
            }
            try {
                WireMessage reply = codec.decode(frames);
                if ("input_reply".equals(reply.type())) return reply.contentString("value", "");
            } catch (WireCodec.BadSignature bad) {
                Log.warn("stdin: dropped a message: " + bad.getMessage());
            }
        }
    }
}
