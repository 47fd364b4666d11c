/**
 * Timers on the tree's clock (the same XState clock the statecharts use, so tests run on
 * `SimulatedClock`), tracked so that disposing an owner clears every timer it set.
 */
/**
 * An XState clock (the `clock` option of `createActor`), optionally with `now()`, in ms.
 * `SimulatedClock` from xstate is one.
 */
export interface TreeClock {
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): unknown;
  clearTimeout(id: unknown): void;
  now?(): number;
}

/** The real clock: global timers and `Date.now`. */
export const systemClock: Required<TreeClock> = {
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (id: unknown) => clearTimeout(id as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/** A pending timer. */
export interface TimerHandle {
  readonly id: unknown;
}

/** A set of timers on one clock, cleared together by {@link Timers.clearAll}. */
export class Timers {
  /** Built on the first timer. */
  private live: Set<TimerHandle> | null = null;

  constructor(private readonly clock: TreeClock) {}

  /** Current time on the clock, ms. */
  now(): number {
    return this.clock.now ? this.clock.now() : Date.now();
  }

  /** Runs `fn` once after `ms`. */
  set(fn: () => void, ms: number): TimerHandle {
    const handle: { id: unknown } = { id: undefined };
    const live = (this.live ??= new Set<TimerHandle>());
    handle.id = this.clock.setTimeout(() => {
      live.delete(handle);
      fn();
    }, ms);
    live.add(handle);
    return handle;
  }

  /** Cancels a timer; a no-op for one that fired or was cleared. */
  clear(handle: TimerHandle | null | undefined): void {
    if (!handle || !this.live?.delete(handle)) return;
    this.clock.clearTimeout(handle.id);
  }

  /** Cancels every live timer. */
  clearAll(): void {
    if (this.live === null) return;
    for (const handle of this.live) this.clock.clearTimeout(handle.id);
    this.live.clear();
  }
}
