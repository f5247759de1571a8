package jfork.kernel;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import static jfork.kernel.TestClient.obj;
import static org.junit.jupiter.api.Assertions.*;

/** The kernel over ZeroMQ with signed messages: what every Jupyter frontend relies on. */
@Timeout(120)
class KernelProtocolTest {
    static KernelProcess kernel;
    static TestClient client;

    @BeforeAll
    static void start() throws Exception {
        kernel = new KernelProcess();
        client = new TestClient(kernel);
        client.waitReady();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        kernel.close();
    }

    private static final Pattern ISO_MICROS = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}(Z|[+-]\\d\\d:\\d\\d)");

    @Test
    void kernelInfoOnShellAndControlSaysOkWithMicrosecondTimestamps() {
        for (var socket : List.of(client.shell, client.control)) {
            TestClient.Msg reply = client.request(socket, "kernel_info_request", new JsonObject());
            assertEquals("ok", reply.content().get("status").getAsString());
            assertEquals("java", reply.content().getAsJsonObject("language_info").get("name").getAsString());
            assertEquals("5.3", reply.content().get("protocol_version").getAsString());
            assertTrue(ISO_MICROS.matcher(reply.header().get("date").getAsString()).matches(), reply.header().toString());
        }
    }

    @Test
    void commInfoAndHistoryAreAnswered() {
        assertEquals("ok", client.request(client.shell, "comm_info_request", new JsonObject()).content().get("status").getAsString());
        client.execute("int historyProbe = 40 + 2;");
        TestClient.Msg h = client.request(client.shell, "history_request",
                obj("hist_access_type", "tail", "n", 5, "output", false, "raw", true));
        assertEquals("ok", h.content().get("status").getAsString());
        assertTrue(h.content().getAsJsonArray("history").toString().contains("historyProbe"));
    }

    @Test
    void expressionStdoutAndStderr() {
        var r = client.execute("System.out.println(\"out\"); System.err.println(\"err\"); 6 * 7");
        assertEquals("ok", r.status());
        assertEquals("out\n", r.stdout());
        assertEquals("err\n", r.stderr());
        assertEquals("42", r.result());
    }

    /** The $N name JShell gave a cell's value, from the execute_result's metadata. */
    private static String variableOf(TestClient.Execution r) {
        var results = r.of("execute_result");
        assertEquals(1, results.size(), () -> r.iopub().toString());
        return results.get(0).content().getAsJsonObject("metadata").getAsJsonObject("jfork").get("variable").getAsString();
    }

    @Test
    void aCellValueStaysUsableAsItsDollarVariableInLaterCells() {
        var list = client.execute("new ArrayList<>(List.of(3, 1, 2))");
        String listVar = variableOf(list);
        assertTrue(listVar.matches("\\$\\d+"), listVar);
        var number = client.execute("6 * 7");
        String numberVar = variableOf(number);
        assertNotEquals(listVar, numberVar);
        client.execute("int unrelated = 1;");
        // the same objects and types as in JShell: a List<Integer> to sort, an int to add to
        var sorted = client.execute(listVar + ".sort(null); " + listVar);
        assertEquals("ok", sorted.status(), () -> sorted.reply().toString());
        assertEquals("[1, 2, 3]", sorted.result());
        var sum = client.execute(numberVar + " + 1");
        assertEquals("43", sum.result(), () -> sum.reply().toString());
        var again = client.execute(numberVar + " = " + numberVar + " * 2; " + numberVar);
        assertEquals("84", again.result(), () -> again.reply().toString());
        // a declaration of the same name by the user replaces it, as in JShell
        String tenVar = variableOf(client.execute("5 + 5"));
        client.execute("String " + tenVar + " = \"mine\";");
        assertEquals("\"mine\"", client.execute(tenVar).result());
        // a name that never held a value is JShell's usual compile error
        var unknown = client.execute("$999999 + 1");
        assertEquals("error", unknown.status());
        assertTrue(unknown.reply().content().get("evalue").getAsString().contains("cannot find symbol"),
                () -> unknown.reply().toString());
    }

    @Test
    void aDroppedValueWhoseExpressionMadeAClassStaysUsable() {
        // the anonymous class is nested in the $N snippet's class, whose class file the compiler forgets
        var r = client.execute("List.of(new Object() { public String toString() { return \"inner\"; } }).get(0).toString()");
        assertEquals("\"inner\"", r.result());
        client.execute("1 + 1");
        var again = client.execute(variableOf(r) + ".length()");
        assertEquals("5", again.result(), () -> again.reply().toString());
        var later = client.execute("String inner = " + variableOf(r) + "; inner + \"!\"");
        assertEquals("\"inner!\"", later.result(), () -> later.reply().toString());
    }

    @Test
    void declarationsStayUsableAfterStatementsThatRanOnce() {
        // statements' class files are forgotten by the compiler once run; what they changed is not
        client.execute("int runs = 0; String note() { return \"runs=\" + runs; }");
        for (int i = 0; i < 3; i++) client.execute("runs++;");
        client.execute("for (int i = 0; i < 2; i++) { class Step { int n = 1; } runs += new Step().n; }");
        client.execute("runs");
        assertEquals("\"runs=5\"", client.execute("note()").result());
        var redefined = client.execute("String note() { return \"now \" + runs; } note()");
        assertEquals("\"now 5\"", redefined.result(), () -> redefined.reply().toString());
    }

    @Test
    void aValueOfAnAnonymousClassKeepsItsDollarVariable() {
        var r = client.execute("new Object() { public String toString() { return \"anon\"; } }");
        assertEquals("anon", r.result());
        var again = client.execute(variableOf(r) + ".toString()");
        assertEquals("\"anon\"", again.result(), () -> again.reply().toString());
    }

    @Test
    void errorsCarryNameValueAndTraceback() {
        var r = client.execute("throw new IllegalStateException(\"boom\");");
        assertEquals("error", r.status());
        assertEquals("java.lang.IllegalStateException", r.ename());
        assertEquals("boom", r.reply().content().get("evalue").getAsString());
        assertEquals(1, r.of("error").size());
        var c = client.execute("int broken = \"text\";");
        assertEquals("CompilationException", c.ename());
        assertTrue(c.reply().content().get("traceback").toString().contains("line 1"));
    }

    @Test
    void tenThousandLinesArriveInOrderInFewMessages() {
        var r = client.execute("for (int i = 0; i < 10000; i++) System.out.println(\"line \" + i);");
        String[] lines = r.stdout().split("\n");
        assertEquals(10000, lines.length);
        for (int i = 0; i < lines.length; i++) assertEquals("line " + i, lines[i]);
        assertTrue(r.of("stream").size() < 100, "batched: " + r.of("stream").size() + " messages");
    }

    /**
     * Runs a cell that starts a thread printing {@code line} 300 ms later, then {@code rest}; checks the
     * line reaches the frontend, after the cell ended, as output of that cell. Returns the cell's execution.
     */
    private static TestClient.Execution lateLineReachesItsCell(String line, String rest) {
        var r = client.execute("new Thread(() -> { try { Thread.sleep(300); } catch (InterruptedException e) {} "
                + "System.out.println(\"" + line + "\"); }).start();" + rest);
        String id = r.reply().parentId();
        List<TestClient.Msg> later = client.drainIopub(1500);
        assertTrue(later.stream().anyMatch(m -> m.type().equals("stream")
                && m.content().get("text").getAsString().contains(line) && m.parentId().equals(id)), later.toString());
        return r;
    }

    @Test
    void outputOfAThreadReachesTheFrontendAfterItsCellEnded() {
        assertEquals("ok", lateLineReachesItsCell("late line", "").status());
    }

    @Test
    void aThreadStartedAfterCellsThatRanNothingWritesToItsOwnCell() {
        // cells that run no code on the execution thread leave it tagged for an earlier cell until it runs again
        client.execute("class RunsNothing {}");
        client.execute("int[] unused;");
        assertEquals("now\n", lateLineReachesItsCell("own cell", " System.out.println(\"now\");").stdout());
    }

    @Test
    void silentCellsBroadcastNothingAndStoreHistoryFalseKeepsTheCount() {
        var before = client.execute("1");
        int count = before.reply().content().get("execution_count").getAsInt();
        var silent = client.execute("2 + 2", obj("silent", true), 30_000);
        assertTrue(silent.of("execute_input").isEmpty());
        assertTrue(silent.of("execute_result").isEmpty());
        var unstored = client.execute("3 + 3", obj("store_history", false), 30_000);
        assertEquals(count, unstored.reply().content().get("execution_count").getAsInt());
        var next = client.execute("4");
        assertEquals(count + 1, next.reply().content().get("execution_count").getAsInt());
    }

    @Test
    void stopOnErrorAbortsTheCellsQueuedBehind() {
        String failing = client.send(client.shell, "execute_request", obj("code", "Thread.sleep(300); throw new RuntimeException(\"first\");",
                "silent", false, "store_history", true, "user_expressions", new JsonObject(), "allow_stdin", false, "stop_on_error", true));
        String second = client.send(client.shell, "execute_request", obj("code", "System.out.println(\"must not run\");",
                "silent", false, "store_history", true, "user_expressions", new JsonObject(), "allow_stdin", false, "stop_on_error", true));
        String third = client.send(client.shell, "execute_request", obj("code", "1", "silent", false,
                "store_history", true, "user_expressions", new JsonObject(), "allow_stdin", false, "stop_on_error", true));
        assertEquals("error", client.replyTo(client.shell, failing, 30_000).content().get("status").getAsString());
        assertEquals("aborted", client.replyTo(client.shell, second, 30_000).content().get("status").getAsString());
        assertEquals("aborted", client.replyTo(client.shell, third, 30_000).content().get("status").getAsString());
        assertEquals("ok", client.execute("1").status());
    }

    @Test
    void interruptRequestStopsATightLoopAndLeavesNoCpuBurning() throws Exception {
        String id = client.send(client.shell, "execute_request", obj("code", "long spins = 0; while (true) { spins++; }",
                "silent", false, "store_history", true, "user_expressions", new JsonObject(), "allow_stdin", false, "stop_on_error", false));
        Thread.sleep(700);
        TestClient.Msg ack = client.request(client.control, "interrupt_request", new JsonObject());
        assertEquals("ok", ack.content().get("status").getAsString());
        var r = client.collect(id, 10_000);
        assertEquals("error", r.status());
        assertEquals("Interrupted", r.ename());
        Thread.sleep(200);
        long before = cpuTicks(kernel.pid());
        Thread.sleep(1000);
        long used = cpuTicks(kernel.pid()) - before;
        assertTrue(used < 30, "kernel kept burning CPU after the interrupt: " + used + " ticks in 1 s");
        assertEquals("2", client.execute("1 + 1").result());
    }

    @Test
    void sigintInterruptsTheCellAndNeverKillsTheKernel() throws Exception {
        String id = client.send(client.shell, "execute_request", obj("code", "while (true) { }",
                "silent", false, "store_history", true, "user_expressions", new JsonObject(), "allow_stdin", false, "stop_on_error", false));
        Thread.sleep(700);
        new ProcessBuilder("kill", "-INT", Long.toString(kernel.pid())).start().waitFor();
        var r = client.collect(id, 10_000);
        assertEquals("Interrupted", r.ename());
        new ProcessBuilder("kill", "-INT", Long.toString(kernel.pid())).start().waitFor(); // idle: harmless
        Thread.sleep(200);
        assertTrue(kernel.process.isAlive());
        assertEquals("3", client.execute("1 + 2").result());
    }

    @Test
    void badlySignedMessagesAreRejectedAndLogged() throws Exception {
        client.send(client.shell, "execute_request", obj("code", "System.out.println(\"forged\");", "silent", false), false);
        assertEquals("5", client.execute("2 + 3").result());
        assertTrue(kernel.log().contains("rejected a message: invalid HMAC signature"), kernel.log());
    }

    @Test
    void isCompleteSaysCompleteIncompleteAndInvalid() {
        assertEquals("complete", isComplete("int a = 1;"));
        assertEquals("incomplete", isComplete("for (int i = 0; i < 3; i++) {"));
        assertEquals("invalid", isComplete("}"));
        assertEquals("invalid", isComplete("int x = 1; )"));
    }

    private static String isComplete(String code) {
        return client.request(client.shell, "is_complete_request", obj("code", code)).content().get("status").getAsString();
    }

    @Test
    void inspectFindsAMethodWithTheCursorAtItsEnd() {
        String code = "System.out.println";
        TestClient.Msg r = client.request(client.shell, "inspect_request", obj("code", code, "cursor_pos", code.length(), "detail_level", 0));
        assertTrue(r.content().get("found").getAsBoolean());
        assertTrue(r.content().getAsJsonObject("data").get("text/plain").getAsString().contains("println"));
    }

    @Test
    void completionOffersMembers() {
        String code = "System.out.prin";
        TestClient.Msg r = client.request(client.shell, "complete_request", obj("code", code, "cursor_pos", code.length()));
        assertTrue(r.content().getAsJsonArray("matches").toString().contains("println"));
        assertEquals(11, r.content().get("cursor_start").getAsInt());
    }

    @Test
    void magicsListHelpAndClearErrors() {
        var ls = client.execute("%lsmagic");
        assertTrue(ls.result().contains("%timeit") && ls.result().contains("%%time"), ls.result());
        var help = client.execute("%timeit?");
        assertTrue(help.reply().content().getAsJsonArray("payload").toString().contains("LOOPS"));
        var bad = client.execute("%timeit -n zero 1+1");
        assertEquals("UsageError", bad.ename());
        assertTrue(bad.reply().content().get("evalue").getAsString().contains("Usage:"));
        var unknown = client.execute("%nosuchmagic");
        assertTrue(unknown.reply().content().get("evalue").getAsString().contains("unknown magic %nosuchmagic"));
        var timed = client.execute("%time 20 + 22");
        assertTrue(timed.stdout().contains("wall time"));
        assertEquals("42", timed.result());
        var timeit = client.execute("%timeit -n 100 -r 3 Math.sqrt(2.0)");
        assertTrue(timeit.stdout().contains("per loop"), timeit.stdout());
    }

    @Test
    void displayAndClearOutput() {
        var r = client.execute("display(html(\"<b>x</b>\")); clearOutput(); display(svg(\"<svg xmlns='http://www.w3.org/2000/svg'/>\"));");
        assertEquals(2, r.of("display_data").size());
        assertEquals(1, r.of("clear_output").size());
        assertTrue(r.of("display_data").get(1).content().getAsJsonObject("data").has("image/svg+xml"));
    }

    @Test
    void inputIsReadThroughTheStdinChannel() {
        String id = client.send(client.shell, "execute_request", obj("code", "String name = input(\"name? \"); System.out.println(\"hello \" + name);",
                "silent", false, "store_history", true, "user_expressions", new JsonObject(), "allow_stdin", true, "stop_on_error", true));
        TestClient.Msg ask = client.receive(client.stdin, 30_000);
        assertNotNull(ask);
        assertEquals("input_request", ask.type());
        assertEquals("name? ", ask.content().get("prompt").getAsString());
        client.send(client.stdin, "input_reply", obj("value", "Ada"));
        assertEquals("hello Ada\n", client.collect(id, 30_000).stdout());
    }

    static long cpuTicks(long pid) throws Exception {
        String[] f = Files.readString(Path.of("/proc/" + pid + "/stat")).replaceAll("^.*\\) ", "").split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}
