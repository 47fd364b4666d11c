import { describe, expect, it, vi } from 'vitest';
import { ReliableTransport } from '../../../src/reliability/ReliableTransport.js';
import { isTreeLifecycleError, type Transport } from '../../helpers/imports.js';
import { createTransportHost } from '../../helpers/transportHost.js';

/** An inner transport that records the hosts it is bound to. */
function innerTransport() {
  const bind = vi.fn();
  const inner: Transport = { bind, attach: () => () => {}, send: () => {}, close: () => {} };
  return { inner, bind };
}

describe('ReliableTransport.bind', () => {
  it('should take a second bind to the same tree as a no-op', () => {
    // Arrange
    const { inner, bind } = innerTransport();
    const transport = new ReliableTransport(inner);
    const host = createTransportHost();
    transport.bind(host);
    // Act
    transport.bind(host);
    // Assert
    expect(bind).toHaveBeenCalledTimes(1);
  });

  it('should refuse to be bound to a second tree, saying what to do instead', () => {
    // Arrange
    const { inner, bind } = innerTransport();
    const transport = new ReliableTransport(inner);
    transport.bind(createTransportHost());
    // Act
    const error = (() => {
      try {
        transport.bind(createTransportHost());
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    // Assert
    expect(isTreeLifecycleError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'This ReliableTransport is already bound to another tree: give each tree its own transport.',
    );
    expect(bind).toHaveBeenCalledTimes(1);
  });

  it('should refuse to attach before bind', () => {
    // Arrange
    const transport = new ReliableTransport(innerTransport().inner);
    // Act
    const attach = () => transport.attach('a', () => {});
    // Assert
    expect(attach).toThrow(/^ReliableTransport\.attach\(\) before bind\(\)/);
  });
});
