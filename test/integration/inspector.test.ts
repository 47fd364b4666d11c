/**
 * A tree's inspection streamed by `@statelyai/inspect`'s WebSocket inspector to a local
 * receiver, as the Stately inspector would get it: real time, a real socket.
 *
 * On the wire, each inspection event is one text frame of JSON (safe-stable-stringify, depth
 * limited to 10): `@xstate.actor` names the actor (its id) and its parent by session id
 * (`parentId`); `@xstate.snapshot` carries the snapshot as JSON (a node's `value` is its
 * coordination state, e.g. `{ DEGRADED: 'backoff' }`; actor refs in a context become
 * `{ id, xstate$$type }`).
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createWebSocketInspector } from '@statelyai/inspect';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  createCoordinationTree,
  hostedSpec,
  InProcessTransport,
  ReliableTransport,
  type CoordinationPolicy,
  type CoordinationTree,
  type NodeSpec,
} from '../helpers/imports.js';
import { sampleSpec } from '../helpers/simulation.js';

/** An inspection event as it arrives, parsed. */
interface WireEvent {
  readonly type: string;
  readonly sessionId: string;
  readonly rootId?: string;
  /** `@xstate.actor`: the actor's id; an actor without one is named after its machine. */
  readonly name?: string;
  /** `@xstate.actor`: the parent actor's session id; absent for the root. */
  readonly parentId?: string;
  readonly snapshot?: {
    readonly status?: string;
    readonly value?: unknown;
    readonly context?: Readonly<Record<string, unknown>>;
  };
  readonly event?: { readonly type: string };
}

/** A local WebSocket server where the inspector's relay would be. */
interface Receiver {
  readonly url: string;
  /** Every frame received, parsed, in arrival order. */
  readonly events: WireEvent[];
  /** Frames that were not JSON text. */
  readonly malformed: string[];
  /** The inspector's connection, once made. */
  readonly connected: Promise<WebSocket>;
  /** Closes the server, cutting any connection left. */
  close(): Promise<void>;
}

/** A frame's bytes as UTF-8 text. */
const textOf = (data: RawData): string =>
  new TextDecoder().decode(Array.isArray(data) ? Buffer.concat(data) : data);

