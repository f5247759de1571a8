package jfork.protocol;

import io.github.spencerpark.jupyter.kernel.KernelConnectionProperties;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import java.util.ArrayList;
import java.util.List;

/** The five kernel sockets, bound to the ports of the connection file. */
final class Sockets implements AutoCloseable {
    final ZContext context = new ZContext(1);
    final ZMQ.Socket shell;
    final ZMQ.Socket control;
    final ZMQ.Socket stdin;
    final ZMQ.Socket iopub;
    final ZMQ.Socket heartbeat;

    Sockets(KernelConnectionProperties p) {
        String base = p.getTransport() + "://" + p.getIp();
        String sep = "tcp".equals(p.getTransport()) ? ":" : "-";
        shell = bind(SocketType.ROUTER, base + sep + p.getShellPort());
        control = bind(SocketType.ROUTER, base + sep + p.getControlPort());
        stdin = bind(SocketType.ROUTER, base + sep + p.getStdinPort());
        iopub = bind(SocketType.PUB, base + sep + p.getIopubPort());
        heartbeat = bind(SocketType.REP, base + sep + p.getHbPort());
    }

    private ZMQ.Socket bind(SocketType type, String address) {
        ZMQ.Socket s = context.createSocket(type);
        s.setLinger(500);
        // Never drop output: ZeroMQ's default high-water mark silently discards IOPub messages.
        s.setSndHWM(0);
        s.setRcvHWM(0);
        s.bind(address);
        return s;
    }

    static List<byte[]> receive(ZMQ.Socket socket) {
        List<byte[]> frames = new ArrayList<>();
        do {
            byte[] f = socket.recv(0);
            if (f == null) return null;
            frames.add(f);
        } while (socket.hasReceiveMore());
        return frames;
    }

    static void send(ZMQ.Socket socket, List<byte[]> frames) {
        for (int i = 0; i < frames.size(); i++) {
            socket.send(frames.get(i), i < frames.size() - 1 ? ZMQ.SNDMORE : 0);
        }
    }

    @Override
    public void close() {
        context.close();
    }
}
