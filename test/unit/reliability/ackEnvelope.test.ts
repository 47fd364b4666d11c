import { describe, expect, it } from 'vitest';
import { ReliableTransport } from '../../../src/reliability/ReliableTransport.js';
import { FilteringTransport } from '../../helpers/FilteringTransport.js';
import type { AnyEnvelope } from '../../helpers/imports.js';
import { advance } from '../../helpers/simulation.js';
import { createTransportHost } from '../../helpers/transportHost.js';

const heartbeat = (n: number): AnyEnvelope => ({
  v: 1,
  kind: 'COORD_HEARTBEAT',
  id: `a-${n}`,
  session: 's7',
  epoch: 3,
  from: 'a',
  to: 'b',
  seq: n,
  sentAt: 0,
  body: {},
});

describe('ReliableTransport acknowledgements', () => {
  it('should put a bare acknowledgement on the wire as a COORD_ACK envelope of the stream’s session and epoch', async () => {
    // Arrange
    const filtering = new FilteringTransport();
    const host = createTransportHost();
    const transport = new ReliableTransport(filtering);
    transport.bind(host);
    transport.attach('a', () => {});
    transport.attach('b', () => {});
    // Act
    transport.send(heartbeat(1));
    transport.send(heartbeat(2));
    await advance(host.clock, 50);
    // Assert: one cumulative acknowledgement of both, from the receiver back to the sender
    const stream = filtering.sent[0]!.link!.stream;
    const acks = filtering.sent.filter((e) => e.from === 'b');
    expect(acks).toEqual([
      {
        v: 1,
        kind: 'COORD_ACK',
        id: expect.any(String),
        session: 's7',
        epoch: 3,
        from: 'b',
        to: 'a',
        seq: 0,
        sentAt: 0,
        body: { ackOf: '' },
        link: { stream: '', seq: 0, base: 0, ack: { stream, upTo: 2 } },
      },
    ]);
    expect(transport.stats).toMatchObject({ acksSent: 1, resent: 0 });
  });
});
