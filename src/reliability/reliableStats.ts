/** The counters a reliable transport keeps. */

/** What a `ReliableTransport` did since it was created. */
export interface ReliableTransportStats {
  /** Sequenced envelopes sent for the first time. */
  readonly sent: number;
  /** Sequenced envelopes handed to a local inbox (in stream order, each once). */
  readonly delivered: number;
  /** Envelopes sent again after a resend timeout. */
  readonly resent: number;
  /** Envelopes that arrived again (already delivered or already held back): dropped. */
  readonly duplicates: number;
  /** Envelopes that arrived early and were held back until the gap before them filled. */
  readonly heldBack: number;
  /** Early envelopes dropped because their stream's hold-back was full (resent later). */
  readonly overflow: number;
  /** Unacknowledged or waiting envelopes dropped because a new session or epoch began. */
  readonly superseded: number;
  /** Unacknowledged or waiting envelopes dropped when a stream gave up. */
  readonly gaveUp: number;
  /** Envelopes of a stream the receiver never saw start (it restarted): refused, stream reset. */
  readonly refused: number;
  /** Envelopes of an older epoch than the sender's latest stream: dropped unseen. */
  readonly stale: number;
  /** Bare acknowledgements sent. */
  readonly acksSent: number;
  /** Acknowledgements carried by an envelope going the other way instead of a bare one. */
  readonly piggybacked: number;
}

/** The same counters, writable by the transport. */
export type ReliableTransportCounters = { -readonly [K in keyof ReliableTransportStats]: number };

/** Counters at zero. */
export function zeroStats(): ReliableTransportCounters {
  return {
    sent: 0,
    delivered: 0,
    resent: 0,
    duplicates: 0,
    heldBack: 0,
    overflow: 0,
    superseded: 0,
    gaveUp: 0,
    refused: 0,
    stale: 0,
    acksSent: 0,
    piggybacked: 0,
  };
}
