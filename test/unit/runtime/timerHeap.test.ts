import fc from 'fast-check';
import { SimulatedClock } from 'xstate';
import { describe, expect, it } from 'vitest';
import { TimerHeap, type HeapTimer } from '../../../src/runtime/TimerHeap.js';
import { pendingTimers } from '../../helpers/simulation.js';
import { logSeed, propertyRun, seedLabel } from '../../property/support/machinesPropertyRun.js';

/** An entry that records when it ran into `fired`. */
function entry(name: string, clock: SimulatedClock, fired: string[]): HeapTimer {
  return { dueAt: 0, heapIndex: -1, fire: () => fired.push(`${name}@${clock.now()}`) };
}

/** Advances the clock in 10 ms steps (one `increment` runs what is due at its end time). */
function tick(clock: SimulatedClock, ms: number): void {
  for (let elapsed = 0; elapsed < ms; elapsed += 10) clock.increment(10);
}

function heapOn(clock: SimulatedClock): TimerHeap {
  return new TimerHeap(clock, () => clock.now());
}

describe('TimerHeap', () => {
  it('should run many entries in due order on one clock timer', () => {
    // Arrange
    const clock = new SimulatedClock();
    const heap = heapOn(clock);
    const fired: string[] = [];
    // Act
    heap.schedule(entry('c', clock, fired), 300);
    heap.schedule(entry('a', clock, fired), 100);
    heap.schedule(entry('b', clock, fired), 200);
    // Assert
    expect(pendingTimers(clock)).toBe(1);
    tick(clock, 150);
    expect(fired).toEqual(['a@100']);
    tick(clock, 200);
    expect(fired).toEqual(['a@100', 'b@200', 'c@300']);
    expect(heap.size).toBe(0);
    expect(pendingTimers(clock)).toBe(0);
  });

  it('should move a rescheduled entry, and drop a cancelled one and its clock timer', () => {
    // Arrange
    const clock = new SimulatedClock();
    const heap = heapOn(clock);
    const fired: string[] = [];
    const a = entry('a', clock, fired);
    const b = entry('b', clock, fired);
    heap.schedule(a, 100);
    heap.schedule(b, 200);
    // Act
    heap.schedule(a, 300);
    heap.cancel(b);
    heap.cancel(b);
    tick(clock, 250);
    // Assert
    expect(fired).toEqual([]);
    tick(clock, 50);
    expect(fired).toEqual(['a@300']);
    heap.schedule(a, 10);
    heap.cancel(a);
    expect(pendingTimers(clock)).toBe(0);
  });

  it('should leave no entry and no clock timer once cleared', () => {
    const clock = new SimulatedClock();
    const heap = heapOn(clock);
    const fired: string[] = [];
    const entries = ['a', 'b', 'c'].map((name) => entry(name, clock, fired));
    entries.forEach((e, i) => heap.schedule(e, 100 * (i + 1)));
    heap.clear();
    clock.increment(1_000);
    expect(fired).toEqual([]);
    expect(heap.size).toBe(0);
    expect(entries.map((e) => e.heapIndex)).toEqual([-1, -1, -1]);
    expect(pendingTimers(clock)).toBe(0);
  });

  it('should let an entry reschedule itself while it runs', () => {
    const clock = new SimulatedClock();
    const heap = heapOn(clock);
    const times: number[] = [];
    const beat: HeapTimer = {
      dueAt: 0,
      heapIndex: -1,
      fire: () => {
        times.push(clock.now());
        if (times.length < 3) heap.schedule(beat, 100);
      },
    };
    heap.schedule(beat, 100);
    tick(clock, 1_000);
    expect(times).toEqual([100, 200, 300]);
    expect(pendingTimers(clock)).toBe(0);
  });

  type Op =
    | { readonly op: 'schedule'; readonly id: number; readonly delay: number }
    | { readonly op: 'cancel'; readonly id: number }
    | { readonly op: 'advance'; readonly ms: number };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      op: fc.constant('schedule' as const),
      id: fc.nat(7),
      delay: fc.integer({ min: 1, max: 50 }).map((tens) => tens * 10),
    }),
    fc.record({ op: fc.constant('cancel' as const), id: fc.nat(7) }),
    fc.record({
      op: fc.constant('advance' as const),
      ms: fc.integer({ min: 1, max: 40 }).map((tens) => tens * 10),
    }),
  );
  const modelRun = propertyRun();

  it(`should run entries as a sorted list of due times would ${seedLabel(modelRun)}`, () => {
    logSeed('timer heap model', modelRun);
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const clock = new SimulatedClock();
        const heap = heapOn(clock);
        const fired: number[] = [];
        const entries = Array.from({ length: 8 }, (_, id) => ({
          dueAt: 0,
          heapIndex: -1,
          fire: () => fired.push(id),
        }));
        // The model: each queued id and its due time.
        const due = new Map<number, number>();
        let expected = 0;
        for (const step of ops) {
          if (step.op === 'schedule') {
            heap.schedule(entries[step.id]!, step.delay);
            due.set(step.id, clock.now() + step.delay);
          } else if (step.op === 'cancel') {
            heap.cancel(entries[step.id]!);
            due.delete(step.id);
          } else {
            // Times are multiples of 10 ms, so the heap's 1 ms of earliness never shows.
            const until = clock.now() + step.ms;
            const ready = [...due].filter(([, at]) => at <= until);
            ready.sort((x, y) => x[1] - y[1] || x[0] - y[0]);
            for (const [id] of ready) due.delete(id);
            expected += ready.length;
            const before = fired.length;
            clock.increment(step.ms);
            const ran = fired.slice(before);
            expect([...ran].sort()).toEqual(ready.map(([id]) => id).sort());
            const dueTimes = ran.map((id) => ready.find(([r]) => r === id)![1]);
            expect(dueTimes).toEqual([...dueTimes].sort((x, y) => x - y));
          }
          expect(heap.size).toBe(due.size);
          expect(pendingTimers(clock)).toBe(due.size === 0 ? 0 : 1);
        }
        expect(fired.length).toBe(expected);
      }),
      modelRun,
    );
  });
});
