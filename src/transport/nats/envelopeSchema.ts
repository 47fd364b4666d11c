/**
 * The envelope as it crosses a process boundary: a schema (zod) that every inbound envelope
 * must pass before the runtime sees it, and the codec with its size limit.
 */
import { z } from 'zod';
import { MESSAGE_KINDS, PROTOCOL_VERSION, type AnyEnvelope } from '../../../machines/index.js';

const id = z.string().min(1).max(200);
const count = z.number().int().nonnegative();
const ms = z.number().finite().nonnegative();
const state = z.enum(['DISCONNECTED', 'CONNECTING', 'SYNCHRONIZED', 'DEGRADED', 'FAILED']);
const subtree = z.object({
  nodes: count,
  leaves: count,
  byState: z.object({
    DISCONNECTED: count,
    CONNECTING: count,
    SYNCHRONIZED: count,
    DEGRADED: count,
    FAILED: count,
    unreachable: count,
  }),
});
const commandSpec = z.object({
  commandId: id,
  name: z.string().min(1),
  payload: z.unknown().optional(),
  timeoutMs: ms,
});
const outcome = z.union([
  z.object({ status: z.literal('completed'), result: z.unknown().optional() }),
  z.object({
    status: z.literal('failed'),
    error: z.object({ code: z.string(), message: z.string() }),
  }),
  z.object({ status: z.literal('skipped'), reason: z.string(), leaves: count }),
  z.object({ status: z.literal('timedOut'), leaves: count }),
]);
const errorBody = z.object({
  scope: z.enum(['command', 'node']),
  code: z.string().min(1),
  message: z.string(),
  retriable: z.boolean(),
  commandId: id.optional(),
  leaves: count.optional(),
});
const completeBody = z.union([
  z.object({
    of: z.literal('command'),
    commandId: id,
    counts: z.object({ completed: count, failed: count, skipped: count, timedOut: count }),
    outcomes: z.array(z.tuple([id, outcome])),
  }),
  z.object({ of: z.literal('shutdown'), forced: count }),
]);
const reply = z.union([
  z.object({ kind: z.literal('COORD_COMPLETE'), body: completeBody }),
  z.object({ kind: z.literal('COORD_ERROR'), body: errorBody }),
]);
const syncReport = z.object({
  incarnation: id,
  finished: z.array(z.object({ commandId: id, reply: reply.optional() })),
  running: z.array(id),
  missing: z.array(id),
});

/** Body schemas by kind. */
const bodies = {
  COORD_INIT: z.object({ timeoutMs: ms }),
  COORD_COMMAND: z.object({ commands: z.array(commandSpec).min(1) }),
  COORD_SYNC: z.object({ commandIds: z.array(id) }),
  COORD_HEARTBEAT: z.object({}),
  COORD_SHUTDOWN: z.object({ mode: z.enum(['drain', 'abort']), timeoutMs: ms }),
  COORD_ACK: z.object({ ackOf: z.string().max(200) }),
  COORD_STATUS: z.object({ state, subtree, sync: syncReport.optional() }),
  COORD_ERROR: errorBody,
  COORD_READY: z.object({ state, subtree, incarnation: id }),
  COORD_COMPLETE: completeBody,
} as const;

const linkHeader = z.object({
  stream: z.string().max(200),
  seq: count,
  base: count,
  ack: z
    .object({ stream: z.string().max(200), upTo: count, reset: z.literal(true).optional() })
    .optional(),
});

const head = z.object({
  v: z.literal(PROTOCOL_VERSION),
  kind: z.enum(MESSAGE_KINDS as [string, ...string[]]),
  id,
  session: z.string().max(200),
  epoch: count,
  from: id,
  to: id,
  seq: count,
  sentAt: z.number().finite(),
  body: z.unknown(),
  link: linkHeader.optional(),
});

/** Why an inbound envelope was refused. */
export type RefusalReason = 'oversized' | 'malformed';

/** Decoding outcome: the envelope, or why it was refused. */
export type Decoded =
  | { readonly ok: true; readonly envelope: AnyEnvelope }
  | { readonly ok: false; readonly reason: RefusalReason; readonly detail: string };

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Encodes an envelope for the wire (UTF-8 JSON). */
export function encodeEnvelope(envelope: AnyEnvelope): Uint8Array {
  return encoder.encode(JSON.stringify(envelope));
}

/**
 * Decodes and validates an envelope from the wire: at most `maxBytes`, well-formed JSON, the
 * envelope's shape and its kind's body. Never throws.
 */
export function decodeEnvelope(data: Uint8Array, maxBytes: number): Decoded {
  if (data.byteLength > maxBytes) {
    return { ok: false, reason: 'oversized', detail: `${data.byteLength} bytes > ${maxBytes}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(data));
  } catch {
    return { ok: false, reason: 'malformed', detail: 'not JSON' };
  }
  const parsed = head.safeParse(value);
  if (!parsed.success) return { ok: false, reason: 'malformed', detail: parsed.error.message };
  const body = bodies[parsed.data.kind as keyof typeof bodies].safeParse(parsed.data.body);
  if (!body.success) return { ok: false, reason: 'malformed', detail: body.error.message };
  return { ok: true, envelope: { ...parsed.data, body: body.data } as AnyEnvelope };
}
