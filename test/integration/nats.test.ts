import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';
import {
  createCoordinationTree,
  NatsTransport,
  nodeSubject,
  ReliableTransport,
  type AnyEnvelope,
  type TreeEvent,
} from '../helpers/imports.js';

const spec = {
  id: 'root',
  children: [
    { id: 'eu', children: [{ id: 'eu-1' }, { id: 'eu-2' }] },
    { id: 'us', children: [{ id: 'us-1' }] },
  ],
};

const policy = {
  heartbeat: { intervalMs: 200, acceptablePauseMs: 1_000 },
  timeouts: { initMs: 5_000, commandMs: 5_000, shutdownMs: 5_000 },
};

describe('NatsTransport with a real nats-server', () => {
  let server: NatsServer;
  let connection: NatsConnection;

  beforeAll(async () => {
    server = await startNatsServer();
    connection = await connect({ servers: server.url });
  });

  afterAll(async () => {
    await connection?.close();
    await server?.stop();
  });

  it('should start a tree, run a command and shut down over NATS', async () => {
    // Arrange
    // Every envelope over the server, though every node is in this process.
    const nats = new NatsTransport({ connection, tree: 'basic', localDelivery: false });
    const tree = createCoordinationTree({
      root: spec,
      transport: new ReliableTransport(nats),
      handler: (command, { nodeId }) => `${nodeId}:${command.name}`,
      policy,
    });
    // Act
    const started = await tree.start();
    const result = await tree.command('deploy');
    const shutdown = await tree.shutdown();
    // Assert
    expect(started).toBe('SYNCHRONIZED');
    expect(result.status).toBe('completed');
    expect(result.outcomes.get('eu-2')).toEqual({ status: 'completed', result: 'eu-2:deploy' });
    expect(shutdown.graceful).toBe(true);
    expect(nats.stats.published).toBeGreaterThan(0);
    expect(nats.stats.refused).toEqual({ oversized: 0, malformed: 0, misaddressed: 0 });
  });

  it('should refuse and count 1 000 fuzzed or forged envelopes on a node subject, and keep working', async () => {
    // Arrange
    const nats = new NatsTransport({ connection, tree: 'fuzz', maxBytes: 4_096 });
    const events: TreeEvent[] = [];
    const tree = createCoordinationTree({
      root: spec,
      transport: new ReliableTransport(nats),
      handler: () => 'ok',
      policy,
    });
    tree.events$.subscribe((e) => events.push(e));
    await tree.start();
    const subject = nodeSubject('fuzz', 'eu-1');
    const valid: AnyEnvelope = {
      v: 1,
      kind: 'COORD_COMMAND',
      id: 'forged',
      session: 'not-the-session',
      epoch: 1,
      from: 'eu',
      to: 'eu-1',
      seq: 1,
      sentAt: 0,
      body: { commands: [{ commandId: 'x', name: 'rm -rf', payload: null, timeoutMs: 1_000 }] },
    };
    const encoder = new TextEncoder();
    const fuzz = (i: number): Uint8Array => {
      switch (i % 5) {
        case 0: // random bytes
          return Uint8Array.from({ length: 1 + (i % 300) }, (_, k) => (i * 31 + k * 17) % 256);
        case 1: // oversized
          return encoder.encode(JSON.stringify({ ...valid, body: { pad: 'x'.repeat(5_000) } }));
        case 2: // valid JSON, wrong shape
          return encoder.encode(JSON.stringify({ ...valid, epoch: -i, kind: 'COORD_NOPE' }));
        case 3: // a well-formed envelope for another node (forged routing)
          return encoder.encode(JSON.stringify({ ...valid, id: `m${i}`, to: 'us-1' }));
        default: // a body that does not fit its kind
          return encoder.encode(
            JSON.stringify({ ...valid, id: `b${i}`, body: { commands: 'all' } }),
          );
      }
    };
    // Act
    for (let i = 0; i < 1_000; i++) connection.publish(subject, fuzz(i));
    await connection.flush();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const result = await tree.command('after-the-fuzz');
    // Assert: every one refused and counted (and reported), the tree unharmed
    const { oversized, malformed, misaddressed } = nats.stats.refused;
    expect(oversized + malformed + misaddressed).toBe(1_000);
    expect(oversized).toBe(200);
    expect(misaddressed).toBe(200);
    expect(events.filter((e) => e.type === 'refused')).toHaveLength(1_000);
    expect(result.status).toBe('completed');
    expect(tree.stateOf('eu-1')).toBe('SYNCHRONIZED');
    await tree.shutdown();
  });
});
