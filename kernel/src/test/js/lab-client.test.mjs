// JupyterLab's own kernel client library (@jupyterlab/services, over ws) driving a jfork kernel
// through `jupyter server`, the way JupyterLab does: start, notebook 1's fork cell, interrupt,
// restart, shutdown, and no kernel process left afterwards.
// Started by run-client-tests, which provides the server (JFORK_SERVER_URL, JFORK_TOKEN) and the
// private Jupyter runtime dir whose connection files every kernel it starts names on its command line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { KernelManager, ServerConnection } from '@jupyterlab/services';
import { alive, cmdline, eventually, processesMentioning } from './procs.mjs';

const { JFORK_SERVER_URL: baseUrl, JFORK_TOKEN: token, JFORK_CLIENT_TESTS_DIR: workDir } = process.env;
const runtimeDir = process.env.JFORK_SERVER_RUNTIME_DIR;
const notebook1 = process.env.JFORK_NOTEBOOK_1;
const STEP_MS = 90_000;

/** The source of notebook 1's code cell that starts with `start`. */
function notebookCell(start) {
  const nb = JSON.parse(readFileSync(notebook1, 'utf8'));
  const found = nb.cells
    .filter((c) => c.cell_type === 'code')
    .map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source))
    .filter((s) => s.startsWith(start));
  assert.equal(found.length, 1, `${path.basename(notebook1)}: code cells starting with ${start}`);
  return found[0];
}

/** Executes `code`; resolves once the reply and the cell's idle status have both arrived. */
async function run(kernel, code, { onBusy } = {}) {
  const stdout = [];
  const results = [];
  const errors = [];
  const future = kernel.requestExecute({ code, stop_on_error: false });
  future.onIOPub = (msg) => {
    const c = msg.content;
    switch (msg.header.msg_type) {
      case 'stream':
        if (c.name === 'stdout') stdout.push(c.text);
        break;
      case 'execute_result':
        results.push(c.data['text/plain']);
        break;
      case 'error':
        errors.push(`${c.ename}: ${c.evalue}`);
        break;
      case 'status':
        if (c.execution_state === 'busy' && onBusy) onBusy();
        break;
    }
  };
  const reply = await future.done;
  return { reply: reply.content, stdout: stdout.join(''), results, errors };
}

async function kernelPid(kernel) {
  const { reply, stdout } = await run(kernel, 'System.out.println(os.getpid());');
  assert.equal(reply.status, 'ok', JSON.stringify(reply));
  return Number(stdout.trim());
}

function assertIsJforkKernel(pid) {
  assert.ok(alive(pid), `kernel pid ${pid} is not running`);
  const argv = cmdline(pid).join(' ');
  assert.match(argv, /jfork-kernel\.jar/, argv);
  assert.ok(argv.includes(runtimeDir), `kernel ${pid} was not started by the test's server: ${argv}`);
}

