/**
 * Connecting the command line to NATS: servers and credentials from flags (or the standard
 * NATS environment variables), with reconnection that never gives up, and errors that say what
 * to do.
 */
import { readFile } from 'node:fs/promises';
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  type ConnectionOptions,
  type NatsConnection,
} from 'nats';

/** How the command line authenticates: at most one way. */
export interface NatsAuth {
  /** `--token`, or `NATS_TOKEN`. */
  readonly token?: string;
  /** `--user` and `--password` (or `NATS_USER`, `NATS_PASSWORD`). */
  readonly user?: string;
  readonly password?: string;
  /** `--nkey <file>`: a file holding the user's nkey seed (`SU…`). */
  readonly nkey?: string;
  /** `--creds <file>`: a credentials file (JWT and seed), as `nsc` writes it. */
  readonly creds?: string;
}

/** Delay between reconnection attempts, ms. Attempts never stop while the process runs. */
export const RECONNECT_WAIT_MS = 250;

/** Builds the client options: servers, a name for monitoring, reconnection, and credentials. */
export async function natsOptions(
  servers: string,
  name: string,
  auth: NatsAuth,
): Promise<ConnectionOptions> {
  const ways = [auth.token, auth.user, auth.nkey, auth.creds].filter((v) => v !== undefined);
  if (ways.length > 1) {
    throw new Error('Give one way to authenticate: --token, --user/--password, --nkey or --creds.');
  }
  if (auth.password !== undefined && auth.user === undefined) {
    throw new Error('--password needs --user.');
  }
  const options: ConnectionOptions = {
    servers: servers.split(',').map((s) => s.trim()),
    name,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: RECONNECT_WAIT_MS,
  };
  if (auth.token !== undefined) return { ...options, token: auth.token };
  if (auth.user !== undefined) return { ...options, user: auth.user, pass: auth.password ?? '' };
  if (auth.nkey !== undefined) {
    const seed = (await readSecret(auth.nkey, '--nkey')).trim();
    return { ...options, authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)) };
  }
  if (auth.creds !== undefined) {
    const creds = await readSecret(auth.creds, '--creds');
    return { ...options, authenticator: credsAuthenticator(new TextEncoder().encode(creds)) };
  }
  return options;
}

/** Connects, or throws an error that says which server refused and how to fix it. */
export async function connectNats(options: ConnectionOptions): Promise<NatsConnection> {
  try {
    return await connect(options);
  } catch (error) {
    const message = (error as Error).message;
    const where = String(options.servers);
    const hint = /authoriz|authenticat/i.test(message)
      ? 'The server wants credentials: pass --token, --user/--password, --nkey or --creds.'
      : 'Is nats-server running there? Start one with `nats-server -a 127.0.0.1`.';
    throw new Error(`Cannot connect to NATS at ${where}: ${message}. ${hint}`, { cause: error });
  }
}

async function readSecret(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`${flag} ${path}: ${(error as Error).message}`, { cause: error });
  }
}