async function startReceiver(): Promise<Receiver> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const events: WireEvent[] = [];
  const malformed: string[] = [];
  const connected = new Promise<WebSocket>((resolve) => {
    server.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => {
        const text = textOf(data);
        try {
          if (isBinary) throw new Error('binary frame');
          events.push(JSON.parse(text) as WireEvent);
        } catch {
          malformed.push(text);
        }
      });
      resolve(socket);
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    events,
    malformed,
    connected,
    async close() {
      for (const socket of server.clients) socket.terminate();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/**
 * Stops the inspector once its last events are on the wire. It converts and sends each event
 * on a later macrotask, so whatever the tree did in its last microtasks (an in-process
 * shutdown) is still queued when `shutdown()` resolves: wait for `sent` to arrive first.
 */
async function stopInspector(
  inspector: ReturnType<typeof createWebSocketInspector>,
  receiver: Receiver,
  sent: (event: WireEvent) => boolean,
): Promise<void> {
  await vi.waitFor(() => expect(receiver.events.some(sent)).toBe(true), within);
  const closed = once(await receiver.connected, 'close');
  inspector.stop();
  await closed;
}

/** The test policy's values (test/helpers/simulation.ts), on real time. */
const policy: CoordinationPolicy = {
  timeouts: { initMs: 2_000, commandMs: 2_000, ackMs: 500, heartbeatMs: 1_000, shutdownMs: 2_000 },
  heartbeat: { intervalMs: 100, acceptablePauseMs: 300, minStdDevMs: 20 },
  retry: { initialDelayMs: 50, maxDelayMs: 400, jitter: 0 },
};

const handler = (command: { name: string }, { nodeId }: { nodeId: string }) =>
  `${nodeId}:${command.name}`;

/** Real time, bounded: conditions are waited for, not slept on. */
const within = { timeout: 10_000, interval: 10 };

/** Each actor of the sample tree by its label, with the label of its parent actor. */
const expectedParents: Record<string, string | null> = {
  root: null,
  'root/supervisor': 'root',
  eu: 'root',
  'eu/supervisor': 'eu',
  'eu-1': 'eu',
  'eu-2': 'eu',
  'eu-3': 'eu',
  us: 'root',
  'us/supervisor': 'us',
  'us-1': 'us',
  'us-2': 'us',
};

const actorEvents = (events: readonly WireEvent[]) =>
  events.filter((e) => e.type === '@xstate.actor');

const snapshotsOf = (events: readonly WireEvent[], sessionId: string) =>
  events.filter((e) => e.type === '@xstate.snapshot' && e.sessionId === sessionId);

/** Whether a node's snapshot is in a coordination state (`{ DEGRADED: 'backoff' }`, ...). */
const isIn = (event: WireEvent, state: string): boolean => {
  const value = event.snapshot?.value;
  return typeof value === 'object' && value !== null && state in value;
};

/** A snapshot of node `nodeId` in coordination state `state`. */
const snapshotIn =
  (nodeId: string, state: string) =>
  (e: WireEvent): boolean =>
    e.type === '@xstate.snapshot' && e.snapshot?.context?.nodeId === nodeId && isIn(e, state);

describe('inspection through the Stately WebSocket inspector', () => {
  afterEach(async () => {
    // Neither the inspector's connection nor the receiver is left open.
    await vi.waitFor(
      () => expect(process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP'))).toEqual([]),
      within,
    );
  });

  it('should show every node and supervisor under its parent, and the live coordination states', async () => {
    // Arrange
    const receiver = await startReceiver();
    // Events before the socket opens wait in the inspector; none may be dropped.
    const inspector = createWebSocketInspector({ url: receiver.url, maxDeferredEvents: 10_000 });
    let tree: CoordinationTree | null = null;
    try {
      await receiver.connected;
      tree = createCoordinationTree({
        root: sampleSpec(),
        handler,
        policy,
        inspect: inspector.inspect,
      });

      // Act
      const started = await tree.start();
      // Events arrive in the order they happened, and the root synchronizes last.
      const rootSynchronized = snapshotIn('root', 'SYNCHRONIZED');
      await vi.waitFor(() => expect(receiver.events.some(rootSynchronized)).toBe(true), within);

      // Assert: one actor per node and per supervisor, each under its parent
      const atStart = actorEvents(receiver.events);
      const rootSession = atStart.find((e) => e.parentId === undefined)!.sessionId;
      const labelOf = new Map(atStart.map((e) => [e.sessionId, e.name!]));
      expect(started).toBe('SYNCHRONIZED');
      expect(atStart).toHaveLength(Object.keys(expectedParents).length);
      expect(
        Object.fromEntries(
          atStart.map((e) => [
            labelOf.get(e.sessionId),
            e.parentId === undefined ? null : (labelOf.get(e.parentId) ?? e.parentId),
          ]),
        ),
      ).toEqual(expectedParents);
      expect(atStart.filter((e) => e.rootId !== rootSession)).toEqual([]);
      const root = atStart.find((e) => e.sessionId === rootSession)!;
      expect(root.name).toBe('root');
      expect(root.snapshot?.context).toMatchObject({ nodeId: 'root', parentId: '$client' });
      expect(atStart.find((e) => e.name === 'eu-1')!.snapshot?.context).toMatchObject({
        nodeId: 'eu-1',
        parentId: 'eu',
      });
      const euSession = atStart.find((e) => e.name === 'eu')!.sessionId;
      expect(snapshotsOf(receiver.events, euSession).at(-1)?.snapshot?.value).toEqual({
        SYNCHRONIZED: 'active',
      });

      // Act: a leaf crashes; eu notices by missed heartbeats
      tree.kill('eu-2');
      await vi.waitFor(() => expect(tree!.stateOf('eu')).toBe('DEGRADED'), within);
      await vi.waitFor(
        () =>
          expect(snapshotsOf(receiver.events, euSession).some((e) => isIn(e, 'DEGRADED'))).toBe(
            true,
          ),
        within,
      );

      // Assert
      const euDegraded = snapshotsOf(receiver.events, euSession).find((e) => isIn(e, 'DEGRADED'))!;
      expect(euDegraded.snapshot).toMatchObject({
        status: 'active',
        value: { DEGRADED: 'backoff' },
        context: { nodeId: 'eu', reason: '1 child unavailable' },
      });
      await vi.waitFor(
        () =>
          expect(
            snapshotsOf(receiver.events, rootSession).some(
              (e) => isIn(e, 'DEGRADED') && e.snapshot?.context?.reason === '1 child degraded',
            ),
          ).toBe(true),
        within,
      );

      // Act: the leaf comes back; eu's recovery round re-initialises it
      tree.revive('eu-2');
      await vi.waitFor(() => expect(tree!.stateOf('eu')).toBe('SYNCHRONIZED'), within);
      const afterDegraded = () => {
        const snapshots = snapshotsOf(receiver.events, euSession);
        return snapshots.slice(snapshots.indexOf(euDegraded) + 1);
      };
      await vi.waitFor(
        () => expect(afterDegraded().some((e) => isIn(e, 'SYNCHRONIZED'))).toBe(true),
        within,
      );

      // Assert
      expect(afterDegraded().find((e) => isIn(e, 'SYNCHRONIZED'))!.snapshot).toMatchObject({
        status: 'active',
        value: { SYNCHRONIZED: 'active' },
        context: { nodeId: 'eu', reason: 'all children available' },
      });
      // The revived leaf is a fresh actor, again under eu.
      const euTwo = actorEvents(receiver.events).filter((e) => e.name === 'eu-2');
      expect(euTwo).toHaveLength(2);
      expect(euTwo[1]!.parentId).toBe(euSession);
      expect(euTwo[1]!.sessionId).not.toBe(euTwo[0]!.sessionId);

      // Act
      const shutdown = await tree.shutdown();
      const rootStopped = (e: WireEvent) =>
        e.sessionId === rootSession && e.snapshot?.status === 'stopped';
      await stopInspector(inspector, receiver, rootStopped);

      // Assert
      expect(shutdown.graceful).toBe(true);
      expect(receiver.events.find(rootStopped)!.snapshot).toMatchObject({
        value: { DISCONNECTED: 'stopped' },
        context: { reason: 'shutdown complete' },
      });
      expect(receiver.malformed).toEqual([]);
    } finally {
      await tree?.shutdown();
      inspector.stop();
      await receiver.close();
    }
  }, 30_000);

  it('should show a remote child as a proxy actor under its parent, holding the link state', async () => {
    // Arrange: eu runs in a host of its own (here the same process, over one in-process wire)
    const wholeSpec: NodeSpec = {
      id: 'root',
      children: [
        { id: 'eu', remote: true, children: [{ id: 'eu-1' }, { id: 'eu-2' }] },
        { id: 'us', children: [{ id: 'us-1' }] },
      ],
    };
    const wire = new InProcessTransport();
    const receiver = await startReceiver();
    const inspector = createWebSocketInspector({ url: receiver.url, maxDeferredEvents: 10_000 });
    const host = createCoordinationTree({
      ...hostedSpec(wholeSpec, 'eu'),
      handler,
      policy,
      transport: new ReliableTransport(wire),
    });
    let tree: CoordinationTree | null = null;
    try {
      await receiver.connected;
      tree = createCoordinationTree({
        root: wholeSpec,
        handler,
        policy,
        transport: new ReliableTransport(wire),
        inspect: inspector.inspect,
      });

      // Act
      const joined = host.start();
      const started = await tree.start();
      await joined;
      await vi.waitFor(
        () => expect(receiver.events.some(snapshotIn('root', 'SYNCHRONIZED'))).toBe(true),
        within,
      );

      // Assert: the remote subtree is one proxy actor under the root, nothing below it
      const actors = actorEvents(receiver.events);
      const rootSession = actors.find((e) => e.parentId === undefined)!.sessionId;
      const proxy = actors.find((e) => e.name === 'eu')!;
      expect(started).toBe('SYNCHRONIZED');
      expect(actors.map((e) => e.name).sort()).toEqual(
        ['root', 'root/supervisor', 'eu', 'us', 'us/supervisor', 'us-1'].sort(),
      );
      expect(proxy.parentId).toBe(rootSession);
      // Its snapshots follow the root's view of the link: no value, the state in the context.
      const proxyStates = () =>
        snapshotsOf(receiver.events, proxy.sessionId).map((e) => e.snapshot?.context?.state);
      await vi.waitFor(() => expect(proxyStates()).toContain('SYNCHRONIZED'), within);
      expect(proxyStates()[0]).toBe('pending');
      expect(snapshotsOf(receiver.events, proxy.sessionId).at(-1)?.snapshot).toEqual({
        status: 'active',
        context: { nodeId: 'eu', parentId: 'root', remote: true, state: 'SYNCHRONIZED' },
      });

      // Act
      const shutdown = await tree.shutdown();
      const hostDone = await host.done;
      await stopInspector(
        inspector,
        receiver,
        (e) => e.sessionId === rootSession && e.snapshot?.status === 'stopped',
      );

      // Assert
      expect(shutdown.graceful).toBe(true);
      expect(hostDone.graceful).toBe(true);
      expect(receiver.malformed).toEqual([]);
    } finally {
      await tree?.shutdown();
      await host.shutdown();
      inspector.stop();
      await receiver.close();
    }
  }, 30_000);
});
