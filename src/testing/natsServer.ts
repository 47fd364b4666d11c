/**
 * A private `nats-server` for integration tests and benchmarks: started on 127.0.0.1 and a
 * random port (or a given one, to restart a server where its clients reconnect), stopped by
 * the caller. Needs the `nats-server` binary (Debian: `apt-get install nats-server`).
 */
import { spawn } from 'node:child_process';

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  /** More `nats-server` arguments, e.g. `['-c', configFile]` or `['--auth', token]`. */
  readonly args?: readonly string[];
  /** Client port. Default -1: a random free one. */
  readonly port?: number;
  /** Also serve the HTTP monitoring endpoints (`/varz`, …) on a random port. Default false. */
  readonly monitor?: boolean;
  /** How long the server may take to get ready, ms. Default 10 000. */
  readonly startTimeoutMs?: number;
}

/** A running server. */
export interface NatsServer {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** The server's version, as it logs it. */
  readonly version: string;
  /** `http://127.0.0.1:<port>` of the monitoring endpoints, with `monitor: true`. */
  readonly monitorUrl?: string;
  /** Stops it (SIGTERM) and resolves once it has exited. */
  stop(): Promise<void>;
}

/** The `nats-server` binary is not installed. */
export class NatsServerMissingError extends Error {
  override readonly name = 'NatsServerMissingError';
}

/** Starts `nats-server`; resolves once it accepts clients. */
export function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const args = ['-a', '127.0.0.1', '-p', String(options.port ?? -1)];
  if (options.monitor === true) args.push('-m', '-1');
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const child = spawn('nats-server', [...args, ...(options.args ?? [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nats-server did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      if (ready) return;
      output += chunk.toString();
      const client = /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(output);
      const monitor = /Starting http monitor on 127\.0\.0\.1:(\d+)/.exec(output);
      if (client === null || !output.includes('Server is ready')) return;
      if (options.monitor === true && monitor === null) return;
      ready = true;
      clearTimeout(timer);
      const port = Number(client[1]);
      resolve({
        url: `nats://127.0.0.1:${port}`,
        port,
        version: /Version:\s+(\S+)/.exec(output)?.[1] ?? 'unknown',
        ...(monitor ? { monitorUrl: `http://127.0.0.1:${monitor[1]}` } : {}),
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    };
    // Keep reading after it is ready, so that its logging never blocks on a full pipe.
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!ready)
        reject(new Error(`nats-server exited (${signal ?? code}) before it was ready:\n${output}`));
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === 'ENOENT'
          ? new NatsServerMissingError(
              'nats-server is not installed (Debian: apt-get install nats-server)',
            )
          : new Error(`cannot run nats-server: ${error.message}`),
      );
    });
  });
}
