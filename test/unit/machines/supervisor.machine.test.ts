import { describe, expect, it } from 'vitest';
import { createActor, createMachine, sendTo, SimulatedClock, type AnyEventObject } from 'xstate';
import { supervisorMachine } from '../../../machines/index.js';

/** A parent that records what its supervisor reports. */
function harness(maxRestarts = 2, windowMs = 1_000) {
  const reports: AnyEventObject[] = [];
  const parent = createMachine({
    invoke: {
      id: 'sup',
      src: supervisorMachine,
      input: {
        nodeId: 'n',
        degradation: { maxUnavailable: 1, minAvailable: 0 },
        restartBudget: { maxRestarts, windowMs },
      },
    },
    on: {
      '*': { actions: ({ event }) => reports.push(event) },
      forward: {
        actions: sendTo(
          'sup',
          ({ event }) => (event as unknown as { inner: AnyEventObject }).inner,
        ),
      },
    },
  });
  const clock = new SimulatedClock();
  const actor = createActor(parent, { clock }).start();
  const send = (inner: AnyEventObject) => actor.send({ type: 'forward', inner });
  const decisions = () =>
    reports
      .filter((e) => e.type === 'supervisor.decision')
      .map((e) => (e as unknown as { decision: { state: string; allReady: boolean } }).decision);
  return { send, reports, decisions, clock };
}

/** A links.reset event with these counts (no degraded or critical children). */
function reset(counts: { total: number; pending: number; available: number; unavailable: number }) {
  return { type: 'links.reset', counts: { ...counts, degraded: 0, criticalUnavailable: 0 } };
}

describe('supervisorMachine', () => {
  it('should report a decision only when it changes', () => {
    // Arrange
    const { send, decisions } = harness();
    send(reset({ total: 2, pending: 2, available: 0, unavailable: 0 }));
    // Act
    send({
      type: 'link.changed',
      childId: 'a',
      from: 'pending',
      to: 'SYNCHRONIZED',
      critical: false,
    });
    send({
      type: 'link.changed',
      childId: 'b',
      from: 'pending',
      to: 'SYNCHRONIZED',
      critical: false,
    });
    send({
      type: 'link.changed',
      childId: 'b',
      from: 'SYNCHRONIZED',
      to: 'unreachable',
      critical: false,
    });
    send({
      type: 'link.changed',
      childId: 'a',
      from: 'SYNCHRONIZED',
      to: 'unreachable',
      critical: false,
    });
    // Assert
    expect(decisions()).toEqual([
      expect.objectContaining({ state: 'SYNCHRONIZED', allReady: false }),
      expect.objectContaining({ state: 'SYNCHRONIZED', allReady: true }),
      expect.objectContaining({ state: 'DEGRADED', allReady: false }),
      expect.objectContaining({ state: 'FAILED', allReady: false }),
    ]);
  });

  it('should apply a batch of link changes in order and decide once, on the counts they leave', () => {
    // Arrange
    const { send, decisions } = harness();
    send(reset({ total: 3, pending: 3, available: 0, unavailable: 0 }));
    const change = (childId: string, from: string, to: string) => ({
      childId,
      from,
      to,
      critical: false,
    });
    // Act: three children ready, then one suspected, in one event
    send({
      type: 'links.changed',
      changes: [
        change('a', 'pending', 'SYNCHRONIZED'),
        change('b', 'pending', 'SYNCHRONIZED'),
        change('c', 'pending', 'SYNCHRONIZED'),
        change('c', 'SYNCHRONIZED', 'unreachable'),
      ],
    });
    // Assert: no decision for the intermediate all-ready counts; DEGRADED with 1 unavailable
    expect(decisions()).toEqual([
      expect.objectContaining({ state: 'SYNCHRONIZED', allReady: false }),
      expect.objectContaining({ state: 'DEGRADED', allReady: false, recoverable: true }),
    ]);
  });

  it('should grant restarts within the budget and decide FAILED past it', () => {
    const { send, reports, decisions } = harness(2, 1_000);
    send(reset({ total: 2, pending: 0, available: 1, unavailable: 1 }));
    send({ type: 'restart.request' });
    send({ type: 'restart.request' });
    expect(reports.filter((e) => e.type === 'supervisor.restartGranted')).toHaveLength(2);
    send({ type: 'restart.request' });
    expect(decisions().at(-1)).toMatchObject({
      state: 'FAILED',
      reason: 'restart budget exhausted',
    });
  });

  it('should forget restarts once the window has passed', () => {
    const { send, reports, clock, decisions } = harness(1, 1_000);
    send(reset({ total: 2, pending: 0, available: 1, unavailable: 1 }));
    send({ type: 'restart.request' });
    clock.increment(1_000);
    send({ type: 'restart.request' });
    expect(reports.filter((e) => e.type === 'supervisor.restartGranted')).toHaveLength(2);
    expect(decisions().every((d) => d.state !== 'FAILED')).toBe(true);
  });

  it('should start a fresh budget on budget.reset', () => {
    const { send, reports } = harness(1, 60_000);
    send({ type: 'restart.request' });
    send({ type: 'budget.reset' });
    send({ type: 'restart.request' });
    expect(reports.filter((e) => e.type === 'supervisor.restartGranted')).toHaveLength(2);
  });
});

