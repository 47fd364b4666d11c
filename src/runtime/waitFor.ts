/**
 * Waiting on the event stream with a deadline on the tree's clock.
 */
import type { TreeEvent } from './events.js';
import type { Timers } from './Timers.js';
import type { TreeKernel } from './TreeKernel.js';

/**
 * Resolves `true` once `done` has returned true for an event (or `ready()` holds), `false`
 * after `timeoutMs` on the clock.
 */
export function waitForEvents(
  kernel: TreeKernel,
  timers: Timers,
  timeoutMs: number,
  ready: () => boolean,
  done: (event: TreeEvent) => boolean,
): Promise<boolean> {
  if (ready()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const subscription = kernel.events.of(['transition', 'link']).subscribe({
      next: (event) => {
        if (done(event)) finish(true);
      },
      complete: () => finish(false),
    });
    const timer = timers.set(() => finish(false), timeoutMs);
    function finish(value: boolean): void {
      subscription.unsubscribe();
      timers.clear(timer);
      resolve(value);
    }
  });
}
