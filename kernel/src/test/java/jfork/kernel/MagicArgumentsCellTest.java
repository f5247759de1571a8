package jfork.kernel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.*;

/** Java values in line-magic arguments ({expression}, $name), through a real client: %kill {pid}, %output $pid. */
@Timeout(120)
class MagicArgumentsCellTest extends KernelPerClass {
    @Test
    void outputAndKillTakeThePidFromAJavaVariable() {
        var t = client.execute("int talker = os.fork(); if (talker == 0) { System.out.println(\"talker says hi\"); os._exit(0); } talker");
        assertNotNull(t.result(), t.stderr() + evalue(t));
        for (String form : new String[]{"{talker}", "$talker", "{ talker + 0 }", "'{talker}'"}) {
            var out = client.execute("%output " + form);
            assertEquals("talker says hi", out.result() == null ? evalue(out) : out.result().strip(), form);
        }
        var s = client.execute("jfork.execution.CellProcesses.get().setWaitSeconds(0);\n"
                + "int sleeper = os.fork(); if (sleeper == 0) { while (true) Thread.sleep(20); } sleeper");
        try {
            var kill = client.execute("%kill -TERM {sleeper}");
            assertEquals("sent SIGTERM to " + s.result() + " (child of this kernel, now: killed by SIGTERM)\n", kill.stdout(),
                    kill.stderr() + evalue(kill));
        } finally {
            client.execute("jfork.execution.CellProcesses.get().setWaitSeconds(30);");
        }
    }

    @Test
    void aCellMagicLineIsExpandedToo() {
        client.execute("int copies = 2;");
        var r = client.execute("%%fork -n {copies}\nSystem.out.println(\"copy \" + os.getpid());");
        assertEquals(2, r.stdout().lines().filter(l -> l.matches("\\[\\d+] copy \\d+")).count(), r.stdout() + r.stderr() + evalue(r));
    }

    @Test
    void doubledBracesAndDollarsAreLiteral() {
        var braces = client.execute("%output {{talker}}");
        assertEquals("UsageError", braces.ename());
        assertTrue(evalue(braces).contains("PID needs a whole number, got '{talker}'"), evalue(braces));
        var dollar = client.execute("%output $$talker");
        assertTrue(evalue(dollar).contains("got '$talker'"), evalue(dollar));
    }

    @Test
    void anExpressionThatDoesNotCompileOrThrowsSaysSo() {
        var missing = client.execute("%kill -TERM {noSuchPid}");
        assertEquals("UsageError", missing.ename());
        assertTrue(evalue(missing).startsWith("%kill: {noSuchPid} does not compile as Java: cannot find symbol"), evalue(missing));
        assertTrue(evalue(missing).contains("variable noSuchPid") && evalue(missing).contains("Usage:"), evalue(missing));
        var name = client.execute("%output $noSuchPid");
        assertTrue(evalue(name).startsWith("%output: $noSuchPid does not compile as Java: cannot find symbol"), evalue(name));
        var thrown = client.execute("%output {Integer.parseInt(\"x\")}");
        assertTrue(evalue(thrown).startsWith("%output: {Integer.parseInt(\"x\")} failed: java.lang.NumberFormatException: "
                + "For input string: \"x\""), evalue(thrown));
        var unclosed = client.execute("%output {talker");
        assertTrue(evalue(unclosed).contains("unclosed { in: {talker (write {{ for a literal {)"), evalue(unclosed));
    }

    @Test
    void magicsWhoseArgumentsAreJavaCodeAreNotExpanded() {
        // %time takes Java code: its braces belong to the array initializer
        var time = client.execute("%time new int[]{1, 2, 3}.length");
        assertEquals("3", time.result(), time.stderr() + evalue(time));
    }

    @Test
    void theHelpSaysSo() {
        var ls = client.execute("%lsmagic").result();
        assertTrue(ls.contains("{expression}") && ls.contains("%kill -TERM {pid}"), ls);
        assertTrue(ls.contains("(Not in %time, %timeit, %%pool, %%time: their arguments are Java code.)"), ls);
        var help = client.execute("%kill?");
        String page = help.reply().content().getAsJsonArray("payload").toString();
        assertTrue(page.contains("{expression} is replaced by the value of a Java expression"), page);
        var timeHelp = client.execute("%time?");
        assertFalse(timeHelp.reply().content().getAsJsonArray("payload").toString().contains("{expression}"));
    }
}
