// What the operating system says about the kernel's processes, read from /proc (Linux only, as jfork).
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** True if the process exists and is not a zombie. */
export function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/** The command line of a process as an array (empty if it is gone). */
export function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Live processes whose command line mentions `text`. Given the private runtime dir, these are the
 * jfork kernels the test's server started (their argv holds the connection file) and any child
 * they forked (a forked child keeps its parent's command line).
 */
export function processesMentioning(text) {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
    .map(Number)
    .filter((pid) => alive(pid) && cmdline(pid).some((a) => a.includes(text)));
}

/** Polls `check` (returns true when done) every 100 ms for up to `ms`; returns its last answer. */
export async function eventually(check, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await check();
    if (ok || Date.now() > deadline) return ok;
    await sleep(100);
  }
}
