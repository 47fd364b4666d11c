import { describe, expect, it } from 'vitest';
import { FilteringTransport } from '../../helpers/FilteringTransport.js';
import type { AnyEnvelope } from '../../helpers/imports.js';
import { advance, createTestTree, flush, settle } from '../../helpers/simulation.js';

describe('session and epoch fencing', () => {
  async function started() {
    const transport = new FilteringTransport();
    const t = createTestTree({ transport });
    await settle(t.clock, t.tree.start());
    const init = transport.sent.find((e) => e.kind === 'COORD_INIT' && e.to === 'eu')!;
    return { t, transport, init };
  }

  it('should drop and count a message of another session without acting on it', async () => {
    // Arrange
    const { t, transport, init } = await started();
    const forged: AnyEnvelope = {
      ...init,
      id: 'forged-shutdown-id-00001',
      kind: 'COORD_SHUTDOWN',
      session: 'some-other-session',
      body: { mode: 'abort', timeoutMs: 10 },
    };
    // Act
    transport.send(forged);
    await advance(t.clock, 100);
    // Assert
    expect(t.tree.stateOf('eu')).toBe('SYNCHRONIZED');
    expect(t.tree.stats.dropped['stale-session']).toBe(1);
    expect(t.events).toContainEqual(
      expect.objectContaining({ type: 'dropped', nodeId: 'eu', reason: 'stale-session' }),
    );
    await settle(t.clock, t.tree.shutdown());
  });

  it('should drop a message of an older epoch after a re-INIT', async () => {
    const { t, transport, init } = await started();
    // The parent re-initialises eu (a recovery round): its epoch moves on.
    t.tree.kill('eu-1');
    await advance(t.clock, 700);
    t.tree.revive('eu-1');
    await advance(t.clock, 1_000);
    const latest = transport.sent.filter((e) => e.kind === 'COORD_INIT' && e.to === 'eu-1').at(-1)!;
    expect(latest.epoch).toBeGreaterThan(1);
    // Act: a command in eu-1's first epoch
    transport.send({
      ...init,
      id: 'old-epoch-command-000001',
      to: 'eu-1',
      from: 'eu',
      epoch: 1,
      kind: 'COORD_COMMAND',
      body: { commands: [{ commandId: 'old', name: 'x', payload: null, timeoutMs: 100 }] },
    });
    await flush();
    // Assert
    expect(t.executions.filter((x) => x.endsWith(':old'))).toEqual([]);
    expect(t.tree.stats.dropped['stale-epoch']).toBeGreaterThanOrEqual(1);
    await settle(t.clock, t.tree.shutdown());
  });

  it('should drop a forged reply from a node that is not a child', async () => {
    const { t, transport, init } = await started();
    transport.send({
      ...init,
      id: 'forged-status-id-0000001',
      from: 'us-1',
      to: 'eu',
      kind: 'COORD_STATUS',
      body: {
        state: 'FAILED',
        subtree: {
          nodes: 1,
          leaves: 1,
          byState: {
            DISCONNECTED: 0,
            CONNECTING: 0,
            SYNCHRONIZED: 0,
            DEGRADED: 0,
            FAILED: 1,
            unreachable: 0,
          },
        },
      },
    });
    await flush();
    expect(t.tree.stateOf('eu')).toBe('SYNCHRONIZED');
    expect(t.tree.stats.dropped['unknown-sender']).toBe(1);
    await settle(t.clock, t.tree.shutdown());
  });
});
