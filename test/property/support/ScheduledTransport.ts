/**
 * A transport whose every delivery is a task of a fast-check scheduler (`fc.scheduler`): the
 * property decides the order in which envelopes arrive, across all links at once.
 */
import type fc from 'fast-check';
import type { AnyEnvelope, Inbox, Transport } from '../../helpers/imports.js';

/** Delivers through `scheduler`, in the order it picks. */
export class ScheduledTransport implements Transport {
  private readonly inboxes = new Map<string, Inbox>();
  private closed = false;

  constructor(private readonly scheduler: fc.Scheduler) {}

  attach(nodeId: string, inbox: Inbox): () => void {
    this.inboxes.set(nodeId, inbox);
    return () => {
      if (this.inboxes.get(nodeId) === inbox) this.inboxes.delete(nodeId);
    };
  }

  send(envelope: AnyEnvelope): void {
    if (this.closed) return;
    const label = `${envelope.kind} ${envelope.from}→${envelope.to}`;
    // The task carries only a label (the scheduler's report prints task values).
    void this.scheduler.schedule(Promise.resolve(envelope.id), label).then(() => {
      if (!this.closed) this.inboxes.get(envelope.to)?.(envelope);
    });
  }

  close(): void {
    this.closed = true;
    this.inboxes.clear();
  }
}
