/**
 * A real `nats-server` for integration tests: started on a random loopback port, stopped by
 * the test. Never relies on a server started by hand.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** A running server. */
export interface NatsServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts `nats-server` on 127.0.0.1 and a random port (or `port`, to restart a server where
 * its clients reconnect); resolves once it accepts clients.
 */
export function startNatsServer(args: readonly string[] = [], port = -1): Promise<NatsServer> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      'nats-server',
      ['-a', '127.0.0.1', '-p', String(port), ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nats-server did not start within 10 s:\n${output}`));
    }, 10_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match === null || !output.includes('Server is ready')) return;
      clearTimeout(timer);
      const port = Number(match[1]);
      resolve({
        url: `nats://127.0.0.1:${port}`,
        port,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run nats-server (install Debian's nats-server): ${error.message}`));
    });
  });
}
