/**
 * Model-based runs of a coordination tree (`fc.commands`): the real tree on simulated time over
 * a fault-injecting network under a reliable transport, a small reference model beside it, and
 * the protocol's invariants checked after every step.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { FaultInjectingTransport } from 'fractal-coord/testing';
import {
  advance,
  createTestTree,
  pendingTimers,
  settle,
  type TestTree,
} from '../../helpers/simulation.js';
import {
  InProcessTransport,
  isTreeLifecycleError,
  ReliableTransport,
  type CommandResult,
  type CoordinationPolicy,
} from '../../helpers/imports.js';
import type { DrawnTree } from './treeArbitraries.js';

/** What the model expects of the tree. */
export interface TreeModel {
  readonly tree: DrawnTree;
  started: boolean;
  shutDown: boolean;
  /** Nodes killed explicitly (their subtrees are down with them). */
  readonly killed: Set<string>;
  /** Links cut, as `parent>child`. */
  readonly partitions: Set<string>;
}

/** A command issued to the real tree and not necessarily answered yet. */
interface Pending {
  readonly issuedAt: number;
  readonly timeoutMs: number;
  result?: CommandResult;
}

/** The real system under test. */
export interface RealTree {
  readonly t: TestTree;
  readonly faults: FaultInjectingTransport;
  readonly pending: Pending[];
  /** Calls that may stay unanswered for a while (recover), awaited at the end. */
  readonly background: Promise<unknown>[];
}

/** Timeouts short enough for many runs, long enough for a network that resends. */
export const modelPolicy: CoordinationPolicy = {
  timeouts: { initMs: 4_000, commandMs: 3_000, ackMs: 1_000, shutdownMs: 3_000 },
  heartbeat: { intervalMs: 100, acceptablePauseMs: 500, minStdDevMs: 20 },
  retry: { initialDelayMs: 50, maxDelayMs: 400, jitter: 0.2 },
  restartBudget: { maxRestarts: 1_000, windowMs: 60_000 },
};

/** Builds the model and the real tree for one run. */
export function setup(tree: DrawnTree, seed: number): { model: TreeModel; real: RealTree } {
  const faults = new FaultInjectingTransport(new InProcessTransport(), { seed });
  const transport = new ReliableTransport(faults, { resendInitialMs: 50, resendMaxMs: 200 });
  let state = seed || 1;
  const t = createTestTree({
    spec: tree.spec,
    transport,
    policy: modelPolicy,
    random: () => ((state = (state * 16_807) % 2_147_483_647) % 1_000) / 1_000,
  });
  return {
    model: { tree, started: false, shutDown: false, killed: new Set(), partitions: new Set() },
    real: { t, faults, pending: [], background: [] },
  };
}

/** Whether `ancestor` is `id` or above it. */
function isAtOrAbove(m: TreeModel, ancestor: string, id: string): boolean {
  for (let at: string | undefined = id; at !== undefined; at = m.tree.parentOf.get(at)) {
    if (at === ancestor) return true;
  }
  return false;
}

/** A revived node brings its whole subtree back fresh, killed descendants included. */
function revived(m: TreeModel, id: string): void {
  for (const killed of [...m.killed]) if (isAtOrAbove(m, id, killed)) m.killed.delete(killed);
}

/** Whether a node is down: killed itself, or under a killed ancestor. */
export function isDown(model: TreeModel, id: string): boolean {
  for (let at: string | undefined = id; at !== undefined; at = model.tree.parentOf.get(at)) {
    if (model.killed.has(at)) return true;
  }
  return false;
}

type TreeCommand = fc.AsyncCommand<TreeModel, RealTree>;
const running = (m: TreeModel): boolean => m.started && !m.shutDown;

