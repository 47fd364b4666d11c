import { describe, expect, it } from 'vitest';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { createTestTree, settle } from '../../helpers/simulation.js';

describe('inspection', () => {
  it('should reach every node and supervisor actor, with parent links', async () => {
    const seen: InspectionEvent[] = [];
    const t = createTestTree({ inspect: (event) => seen.push(event) });
    await settle(t.clock, t.tree.start());
    const actors = seen.filter((e) => e.type === '@xstate.actor');
    const byId = new Map(
      actors.map((e) => [(e.actorRef as AnyActorRef).id, e.actorRef as AnyActorRef]),
    );
    for (const id of ['eu', 'eu-1', 'us', 'us-2']) expect(byId.has(id)).toBe(true);
    expect(byId.get('eu-1')!._parent?.id).toBe('eu');
    expect(byId.has('eu/supervisor')).toBe(true);
    const snapshots = seen.filter(
      (e) => e.type === '@xstate.snapshot' && (e.actorRef as AnyActorRef).id === 'eu',
    );
    expect(snapshots.at(-1)).toMatchObject({ snapshot: { value: { SYNCHRONIZED: 'active' } } });
    await settle(t.clock, t.tree.shutdown());
  });
});
