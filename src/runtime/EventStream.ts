/**
 * A tree's event stream: every event on `tree.events$`, or only chosen types through
 * `tree.eventsOf(...)`. An event is built only while someone watches its type, so watching
 * link changes does not pay for an event per envelope sent.
 */
import { Observable, Subject } from 'rxjs';
import type { TreeEvent } from './events.js';

/** The `type` of a {@link TreeEvent}. */
export type TreeEventType = TreeEvent['type'];

/** The event of one type (or union of types). */
export type TreeEventOf<T extends TreeEventType> = Extract<TreeEvent, { readonly type: T }>;

/** Every event type, in the order `events.ts` declares them. */
export const TREE_EVENT_TYPES = [
  'transition',
  'decision',
  'link',
  'command',
  'message',
  'dropped',
  'node',
  'fault',
  'delivery',
  'refused',
  'violation',
] as const satisfies readonly TreeEventType[];

// Compile-time check that the list names every type of the union.
type Unlisted = Exclude<TreeEventType, (typeof TREE_EVENT_TYPES)[number]>;
const everyTypeListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyTypeListed;

const KNOWN_TYPES: ReadonlySet<string> = new Set(TREE_EVENT_TYPES);

/** One tree's stream. Nothing here is shared between trees. */
export class EventStream {
  private readonly subject = new Subject<TreeEvent>();
  /** Subscribers to every event. */
  private everything = 0;
  /** Subscribers to typed streams, per type. */
  private readonly byType = new Map<TreeEventType, number>();

  /** Every event. */
  readonly all$: Observable<TreeEvent> = new Observable<TreeEvent>((subscriber) => {
    this.everything++;
    const inner = this.subject.subscribe(subscriber);
    return () => {
      this.everything--;
      inner.unsubscribe();
    };
  });

  /** Whether anyone watches events of `type` (only then are they built). */
  watching(type: TreeEventType): boolean {
    return this.everything > 0 || (this.byType.get(type) ?? 0) > 0;
  }

  /**
   * The events of the given types only.
   * @throws TypeError for no type, or a type that is not a tree event's
   */
  of<T extends TreeEventType>(types: readonly T[]): Observable<TreeEventOf<T>> {
    if (types.length === 0) {
      throw new TypeError(
        "eventsOf needs at least one event type, e.g. tree.eventsOf('link'); tree.events$ carries every event.",
      );
    }
    for (const type of types as readonly string[]) {
      if (!KNOWN_TYPES.has(type)) {
        throw new TypeError(
          `Unknown event type ${JSON.stringify(type)}: expected one of ${TREE_EVENT_TYPES.join(', ')}.`,
        );
      }
    }
    const wanted = [...new Set(types)];
    const isWanted = (event: TreeEvent): event is TreeEventOf<T> =>
      (wanted as readonly TreeEventType[]).includes(event.type);
    return new Observable<TreeEventOf<T>>((subscriber) => {
      for (const type of wanted) this.byType.set(type, (this.byType.get(type) ?? 0) + 1);
      const inner = this.subject.subscribe({
        next: (event) => {
          if (isWanted(event)) subscriber.next(event);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        for (const type of wanted) this.byType.set(type, this.byType.get(type)! - 1);
        inner.unsubscribe();
      };
    });
  }

  /** Publishes an event built by `make`, if anyone watches its type. */
  emit(make: () => TreeEvent): void {
    if (!this.subject.observed) return;
    const event = make();
    if (this.watching(event.type)) this.subject.next(event);
  }

  /** Publishes a built event, if anyone watches its type. */
  publish(event: TreeEvent): void {
    if (this.watching(event.type)) this.subject.next(event);
  }

  /** Ends every subscription (the tree shut down). */
  complete(): void {
    this.subject.complete();
  }
}