describe('supervisorMachine, reporting', () => {
  it('should report when only recoverability changes, so that recovery rounds can start', () => {
    // Arrange: one child degraded, one joining
    const { send, reports } = harness();
    send({
      type: 'links.reset',
      counts: {
        total: 3,
        pending: 1,
        available: 2,
        degraded: 1,
        unavailable: 0,
        criticalUnavailable: 0,
      },
    });
    // Act: another child becomes unreachable; still DEGRADED, still not all ready
    send({
      type: 'link.changed',
      childId: 'b',
      from: 'SYNCHRONIZED',
      to: 'unreachable',
      critical: false,
    });
    // Assert
    const decisions = reports
      .filter((e) => e.type === 'supervisor.decision')
      .map((e) => (e as unknown as { decision: unknown }).decision);
    expect(decisions).toEqual([
      { state: 'DEGRADED', allReady: false, recoverable: false, reason: '1 child degraded' },
      { state: 'DEGRADED', allReady: false, recoverable: true, reason: '1 child unavailable' },
    ]);
  });
});

describe('supervisorMachine, restart budget', () => {
  const granted = (reports: AnyEventObject[]) =>
    reports.filter((e) => e.type === 'supervisor.restartGranted').length;
  const oneDown = reset({ total: 2, pending: 0, available: 1, unavailable: 1 });

  it('should slide its window: a restart leaves the budget one window after it was granted', () => {
    // Arrange
    const { send, reports, clock, decisions } = harness(2, 1_000);
    send(oneDown);
    send({ type: 'restart.request' });
    clock.increment(600);
    send({ type: 'restart.request' });
    // Act: the first restart expires; one more fits, the next does not
    clock.increment(400);
    send({ type: 'restart.request' });
    send({ type: 'restart.request' });
    // Assert
    expect(granted(reports)).toBe(3);
    expect(decisions().at(-1)).toMatchObject({ state: 'FAILED' });
  });

  it.each([[['budget.reset', 'links.reset']], [['links.reset', 'budget.reset']]])(
    'should ignore the expiry of a restart granted before %j',
    (resets) => {
      // Arrange: a restart granted, then the budget reset twice
      const { send, reports, clock, decisions } = harness(1, 1_000);
      send(oneDown);
      send({ type: 'restart.request' });
      clock.increment(500);
      for (const type of resets) send(type === 'links.reset' ? oneDown : { type });
      send({ type: 'restart.request' });
      // Act: the first restart's window ends, then the budget is asked again
      clock.increment(500);
      send({ type: 'restart.request' });
      // Assert
      expect(granted(reports)).toBe(2);
      expect(decisions().at(-1)).toMatchObject({
        state: 'FAILED',
        reason: 'restart budget exhausted',
      });
    },
  );

  it('should lift an exhausted budget on budget.reset', () => {
    // Arrange
    const { send, reports, decisions } = harness(1, 60_000);
    send(oneDown);
    send({ type: 'restart.request' });
    send({ type: 'restart.request' });
    const exhausted = decisions().at(-1);
    // Act
    send({ type: 'budget.reset' });
    send({ type: 'restart.request' });
    // Assert
    expect(exhausted).toMatchObject({ state: 'FAILED' });
    expect(decisions().at(-1)).toMatchObject({ state: 'DEGRADED' });
    expect(granted(reports)).toBe(2);
  });
});
