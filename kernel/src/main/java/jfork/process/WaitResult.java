package jfork.process;

/** Like Python's os.waitpid result: (pid, status), or (0, null) when WNOHANG found nothing. */
public record WaitResult(int pid, ExitStatus status) {
    static final WaitResult NOTHING_YET = new WaitResult(0, null);
}
