import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FaultInjectingTransport } from 'fractal-coord/testing';
import { createTestTree, pendingTimers } from '../helpers/simulation.js';
import { ReliableTransport, type CommandResult, type ShutdownResult } from '../helpers/imports.js';
import { PROPERTY_TIMEOUT_MS, propertyParameters } from './support/parameters.js';
import { ScheduledTransport } from './support/ScheduledTransport.js';
import { treeArbitrary } from './support/treeArbitraries.js';

/** What happens during one run, at simulated times (ms) after the start. */
const scriptArbitrary = fc.record({
  /** Commands issued at these times; 0 races the start's READYs. */
  commandsAt: fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 4 }),
  /** A node (by index) killed at a time, and revived later (a heartbeat racing recovery). */
  crash: fc.option(
    fc.record({
      index: fc.nat(),
      at: fc.integer({ min: 0, max: 2_000 }),
      downMs: fc.integer({ min: 0, max: 2_000 }),
    }),
  ),
  /** The shutdown, racing whatever retries and recoveries are under way. */
  shutdownAt: fc.integer({ min: 0, max: 5_000 }),
  shutdownMode: fc.constantFrom('drain' as const, 'abort' as const),
  /** Loss and duplication under the reliable transport, or a perfect network. */
  faults: fc.boolean(),
});

describe('a coordination tree under random delivery orders (fc.scheduler)', () => {
  const parameters = propertyParameters('interleavings', 300);
  it(
    `should keep the invariants whatever order envelopes arrive in (seed ${parameters.seed})`,
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.scheduler(),
          treeArbitrary(1, 40),
          scriptArbitrary,
          fc.integer({ min: 1, max: 1_000_000 }),
          async (s, tree, script, seed) => {
            // Arrange: every delivery is a scheduler task; time advances as a task too
            const faults = new FaultInjectingTransport(new ScheduledTransport(s), { seed });
            if (script.faults) faults.setDefault({ drop: 0.1, duplicate: 0.05 });
            const t = createTestTree({
              spec: tree.spec,
              transport: new ReliableTransport(faults, { resendInitialMs: 50, resendMaxMs: 200 }),
              policy: {
                timeouts: { initMs: 4_000, commandMs: 3_000, ackMs: 1_000, shutdownMs: 3_000 },
                heartbeat: { intervalMs: 100, acceptablePauseMs: 500, minStdDevMs: 20 },
                retry: { initialDelayMs: 50, maxDelayMs: 400, jitter: 0 },
                restartBudget: { maxRestarts: 1_000, windowMs: 60_000 },
              },
            });
            const results: (CommandResult | undefined)[] = [];
            const issued: number[] = [];
            let shutdown: ShutdownResult | undefined;
            const victim = tree.ids[script.crash ? script.crash.index % tree.ids.length : 0]!;
            const actions: [number, () => void][] = [
              ...script.commandsAt.map((at, i): [number, () => void] => [
                at,
                () => {
                  // After the shutdown began, command() refuses (documented): nothing to check.
                  if (t.tree.status === 'shuttingDown' || t.tree.status === 'shutDown') return;
                  issued.push(i);
                  void t.tree.command(`c${i}`).then((r) => (results[i] = r));
                },
              ]),
              [
                script.shutdownAt,
                () =>
                  void t.tree.shutdown({ mode: script.shutdownMode }).then((r) => (shutdown = r)),
              ],
            ];
            if (script.crash && victim !== tree.ids[0]) {
              const { at, downMs } = script.crash;
              actions.push([at, () => t.tree.status === 'running' && t.tree.kill(victim)]);
              actions.push([
                at + downMs,
                () => {
                  if (t.tree.status !== 'running' || t.tree.snapshot().nodes[victim]!.alive) return;
                  t.tree.revive(victim);
                },
              ]);
            }
            actions.sort((a, b) => a[0] - b[0]);
            // Act
            void t.tree.start().catch(() => undefined); // a start cut short by the shutdown rejects
            const time = new Time(s);
            for (let elapsed = 0; shutdown === undefined && elapsed < 60_000;) {
              while (actions.length > 0 && actions[0]![0] <= elapsed) actions.shift()![1]();
              if (await time.step()) {
                t.clock.increment(10);
                elapsed += 10;
              }
              for (let i = 0; i < 4; i++) await Promise.resolve();
            }
            // Assert: the run ended; commands terminated with every leaf accounted; nothing left
            expect(shutdown).toBeDefined();
            for (const i of issued) {
              const counts = results[i]?.counts;
              expect(counts).toBeDefined();
              expect(counts!.completed + counts!.failed + counts!.skipped + counts!.timedOut).toBe(
                tree.leaves,
              );
            }
            expect(pendingTimers(t.clock)).toBe(0);
            t.expectConformance();
          },
        ),
        parameters,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

/**
 * Time as a scheduler task beside the deliveries: one tick is always pending, and when the
 * scheduler releases it, the clock moves. So the property decides how deliveries and the
 * passing of time interleave.
 */
class Time {
  private pending: Promise<unknown> | null = null;
  private ticked = false;

  constructor(private readonly s: fc.Scheduler) {}

  /** Runs one scheduler task; true if it was the tick (time should advance). */
  async step(): Promise<boolean> {
    this.pending ??= this.s
      .schedule(Promise.resolve('tick'), 'time passes')
      .then(() => (this.ticked = true));
    await this.s.waitOne();
    if (!this.ticked) return false;
    await this.pending;
    this.pending = null;
    this.ticked = false;
    return true;
  }
}
