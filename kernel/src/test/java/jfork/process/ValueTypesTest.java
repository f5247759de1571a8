package jfork.process;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pure decoding and parsing: no forks. */
class ValueTypesTest {
    @Test
    void signalsParseEveryForm() {
        assertEquals(15, Signals.parse("SIGTERM"));
        assertEquals(15, Signals.parse("TERM"));
        assertEquals(15, Signals.parse("sigterm"));
        assertEquals(15, Signals.parse(" 15 "));
        assertEquals(9, Signals.parse("kill"));
        assertEquals("SIGKILL", Signals.name(9));
        assertEquals("signal 40", Signals.name(40));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Signals.parse("SIGFOO"));
        assertTrue(e.getMessage().contains("SIGTERM") && e.getMessage().contains("SIGFOO"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Signals.parse("0"));
        assertThrows(IllegalArgumentException.class, () -> Signals.parse(""));
    }

    @Test
    void exitStatusDecodesTheWMacros() {
        ExitStatus exited = ExitStatus.of(3 << 8);
        assertTrue(exited.exited() && !exited.signaled() && !exited.stopped());
        assertEquals(3, exited.exitCode());
        assertEquals("exited with code 3", exited.toString());
        assertEquals("exited with code 0", ExitStatus.of(0).toString());

        ExitStatus killed = ExitStatus.of(15);
        assertTrue(killed.signaled() && !killed.exited());
        assertEquals(15, killed.termSignal());
        assertEquals("killed by SIGTERM", killed.toString());
        ExitStatus core = ExitStatus.of(0x80 | 11);
        assertTrue(core.coreDumped());
        assertEquals("killed by SIGSEGV (core dumped)", core.toString());

        ExitStatus stopped = ExitStatus.of((19 << 8) | 0x7f);
        assertTrue(stopped.stopped() && !stopped.signaled() && !stopped.exited());
        assertEquals(19, stopped.stopSignal());
        assertEquals("stopped by SIGSTOP", stopped.toString());

        ExitStatus cont = ExitStatus.of(0xffff);
        assertTrue(cont.continued() && !cont.terminated());
        assertEquals("continued", cont.toString());

        assertThrows(IllegalStateException.class, killed::exitCode);
    }

    @Test
    void controlRecordsSurviveAnyChunking() {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        stream.writeBytes(ControlFrames.encode(ControlFrames.STARTED, new byte[0]));
        stream.writeBytes(ControlFrames.encode((byte) 2, "hello".getBytes()));
        stream.writeBytes(ControlFrames.encode((byte) 127, new byte[70_000]));
        byte[] all = stream.toByteArray();
        for (int chunk : new int[] {1, 3, 5, 4096, all.length}) {
            List<String> got = new ArrayList<>();
            ControlFrames.Reassembler r = new ControlFrames.Reassembler();
            for (int off = 0; off < all.length; off += chunk) {
                r.feed(all, off, Math.min(chunk, all.length - off), (t, p) -> got.add(t + ":" + p.length));
            }
            assertEquals(List.of("1:0", "2:5", "127:70000"), got, "chunk " + chunk);
            assertEquals(0, r.pendingBytes());
        }
    }

    @Test
    void procStateParsesCommandsWithSpacesAndParens() {
        String stat = "4312 (my (odd) cmd) S 4300 4312 4300 0 -1 4194304 100 0 0 0 7 3 0 0 20 0 1 0 12345 1000 250 18446744073709551615";
        ProcState s = ProcState.parse(stat);
        assertEquals(4312, s.pid());
        assertEquals("my (odd) cmd", s.command());
        assertEquals('S', s.state());
        assertEquals(4300, s.ppid());
        assertEquals(4312, s.pgrp());
        assertEquals(10, s.cpuTicks());
        assertEquals(1, s.threads());
        assertEquals(12345, s.startTicks());
        assertEquals(250, s.rssPages());
        ProcState self = ProcState.read(Native.posix().getpid());
        assertTrue("RS".indexOf(self.state()) >= 0, "state of the leader thread: " + self.state());
        assertTrue(self.threads() > 1);
        assertNull(ProcState.read(Integer.MAX_VALUE));
    }

    @Test
    void posixExceptionNamesCallAndErrno() {
        PosixException e = new PosixException("kill(4312, SIGTERM)", 3);
        assertEquals("kill(4312, SIGTERM): ESRCH, no such process", e.getMessage());
        assertEquals("ESRCH", e.errnoName());
        assertEquals(3, e.errno());
        assertEquals("EPERM", new PosixException("x", 1).errnoName());
        assertEquals("ECHILD", new PosixException("x", 10).errnoName());
        assertEquals("EAGAIN", new PosixException("x", 11).errnoName());
    }

    @Test
    void untimedFutexLineRecognition() {
        assertTrue(HangWatch.isUntimedFutexWait("202 0x7fa3b0018038 0x189 0x0 0x0 0x0 0xffffffff 0x7f 0x7f"));
        assertFalse(HangWatch.isUntimedFutexWait("202 0x7fa3b0019a78 0x89 0x0 0x7fa3b51fb720 0x0 0xffffffff 0x7f 0x7f"));
        assertFalse(HangWatch.isUntimedFutexWait("0 0x28 0x7fa3b51fb3e0 0x1 0x7fa3b51fb3e0 0x0 0x7f 0x7f 0x7f"));
        assertFalse(HangWatch.isUntimedFutexWait("running"));
        assertFalse(HangWatch.isUntimedFutexWait("-1 0x7ffd 0x7f"));
    }
}
