package jfork.process;

import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * The few libc calls jnr-posix does not offer. Bare C signatures, no behaviour.
 * Loaded once by {@link Native}; every method is a direct native call with no Java-side state,
 * so it is safe to use in a forked child where only the forking thread exists.
 */
public interface LibC {
    long SIG_DFL = 0;
    long SIG_IGN = 1;
    int PR_SET_PDEATHSIG = 1;
    int PR_GET_DUMPABLE = 3;
    int SIG_BLOCK = 0;
    int SIG_UNBLOCK = 1;
    short POLLIN = 0x1;
    short POLLERR = 0x8;
    short POLLHUP = 0x10;
    short POLLNVAL = 0x20;

    /** Ends the process at once: no JVM shutdown (System.exit hangs in a forked JVM). */
    void _exit(int code);

    int prctl(int option, long arg2, long arg3, long arg4, long arg5);

    /** Installs a C-level disposition: {@link #SIG_DFL} or {@link #SIG_IGN}; returns the old one. */
    long signal(int signum, long handler);

    /** glibc sigset_t is 1024 bits: pass long[16], bit (sig - 1) set for each signal. */
    int pthread_sigmask(int how, @In long[] set, @Out long[] oldset);

    int alarm(int seconds);

    /**
     * struct pollfd {int fd; short events; short revents;} packed as 2 ints per fd (little endian):
     * {@code pollfds[2i] = fd}, {@code pollfds[2i+1] = events | revents << 16}.
     */
    int poll(@In @Out int[] pollfds, int nfds, int timeoutMs);

    int pause();

    int getpid();

    /** addr and length as plain numbers (64-bit); see {@link HugePages}. */
    int madvise(long addr, long length, int advice);
}