describe('JupyterLab kernel client (@jupyterlab/services) through jupyter server', () => {
  const serverSettings = ServerConnection.makeSettings({
    baseUrl,
    wsUrl: baseUrl.replace(/^http/, 'ws'),
    token,
    appendToken: true, // ws sends no Authorization header of its own: the token goes in the URL
    WebSocket,
    fetch: globalThis.fetch.bind(globalThis),
    Request: globalThis.Request,
    Headers: globalThis.Headers,
  });
  let manager;
  let kernel;
  const pids = []; // every jfork process the test saw: kernels and children

  before(async () => {
    assert.ok(baseUrl && token && runtimeDir && workDir && notebook1, 'run through run-client-tests');
    manager = new KernelManager({ serverSettings });
    await manager.ready;
  });

  after(async () => {
    // On a failure half way, still end the kernel (run-client-tests checks nothing is left).
    if (kernel && !kernel.isDisposed) await kernel.shutdown().catch(() => {});
    manager?.dispose();
  });

  it('starts a jfork kernel', { timeout: STEP_MS }, async () => {
    kernel = await manager.startNew({ name: 'jfork' });
    const info = await kernel.info;
    assert.equal(info.status, 'ok');
    assert.equal(info.language_info.name, 'java');
    assert.equal(kernel.name, 'jfork');
    const pid = await kernelPid(kernel);
    assertIsJforkKernel(pid);
    pids.push(pid);
  });

  it("runs notebook 1's fork cell: the parent's and the child's line both arrive", { timeout: STEP_MS }, async () => {
    const parentPid = pids[0];
    const { reply, stdout, errors } = await run(kernel, notebookCell('void parentChildProcess()'));
    assert.equal(reply.status, 'ok', JSON.stringify({ reply, errors }));
    const parent = [...stdout.matchAll(/^Parent process: (\d+)$/gm)].map((m) => Number(m[1]));
    const child = [...stdout.matchAll(/^Child process: (\d+)$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(parent, [parentPid], stdout);
    assert.equal(child.length, 1, stdout);
    assert.notEqual(child[0], parentPid);
    pids.push(child[0]);
    // The cell waited for its child: by the time the reply came, the child had ended.
    assert.ok(await eventually(() => !alive(child[0]), 2000), `child ${child[0]} still running`);
  });

  it('interrupts a running cell; the error reply comes and the next cell runs', { timeout: STEP_MS }, async () => {
    let busy;
    const started = new Promise((resolve) => (busy = resolve));
    const spinning = run(kernel, 'while (true) {}', { onBusy: busy });
    await started;
    await sleep(1000); // let the loop spin, past compilation
    const t0 = Date.now();
    await kernel.interrupt();
    const { reply, errors } = await spinning;
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(reply.status, 'error', JSON.stringify(reply));
    assert.match(reply.ename, /interrupt/i, JSON.stringify(reply));
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.ok(seconds < 10, `interrupt took ${seconds} s`);
    const next = await run(kernel, '1 + 1');
    assert.equal(next.reply.status, 'ok', JSON.stringify(next.reply));
    assert.deepEqual(next.results, ['2']);
    assert.equal(await kernelPid(kernel), pids[0], 'the interrupt must not replace the kernel');
  });

  it('restarts: a new kernel process, the old one gone, its variables gone', { timeout: STEP_MS }, async () => {
    const defined = await run(kernel, 'int survivor = 42;');
    assert.equal(defined.reply.status, 'ok');
    await kernel.restart();
    await kernel.info;
    const pid = await kernelPid(kernel);
    assert.notEqual(pid, pids[0]);
    assertIsJforkKernel(pid);
    pids.push(pid);
    assert.ok(await eventually(() => !alive(pids[0]), 5000), `old kernel ${pids[0]} still running`);
    const lost = await run(kernel, 'survivor');
    assert.equal(lost.reply.status, 'error', JSON.stringify(lost.reply));
    assert.match(lost.errors.join('\n'), /survivor/);
    const again = await run(kernel, notebookCell('void parentChildProcess()'));
    assert.match(again.stdout, new RegExp(`^Parent process: ${pid}$`, 'm'), again.stdout);
    assert.match(again.stdout, /^Child process: \d+$/m, again.stdout);
  });

  it('shuts down: the server lists no kernel and no jfork process is left', { timeout: STEP_MS }, async () => {
    const id = kernel.id;
    await kernel.shutdown();
    await manager.refreshRunning();
    assert.deepEqual([...manager.running()].map((m) => m.id), []);
    const listed = await (await fetch(`${baseUrl}/api/kernels?token=${token}`)).json();
    assert.ok(!listed.some((k) => k.id === id), JSON.stringify(listed));
    const gone = await eventually(() => processesMentioning(runtimeDir).length === 0, 10_000);
    assert.ok(gone, `still running: ${processesMentioning(runtimeDir).join(', ')}`);
    for (const pid of pids) assert.ok(!alive(pid), `pid ${pid} still alive`);
  });
});
