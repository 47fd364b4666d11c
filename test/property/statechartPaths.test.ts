import { beforeAll, describe, expect, it } from 'vitest';
import { nodeMachine } from '../../machines/index.js';
import { declaredStateIds, TABLE_EDGES } from './support/machinesStatechart.js';
import { enumeratePaths, internalMoves, tracePath, type Trace } from './support/pathsNodeGraph.js';
import { runScript, SCRIPTS, type RunTrace } from './support/pathsRealTime.js';

/** The sub-states the design names (the definition may declare more; all must be reached). */
const NAMED_STATES = [
  'DISCONNECTED.idle',
  'DISCONNECTED.shuttingDown',
  'DISCONNECTED.stopped',
  'CONNECTING.waiting.initializing',
  'CONNECTING.waiting.retrying',
  'SYNCHRONIZED.active',
  'SYNCHRONIZED.draining',
  'DEGRADED.backoff',
  'DEGRADED.restarting',
  'DEGRADED.draining',
  'FAILED',
].map((path) => `${nodeMachine.root.id}.${path}`);

/** How many traces contain each table edge, as an aligned two-column table. */
function edgeTable(traces: readonly Trace[]): string {
  const width = Math.max(...TABLE_EDGES.map((edge) => edge.length));
  return TABLE_EDGES.map((edge) => {
    const paths = traces.filter((trace) => trace.edges.includes(edge)).length;
    return `${edge.padEnd(width)}  ${paths}`;
  }).join('\n');
}

describe('nodeMachine', () => {
  let traces: Trace[] = [];
  beforeAll(() => {
    traces = enumeratePaths().map(tracePath);
    console.log(
      `[statechart paths] ${traces.length} shortest paths; paths per edge:\n${edgeTable(traces)}`,
    );
  });

  it('should take every edge of the transition table on some enumerated path', () => {
    // Act
    const reached = new Set(traces.flatMap((trace) => trace.edges));
    // Assert
    expect(TABLE_EDGES.filter((edge) => !reached.has(edge))).toEqual([]);
  });

  it('should take no edge outside the transition table on any enumerated path', () => {
    // Act
    const taken = new Set(traces.flatMap((trace) => trace.edges));
    // Assert
    expect([...taken].filter((edge) => !TABLE_EDGES.includes(edge))).toEqual([]);
  });

  it('should reach every state node the definition declares', () => {
    // Arrange
    const declared = declaredStateIds(nodeMachine);
    // Act
    const reached = new Set(traces.flatMap((trace) => [...trace.stateIds]));
    // Assert
    expect(NAMED_STATES.filter((id) => !declared.has(id))).toEqual([]);
    expect([...declared].filter((id) => !reached.has(id))).toEqual([]);
  });

  // The traversal reaches the parts moved by delays and by the cleanup actor through synthetic
  // `xstate.after.*` / `xstate.done.actor.*` / `xstate.error.actor.*` events. Here real timers
  // on a SimulatedClock and the real actors (supervisor, cleanup) must reach those parts too.
  it('should reach with real timers and actors whatever delay and actor events reach in the graph', async () => {
    // Arrange
    const internal = internalMoves();
    // Act
    const runs: RunTrace[] = [];
    for (const script of SCRIPTS) runs.push(await runScript(script));
    // Assert
    const moves = new Set(runs.flatMap((run) => [...run.moves]));
    const stateIds = new Set(runs.flatMap((run) => [...run.stateIds]));
    expect(internal.moves?.length).toBeGreaterThan(0);
    expect([...new Set(internal.moves)].filter((move) => !moves.has(move))).toEqual([]);
    expect([...internal.stateIds].filter((id) => !stateIds.has(id))).toEqual([]);
  });
});