class Start implements TreeCommand {
  check = (m: TreeModel) => !m.started;
  async run(m: TreeModel, r: RealTree): Promise<void> {
    m.started = true;
    await expect(settle(r.t.clock, r.t.tree.start())).resolves.toBe('SYNCHRONIZED');
    await checkInvariants(m, r);
  }
  toString = () => 'start';
}

class Issue implements TreeCommand {
  constructor(readonly name: string) {}
  check = running;
  async run(m: TreeModel, r: RealTree): Promise<void> {
    const timeoutMs = modelPolicy.timeouts!.commandMs!;
    const entry: Pending = { issuedAt: r.t.clock.now(), timeoutMs };
    r.pending.push(entry);
    void r.t.tree.command(this.name).then((result) => (entry.result = result));
    await checkInvariants(m, r);
  }
  toString = () => `command(${this.name})`;
}

class Kill implements TreeCommand {
  constructor(readonly index: number) {}
  private id = (m: TreeModel) => m.tree.ids[this.index % m.tree.ids.length]!;
  check = (m: TreeModel) => running(m) && this.id(m) !== 'n0' && !isDown(m, this.id(m));
  async run(m: TreeModel, r: RealTree): Promise<void> {
    m.killed.add(this.id(m));
    r.t.tree.kill(this.id(m));
    await checkInvariants(m, r);
  }
  toString = () => `kill(#${this.index})`;
}

class Revive implements TreeCommand {
  constructor(readonly index: number) {}
  private id = (m: TreeModel) => m.tree.ids[this.index % m.tree.ids.length]!;
  check = (m: TreeModel) =>
    running(m) && m.killed.has(this.id(m)) && !isDown(m, m.tree.parentOf.get(this.id(m))!);
  async run(m: TreeModel, r: RealTree): Promise<void> {
    revived(m, this.id(m));
    r.t.tree.revive(this.id(m));
    await checkInvariants(m, r);
  }
  toString = () => `revive(#${this.index})`;
}

class Partition implements TreeCommand {
  constructor(
    readonly index: number,
    readonly oneWay: boolean,
  ) {}
  private id = (m: TreeModel) => m.tree.ids[this.index % m.tree.ids.length]!;
  check = (m: TreeModel) => running(m) && this.id(m) !== 'n0';
  async run(m: TreeModel, r: RealTree): Promise<void> {
    const parent = m.tree.parentOf.get(this.id(m))!;
    m.partitions.add(`${parent}>${this.id(m)}`);
    r.faults.partition(parent, this.id(m), { oneWay: this.oneWay });
    await checkInvariants(m, r);
  }
  toString = () => `partition(#${this.index}${this.oneWay ? ', one way' : ''})`;
}

class Heal implements TreeCommand {
  check = (m: TreeModel) => m.partitions.size > 0;
  async run(m: TreeModel, r: RealTree): Promise<void> {
    m.partitions.clear();
    r.faults.healAll();
    await checkInvariants(m, r);
  }
  toString = () => 'heal';
}

class Recover implements TreeCommand {
  constructor(readonly index: number) {}
  private id = (m: TreeModel) => m.tree.ids[this.index % m.tree.ids.length]!;
  check = (m: TreeModel) => running(m) && !isDown(m, this.id(m));
  async run(m: TreeModel, r: RealTree): Promise<void> {
    // A refusal (the parent is not connected) is a documented answer, not a failure.
    r.background.push(
      r.t.tree.recover(this.id(m)).catch((error: unknown) => {
        if (!isTreeLifecycleError(error)) throw error;
      }),
    );
    await checkInvariants(m, r);
  }
  toString = () => `recover(#${this.index})`;
}

class Advance implements TreeCommand {
  constructor(readonly ms: number) {}
  check = (m: TreeModel) => m.started;
  async run(m: TreeModel, r: RealTree): Promise<void> {
    await advance(r.t.clock, this.ms, 20);
    await checkInvariants(m, r);
  }
  toString = () => `advance(${this.ms} ms)`;
}

