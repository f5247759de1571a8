package jfork.kernel;

import com.google.gson.JsonObject;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** A real jfork kernel JVM started from the test classpath with its own connection file. */
final class KernelProcess implements AutoCloseable {
    /** The kernelspec's own flags (install/jvm-flags, the one place they are defined) and the WhiteBox class. */
    static final List<String> JVM_FLAGS = jvmFlags();

    private static List<String> jvmFlags() {
        Path file = Path.of(System.getProperty("user.dir")).resolve("../install/jvm-flags").normalize();
        List<String> flags = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file)) {
                int hash = line.indexOf('#');
                String args = (hash >= 0 ? line.substring(0, hash) : line).trim();
                if (!args.isEmpty()) flags.addAll(List.of(args.split("\\s+")));
            }
        } catch (IOException e) {
            throw new IllegalStateException("the kernel's JVM flags: " + file, e);
        }
        flags.add("-Xbootclasspath/a:" + whiteBoxJar());
        return List.copyOf(flags);
    }

    /** The build's jar with only the WhiteBox class, next to target/classes (see install/jvm-flags). */
    static String whiteBoxJar() {
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            if (p.endsWith(Path.of("target", "classes"))) return p.getParent().resolve("jfork-kernel-whitebox.jar").toString();
        }
        throw new IllegalStateException("target/classes is not on the test class path: " + System.getProperty("java.class.path"));
    }

    final Process process;
    final Path connectionFile;
    final Path log;
    final JsonObject connection;

    KernelProcess() throws IOException {
        this(false);
    }

    /**
     * @param behindLauncher start the kernel from a shell that stays its parent (as jupyter_client's
     *        launcher does), so that a test can kill the launcher; {@link #process} is then the shell
     */
    KernelProcess(boolean behindLauncher) throws IOException {
        Path dir = Files.createTempDirectory("jfork-test");
        connectionFile = dir.resolve("kernel.json");
        log = dir.resolve("kernel.log");
        connection = new JsonObject();
        connection.addProperty("transport", "tcp");
        connection.addProperty("ip", "127.0.0.1");
        connection.addProperty("signature_scheme", "hmac-sha256");
        connection.addProperty("key", UUID.randomUUID().toString());
        java.util.Set<Integer> taken = new java.util.HashSet<>();
        for (String port : List.of("shell_port", "control_port", "stdin_port", "iopub_port", "hb_port")) {
            connection.addProperty(port, freePort(taken));
        }
        Files.writeString(connectionFile, connection.toString());
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JVM_FLAGS);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("jfork.Main");
        cmd.add(connectionFile.toString());
        // as jupyter_client does, the launcher tells the kernel to watch it (JPY_PARENT_PID)
        if (behindLauncher) cmd.addAll(0, List.of("/bin/sh", "-c", "JPY_PARENT_PID=$$ \"$@\" & wait", "launcher"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("JFORK_HANG_BACKTRACE", "1"); // a hung child's native stack lands in the log
        process = pb.start();
    }

    private static final int EPHEMERAL_LOW = ephemeralLow();
    private static final java.util.Random RANDOM = new java.util.Random();

    /** Where the OS's range for outgoing connections' own ports starts. */
    private static int ephemeralLow() {
        try {
            return Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32768; // Linux's default
        }
    }

    /**
     * A port nothing listens on, below the range the OS hands out for outgoing connections: the test
     * client connects (and reconnects every 100 ms) while the kernel starts, and a port picked with
     * bind(0) was once taken as such a connection's own port before the kernel bound it ("Address
     * already in use").
     */
    private static int freePort(java.util.Set<Integer> taken) throws IOException {
        int high = EPHEMERAL_LOW, low = Math.max(1024, high - 12_000);
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = low + RANDOM.nextInt(Math.max(1, high - low));
            if (taken.contains(port)) continue;
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
                taken.add(port);
                return port;
            } catch (IOException inUse) {
                // try another
            }
        }
        throw new IOException("no free port in " + low + ".." + high);
    }

    long pid() {
        return process.pid();
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    /** The kernel's log, for assertion messages. */
    String logTail() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        }
    }

    /**
     * What every fork-related test checks afterwards: children gone within {@code childGraceMillis},
     * none of them a zombie, and the kernel's descriptors back to {@code baselineFds} (its pump closes
     * a child's pipes once drained, so that may take up to 2 s).
     */
    void assertNoZombieNoOrphanNoLeakedFd(int baselineFds, long childGraceMillis) throws Exception {
        long deadline = System.currentTimeMillis() + childGraceMillis;
        while (process.children().findAny().isPresent() && System.currentTimeMillis() < deadline) Thread.sleep(20);
        java.util.Set<Long> children = process.children().map(ProcessHandle::pid).collect(java.util.stream.Collectors.toSet());
        for (long c : children) org.junit.jupiter.api.Assertions.assertNotEquals('Z', state(c), "zombie child " + c);
        org.junit.jupiter.api.Assertions.assertTrue(children.isEmpty(), "children still alive after the test: " + children);
        // judged on the count the wait ended with: counting again could catch a descriptor the
        // kernel opens for an instant (the huge-page keeper reading /proc/self/smaps after forks)
        deadline = System.currentTimeMillis() + 2000;
        int now = fds(pid());
        while (now != baselineFds && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
            now = fds(pid());
        }
        org.junit.jupiter.api.Assertions.assertEquals(baselineFds, now, () -> "file descriptors leaked: " + fdList(pid()));
    }

    /** The warm-up child's pipes close asynchronously: wait until the count stops moving. */
    static int stableFdCount(long pid) throws Exception {
        int last = -1;
        int now = fds(pid);
        for (int i = 0; i < 50 && now != last; i++) {
            Thread.sleep(100);
            last = now;
            now = fds(pid);
        }
        return now;
    }

    static int fds(long pid) throws IOException {
        try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return (int) s.count();
        }
    }

    static String fdList(long pid) {
        try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return s.map(p -> {
                try {
                    return p.getFileName() + "->" + Files.readSymbolicLink(p);
                } catch (IOException e) {
                    return p.getFileName() + "->?";
                }
            }).filter(l -> !l.contains(".jar") && !l.contains("/lib/modules")).toList().toString();
        } catch (IOException e) {
            return "?";
        }
    }

    static char state(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).charAt(0);
        } catch (IOException gone) {
            return '-';
        }
    }
}
