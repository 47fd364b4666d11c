import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyLinkChange,
  applyLinkChanges,
  decide,
  EMPTY_COUNTS,
  type LinkCounts,
  type LinkState,
} from '../../../machines/index.js';
import { logSeed, propertyRun, seedLabel } from '../../property/support/machinesPropertyRun.js';

const policy = { maxUnavailable: { ratio: 0.5 }, minAvailable: 0 } as const;

function countsOf(states: Array<[string, boolean?]>): LinkCounts {
  let counts = EMPTY_COUNTS;
  for (const [state, critical] of states) {
    counts = applyLinkChange(counts, { from: null, to: 'pending', critical: critical === true });
    counts = applyLinkChange(counts, {
      from: 'pending',
      to: state as never,
      critical: critical === true,
    });
  }
  return counts;
}

const linkStateArb = fc.constantFrom<LinkState>(
  'pending',
  'unreachable',
  'DISCONNECTED',
  'CONNECTING',
  'SYNCHRONIZED',
  'DEGRADED',
  'FAILED',
);
const changeArb = fc.record({
  from: fc.option(linkStateArb, { nil: null }),
  to: fc.option(linkStateArb, { nil: null }),
  critical: fc.boolean(),
});

describe('applyLinkChanges', () => {
  const run = propertyRun();
  it(`should count a batch exactly as the changes one by one ${seedLabel(run)}`, () => {
    logSeed('applyLinkChanges', run);
    fc.assert(
      fc.property(fc.array(changeArb, { maxLength: 30 }), (changes) => {
        const oneByOne = changes.reduce<LinkCounts>(
          (counts, change) => applyLinkChange(counts, change),
          EMPTY_COUNTS,
        );
        expect(applyLinkChanges(EMPTY_COUNTS, changes)).toEqual(oneByOne);
      }),
      run,
    );
  });

  it('should leave the counts it was given unchanged', () => {
    const before = { ...EMPTY_COUNTS };
    applyLinkChanges(EMPTY_COUNTS, [{ from: null, to: 'pending', critical: true }]);
    expect(EMPTY_COUNTS).toEqual(before);
  });
});

describe('applyLinkChange', () => {
  it('should count adds, changes and removes in O(1) steps', () => {
    // Arrange
    let counts = applyLinkChange(EMPTY_COUNTS, { from: null, to: 'pending', critical: true });
    // Act
    counts = applyLinkChange(counts, { from: 'pending', to: 'unreachable', critical: true });
    // Assert
    expect(counts).toEqual({
      total: 1,
      pending: 0,
      available: 0,
      degraded: 0,
      unavailable: 1,
      criticalUnavailable: 1,
    });
    counts = applyLinkChange(counts, { from: 'unreachable', to: 'DEGRADED', critical: true });
    expect(counts).toEqual({
      total: 1,
      pending: 0,
      available: 1,
      degraded: 1,
      unavailable: 0,
      criticalUnavailable: 0,
    });
    counts = applyLinkChange(counts, { from: 'DEGRADED', to: null, critical: true });
    expect(counts).toEqual(EMPTY_COUNTS);
  });
});