class Shutdown implements TreeCommand {
  check = running;
  async run(m: TreeModel, r: RealTree): Promise<void> {
    m.shutDown = true;
    await settle(r.t.clock, r.t.tree.shutdown(), 30_000, 20);
    await checkInvariants(m, r);
    expectShutDown(r);
  }
  toString = () => 'shutdown';
}

/** Starts the tree (every run begins with it). */
export const start: TreeCommand = new Start();

const issue = fc.integer({ min: 0, max: 99 }).map((n): TreeCommand => new Issue(`c${n}`));
const advanceTime = fc.integer({ min: 10, max: 3_000 }).map((ms): TreeCommand => new Advance(ms));

/** The commands a run draws from after the start; commands and time weigh more. */
export const treeCommands: fc.Arbitrary<TreeCommand>[] = [
  issue,
  issue,
  issue,
  advanceTime,
  advanceTime,
  advanceTime,
  fc.nat().map((i) => new Kill(i)),
  fc.nat().map((i) => new Revive(i)),
  fc.tuple(fc.nat(), fc.boolean()).map(([i, oneWay]) => new Partition(i, oneWay)),
  fc.constant(new Heal()),
  fc.nat().map((i) => new Recover(i)),
  fc.constant(new Shutdown()),
];

/** Invariants 1, 3 and 4 (and what the model knows of killed nodes), after every step. */
export async function checkInvariants(m: TreeModel, r: RealTree): Promise<void> {
  await Promise.resolve();
  r.t.expectConformance(); // transitions in the table; no COMMAND before READY; at most once
  const now = r.t.clock.now();
  for (const entry of r.pending) {
    // A command terminates by its deadline (plus the time its answer takes to travel back).
    if (now > entry.issuedAt + entry.timeoutMs + 2_000) expect(entry.result).toBeDefined();
    if (entry.result) {
      const { completed, failed, skipped, timedOut } = entry.result.counts;
      expect(completed + failed + skipped + timedOut).toBe(m.tree.leaves);
    }
  }
  if (!m.shutDown) {
    for (const id of m.tree.ids)
      if (isDown(m, id)) expect(r.t.tree.stateOf(id)).toBe('DISCONNECTED');
  }
}

/** Invariant 6: nothing of the tree runs after its shutdown. */
export function expectShutDown(r: RealTree): void {
  expect(r.t.tree.status).toBe('shutDown');
  expect(pendingTimers(r.t.clock)).toBe(0);
  for (const entry of r.pending) expect(entry.result).toBeDefined();
}

/**
 * Invariant 7, then 6: with the faults stopped and every node alive, the tree returns to
 * SYNCHRONIZED within a bound; then it shuts down cleanly.
 */
export async function quiesceAndShutDown(m: TreeModel, r: RealTree): Promise<void> {
  if (!m.started) return;
  if (!m.shutDown) {
    r.faults.clear();
    m.partitions.clear();
    for (const id of m.tree.ids) {
      // Parents come before their children: a revived node brings its subtree back.
      if (!m.killed.has(id)) continue;
      revived(m, id);
      r.t.tree.revive(id);
    }
    await advance(r.t.clock, 30_000, 50);
    const states = Object.values(r.t.tree.snapshot().nodes).map((n) => `${n.id}:${n.state}`);
    expect(states.filter((s) => !s.endsWith(':SYNCHRONIZED'))).toEqual([]);
    m.shutDown = true;
    await settle(r.t.clock, r.t.tree.shutdown(), 30_000, 20);
  }
  await Promise.all(r.background);
  await checkInvariants(m, r);
  expectShutDown(r);
  for (const event of r.t.events) {
    if (event.type !== 'transition') continue;
    const edge = `${event.from}→${event.to}`;
    transitionCounts.set(edge, (transitionCounts.get(edge) ?? 0) + 1);
  }
}

/** How often each table transition fired, over every run of the process. */
export const transitionCounts = new Map<string, number>();
