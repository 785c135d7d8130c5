// TCP probes of 127.0.0.1 ports, shared by `npm start`, the benchmarks and the end-to-end tests:
// is something listening yet, and waiting until it is.
import * as net from 'node:net';

/** True when something accepts TCP connections on the port. */
export async function portOpen(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Polls until the port accepts connections; false when it still does not after `timeoutMs`. */
export async function portOpenWithin(port: number, timeoutMs: number, pollMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await portOpen(port)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** As portOpenWithin, but a closed port after `timeoutMs` is an error that names it. */
export async function waitForPort(port: number, timeoutMs = 15000): Promise<void> {
  if (!(await portOpenWithin(port, timeoutMs))) {
    throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
  }
}
