import { SimulatedClock } from 'xstate';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventStream } from '../../../src/runtime/EventStream.js';
import {
  createCoordinationTree,
  TREE_EVENT_TYPES,
  type TreeEvent,
  type TreeEventType,
} from '../../helpers/imports.js';
import { createTestTree, sampleSpec, settle, testPolicy } from '../../helpers/simulation.js';

/** Counts of the events published to the stream, by type. */
function spyOnPublished(): Map<TreeEventType, number> {
  const published = new Map<TreeEventType, number>();
  const original = EventStream.prototype.publish;
  vi.spyOn(EventStream.prototype, 'publish').mockImplementation(function (
    this: EventStream,
    event: TreeEvent,
  ) {
    published.set(event.type, (published.get(event.type) ?? 0) + 1);
    original.call(this, event);
  });
  return published;
}

describe('tree.eventsOf', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('should carry exactly the events of the chosen types that events$ carries, and complete on shutdown', async () => {
    // Arrange
    const t = createTestTree();
    const chosen: TreeEvent[] = [];
    let completed = false;
    t.tree.eventsOf('transition', 'link').subscribe({
      next: (event) => chosen.push(event),
      complete: () => (completed = true),
    });
    // Act
    await settle(t.clock, t.tree.start());
    await settle(t.clock, t.tree.command('deploy'));
    await settle(t.clock, t.tree.shutdown());
    // Assert
    const expected = t.events.filter((e) => e.type === 'transition' || e.type === 'link');
    expect(expected.length).toBeGreaterThan(0);
    expect(chosen).toEqual(expected);
    expect(completed).toBe(true);
  });

  it('should build no message or command event while only links are watched', async () => {
    // Arrange: no events$ subscriber and no monitor, only a link watcher
    const published = spyOnPublished();
    const clock = new SimulatedClock();
    const tree = createCoordinationTree({
      root: sampleSpec(),
      clock,
      random: () => 0.5,
      policy: testPolicy,
      handler: () => 'done',
    });
    const links: string[] = [];
    const watch = tree.eventsOf('link').subscribe((e) => links.push(`${e.childId}:${e.to}`));
    // Act
    await settle(clock, tree.start());
    await settle(clock, tree.command('deploy'));
    // Assert
    expect(links).toContain('eu-1:SYNCHRONIZED');
    expect(published.get('message') ?? 0).toBe(0);
    expect(published.get('command') ?? 0).toBe(0);

    // Act: once every event is watched, messages and command progress are built again
    watch.unsubscribe();
    const all = tree.events$.subscribe(() => {});
    await settle(clock, tree.command('deploy'));
    all.unsubscribe();
    // Assert
    expect(published.get('message')).toBeGreaterThan(0);
    expect(published.get('command')).toBeGreaterThan(0);
    await settle(clock, tree.shutdown());
  });

  it('should refuse no type, or a type that is not an event type, naming the known ones', () => {
    const t = createTestTree();
    const noTypes = [] as unknown as ['link'];
    expect(() => t.tree.eventsOf(...noTypes)).toThrow(
      /at least one event type.*tree\.events\$ carries every event/,
    );
    expect(() => t.tree.eventsOf('links' as 'link')).toThrow(
      new TypeError(`Unknown event type "links": expected one of ${TREE_EVENT_TYPES.join(', ')}.`),
    );
  });
});

describe('EventStream', () => {
  it('should watch a type only while a subscriber of it or of every event is subscribed', () => {
    // Arrange
    const stream = new EventStream();
    // Act / Assert
    expect(stream.watching('message')).toBe(false);
    const links = stream.of(['link', 'link']).subscribe(() => {});
    expect(stream.watching('link')).toBe(true);
    expect(stream.watching('message')).toBe(false);
    const all = stream.all$.subscribe(() => {});
    expect(stream.watching('message')).toBe(true);
    all.unsubscribe();
    expect(stream.watching('message')).toBe(false);
    links.unsubscribe();
    expect(stream.watching('link')).toBe(false);
  });

  it('should build an event only if someone watches, and hand it only to watchers of its type', () => {
    // Arrange
    const stream = new EventStream();
    const make = vi.fn((): TreeEvent => ({ type: 'node', nodeId: 'a', change: 'killed', at: 0 }));
    const links: TreeEvent[] = [];
    const nodes: TreeEvent[] = [];
    // Act
    stream.emit(make);
    stream.of(['link']).subscribe((e) => links.push(e));
    stream.emit(make);
    stream.of(['node']).subscribe((e) => nodes.push(e));
    stream.emit(make);
    // Assert: not built with nobody watching; built but not handed to a link watcher
    expect(make).toHaveBeenCalledTimes(2);
    expect(links).toEqual([]);
    expect(nodes).toEqual([{ type: 'node', nodeId: 'a', change: 'killed', at: 0 }]);
  });
});