describe('decide', () => {
  it('should be SYNCHRONIZED and ready with no children', () => {
    expect(decide(EMPTY_COUNTS, policy)).toMatchObject({ state: 'SYNCHRONIZED', allReady: true });
  });

  it('should not be ready while a child is pending, without degrading', () => {
    const counts = applyLinkChange(countsOf([['SYNCHRONIZED']]), {
      from: null,
      to: 'pending',
      critical: false,
    });
    expect(decide(counts, policy)).toMatchObject({ state: 'SYNCHRONIZED', allReady: false });
  });

  it('should propagate a DEGRADED child as DEGRADED', () => {
    expect(decide(countsOf([['SYNCHRONIZED'], ['DEGRADED']]), policy)).toMatchObject({
      state: 'DEGRADED',
      allReady: true,
    });
  });

  it('should degrade within the unavailable limit and fail past it', () => {
    const one = countsOf([['SYNCHRONIZED'], ['SYNCHRONIZED'], ['unreachable']]);
    expect(decide(one, policy).state).toBe('DEGRADED');
    const two = countsOf([['SYNCHRONIZED'], ['FAILED'], ['unreachable']]);
    expect(decide(two, policy)).toMatchObject({
      state: 'FAILED',
      reason: '2 of 3 children unavailable (limit 1.5)',
    });
  });

  it('should fail for a critical child down, whatever the ratio', () => {
    const counts = countsOf([
      ['SYNCHRONIZED'],
      ['SYNCHRONIZED'],
      ['SYNCHRONIZED'],
      ['DISCONNECTED', true],
    ]);
    expect(decide(counts, policy)).toMatchObject({
      state: 'FAILED',
      reason: 'a critical child is unavailable',
    });
  });

  it('should honour a count limit and a minimum available', () => {
    const counts = countsOf([['SYNCHRONIZED'], ['SYNCHRONIZED'], ['unreachable']]);
    expect(decide(counts, { maxUnavailable: 0, minAvailable: 0 }).state).toBe('FAILED');
    expect(decide(counts, { maxUnavailable: 1, minAvailable: 3 }).state).toBe('FAILED');
    expect(decide(counts, { maxUnavailable: 1, minAvailable: 2 }).state).toBe('DEGRADED');
  });
});

describe('decide, in words', () => {
  it.each<[string, Array<[string, boolean?]>, { maxUnavailable: number; minAvailable: number }]>([
    ['1 child unavailable', [['SYNCHRONIZED'], ['FAILED']], { maxUnavailable: 2, minAvailable: 0 }],
    [
      '2 children unavailable',
      [['FAILED'], ['unreachable']],
      { maxUnavailable: 2, minAvailable: 0 },
    ],
    ['1 child degraded', [['SYNCHRONIZED'], ['DEGRADED']], { maxUnavailable: 0, minAvailable: 0 }],
    ['2 children degraded', [['DEGRADED'], ['DEGRADED']], { maxUnavailable: 0, minAvailable: 0 }],
    ['all children available', [['SYNCHRONIZED']], { maxUnavailable: 0, minAvailable: 0 }],
    [
      '1 child available (minimum 2)',
      [['SYNCHRONIZED'], ['FAILED']],
      { maxUnavailable: 1, minAvailable: 2 },
    ],
    ['1 of 1 child unavailable (limit 0)', [['FAILED']], { maxUnavailable: 0, minAvailable: 0 }],
  ])('should explain itself as “%s”', (reason, states, degradation) => {
    expect(decide(countsOf(states), degradation).reason).toBe(reason);
  });
});

describe('decide, while children join', () => {
  it('should apply the unavailable ratio to the children that answered, not to joining ones', () => {
    // Arrange: 2 of 4 children still joining, both others unavailable
    let counts = countsOf([['FAILED'], ['unreachable']]);
    counts = applyLinkChange(counts, { from: null, to: 'pending', critical: false });
    counts = applyLinkChange(counts, { from: null, to: 'pending', critical: false });
    // Act
    const verdict = decide(counts, policy);
    // Assert
    expect(verdict).toEqual({
      state: 'FAILED',
      allReady: false,
      recoverable: true,
      reason: '2 of 2 children unavailable (limit 1)',
    });
  });

  it('should ask no more available children than have answered', () => {
    // Arrange: one child available, two joining, a minimum of 3
    let counts = countsOf([['SYNCHRONIZED']]);
    counts = applyLinkChange(counts, { from: null, to: 'pending', critical: false });
    counts = applyLinkChange(counts, { from: null, to: 'pending', critical: false });
    // Act
    const verdict = decide(counts, { maxUnavailable: 0, minAvailable: 3 });
    // Assert
    expect(verdict.state).toBe('SYNCHRONIZED');
  });
});

describe('decide, recoverable', () => {
  it.each<[boolean, Array<[string, boolean?]>]>([
    [false, []],
    [false, [['SYNCHRONIZED'], ['DEGRADED']]],
    [false, [['pending']]],
    [true, [['SYNCHRONIZED'], ['unreachable']]],
    [true, [['DISCONNECTED', true]]],
  ])(
    'should be %s for children %j: recovery is for unavailable children only',
    (expected, states) => {
      expect(decide(countsOf(states), policy).recoverable).toBe(expected);
    },
  );
});
