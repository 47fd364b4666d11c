/**
 * A real `nats-server` for integration tests: started on a random loopback port (or `port`, to
 * restart a server where its clients reconnect), stopped by the test. Never relies on a server
 * started by hand.
 */
import { startNatsServer as start, type NatsServer } from '../../src/testing/index.js';

export type { NatsServer };

/** Starts `nats-server` with `args`; resolves once it accepts clients. */
export function startNatsServer(args: readonly string[] = [], port = -1): Promise<NatsServer> {
  return start({ args, port });
}
