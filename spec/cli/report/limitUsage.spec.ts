import { HeldUnits, RateStarts } from '../../../src/cli/report/limitUsage';

describe('HeldUnits', () => {
  // event:   0 start (2)   1 start (1)   2 end (-2)   3 start (3)   4 end (-1)   5 end (-3)
  const held = new HeldUnits();
  held.change(0, 1, 2);
  held.change(1, 1, 1);
  held.change(2, -1, -2);
  held.change(3, 1, 3);
  held.change(4, -1, -1);
  held.change(5, -1, -3);

  it('should keep the most units held at once', () => {
    expect(held.peak).toBe(4);
  });

  it.each([
    // capacity, weight, waiting from event, to event: the event that made room, and what was held before it
    ['room made by the last end while it waited', 3, 1, 0, 6, { releasedBy: 5, held: { attempts: 1, units: 3 } }],
    ['room made by the end just before it started', 3, 1, 0, 3, { releasedBy: 2, held: { attempts: 2, units: 3 } }],
    ['room for its weight made only by the last end', 4, 2, 2, 6, { releasedBy: 5, held: { attempts: 1, units: 3 } }],
    ['full only before it was ready', 3, 1, 2, 3, undefined],
    ['never full for its weight', 5, 1, 0, 6, undefined],
  ] as const)('%s', (_, capacity, weight, from, to, expected) => {
    expect(held.lastFull(capacity, weight, from, to)).toEqual(expected);
  });
});

describe('RateStarts', () => {
  // 4 units a window of 1000 ms: starts at events 1 (t=0, 2 units), 3 (t=100, 2), 6 (t=1000, 1)
  const starts = new RateStarts(1000);
  starts.add(1, 0, 2);
  starts.add(3, 100, 2);
  starts.add(6, 1000, 1);

  it.each([
    // weight, ready (index, at), started (index, at): when the window had room, undefined if it always did
    ['full when it became ready: room once the oldest start left', 1, [4, 150], [6, 1000], 1000],
    ['needing more than the oldest start gives back', 3, [4, 150], [9, 1200], 1100],
    ['full again after a start while it waited', 2, [4, 150], [7, 1100], 1100],
    ['with room when it became ready', 1, [2, 50], [3, 100], undefined],
    ['with the window past by the time it was ready', 2, [7, 1150], [8, 1150], undefined],
    ['never later than it started', 1, [4, 150], [5, 600], 600],
  ])('%s', (_, weight, [readyIndex, readyAt], [startIndex, startAt], expected) => {
    expect(starts.lastFull(4, weight as number, { index: readyIndex!, at: readyAt! }, { index: startIndex!, at: startAt! })).toBe(expected);
  });
});
