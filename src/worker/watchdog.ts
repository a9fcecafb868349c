/**
 * Makes a worker die with its master even when its event loop is stuck (a page that hangs in a
 * synchronous loop never sees the IPC 'disconnect' event): a tiny thread polls the parent pid and
 * SIGKILLs this process once the master is gone and the worker has been re-parented.
 */
import { Worker } from "node:worker_threads";

const POLL_MS = 500;

export function startOrphanWatchdog(): void {
  // In bubblewrap (src/sandbox/bwrap.ts) worker threads are not allowed and not needed: --die-with-parent
  // kills the process with its master, and its parent there is the sandbox's own init anyway.
  if (process.permission && !process.permission.has("worker")) return;
  const code = `const ppid = ${process.ppid};
setInterval(() => { if (process.ppid !== ppid) process.kill(process.pid, "SIGKILL"); }, ${POLL_MS});`;
  // unref: the watchdog never keeps the worker alive by itself.
  new Worker(code, { eval: true, stdout: false, stderr: false }).unref();
}
