import { roomOf } from '../../src/dag/declaredLimits';
import { Limit } from '../../src/scheduler/limits';

describe('Limit', () => {
  it('should hold concurrency in units', () => {
    const limit = new Limit('gpu', { concurrency: 4 });
    expect(limit.hasRoom(4, 0)).toBe(true);
    limit.take(3, 0);
    expect(limit.hasRoom(2, 0)).toBe(false);
    expect(limit.roomAt(2, 0)).toBeUndefined(); // an attempt's end frees it, not time
    limit.give(3);
    expect(limit.hasRoom(4, 0)).toBe(true);
  });

  it.each([
    // [starts (at, units), asked (units, now), has room, room at]
    [[[0, 2]], [1, 5], false, 10],
    [[[0, 2]], [1, 10], true, 10], // the window is (now - 10, now]: a start at 0 is out of it at 10
    [
      [
        [0, 1],
        [4, 1],
      ],
      [1, 9],
      false,
      10,
    ],
    [
      [
        [0, 1],
        [4, 1],
      ],
      [2, 12],
      false,
      14,
    ],
    [
      [
        [0, 1],
        [4, 1],
      ],
      [2, 14],
      true,
      14,
    ],
  ] as const)('should keep at most 2 units per 10 ms window: after %j, %j has room %s, at %s', (starts, [units, now], room, at) => {
    const limit = new Limit('api', { rate: { limit: 2, intervalMs: 10 } });
    for (const [startedAt, startedUnits] of starts) limit.take(startedUnits, startedAt);
    for (const [, startedUnits] of starts) limit.give(startedUnits);
    expect(limit.hasRoom(units, now)).toBe(room);
    expect(limit.roomAt(units, now)).toBe(at);
  });

  it("should forget starts recorded out of time order (a resumed run's, after a live start) once their time is past", () => {
    const limit = new Limit('api', { rate: { limit: 3, intervalMs: 1000 } });
    limit.take(1, 600); // a live run's start
    limit.give(1);
    limit.record(2, 0); // then a resumed run's journaled starts, older
    limit.record(1, 300);
    expect(limit.hasRoom(1, 650)).toBe(false);
    expect(limit.roomAt(1, 650)).toBe(1000); // the starts at 0 leave the window (0, 1000] at 1000
    expect(limit.hasRoom(1, 1000)).toBe(true);
    expect(limit.hasRoom(2, 1000)).toBe(false);
    expect(limit.roomAt(2, 1000)).toBe(1300); // then the one at 300
    expect(limit.hasRoom(2, 1300)).toBe(true);
    expect(limit.roomAt(3, 1300)).toBe(1600); // and the live one at 600
  });

  it('should forget old starts in amortized constant time, however many there were', () => {
    const limit = new Limit('api', { rate: { limit: 1_000_000, intervalMs: 100 } });
    let roomEachTime = true; // one expect for all: 200,000 of them took seconds
    for (let t = 0; t < 200_000; t++) {
      limit.take(1, t);
      limit.give(1);
      roomEachTime &&= limit.hasRoom(1, t);
    }
    expect(roomEachTime).toBe(true);
    // the window (199900, 200000] holds the 99 starts from 199901 on: all must leave it first
    expect(limit.roomAt(1_000_000, 200_000)).toBe(199_999 + 100);
  });

  it('should have no room while paused, and say when the pause ends as when the window has room', () => {
    const limit = new Limit('api', { concurrency: 2, rate: { limit: 2, intervalMs: 10 } });
    limit.pause(30, 0);
    limit.pause(20, 0); // an earlier end changes nothing
    expect(limit.hasRoom(1, 0)).toBe(false);
    expect(limit.roomAt(1, 0)).toBe(30);
    expect(limit.hasRoom(1, 29)).toBe(false);
    expect(limit.hasRoom(1, 30)).toBe(true);
    // a window full past the pause's end: the later of the two
    limit.take(2, 28);
    limit.give(2);
    expect(limit.roomAt(1, 28)).toBe(38);
    // concurrency short: an attempt's end frees it, not time
    limit.take(2, 40);
    limit.pause(100, 40);
    expect(limit.roomAt(1, 40)).toBeUndefined();
  });

  it('should keep a window and a pause as long as they were meant to when the clock is set back, not for the step', () => {
    const hour = 3_600_000;
    const limit = new Limit('api', { rate: { limit: 2, intervalMs: 5000 } });
    limit.take(1, 10_000);
    limit.give(1);
    limit.take(1, 10_500);
    limit.give(1);
    // an NTP step an hour back: the two starts count from the new now, the window frees 5 s later
    const back = 11_000 - hour;
    expect(limit.hasRoom(1, back)).toBe(false);
    expect(limit.roomAt(1, back)).toBe(back + 5000);
    expect(limit.hasRoom(1, back + 5000)).toBe(true);
    // a pause of 3 s asked for just before such a step lasts 3 s from it
    const paused = new Limit('llm', { concurrency: 4 });
    paused.pause(20_000 + 3000, 20_000);
    expect(paused.roomAt(1, 20_000 - hour)).toBe(20_000 - hour + 3000);
    expect(paused.hasRoom(1, 20_000 - hour + 2999)).toBe(false);
    expect(paused.hasRoom(1, 20_000 - hour + 3000)).toBe(true);
    // a longer pause asked for after the step, before the limit was looked at, wins over the earlier one
    const again = new Limit('llm', { concurrency: 4 });
    again.pause(1000 + 60_000, 1000);
    const now = 1000 - hour + 5000;
    again.pause(now + 120_000, now);
    expect(again.roomAt(1, now)).toBe(now + 120_000);
  });

  it("should keep a resumed run's recorded starts when its journal's older pauses are replayed after them", () => {
    const minute = 60_000;
    const limit = new Limit('api', { rate: { limit: 2, intervalMs: 60 * minute } });
    // as a resume gives them: the starts first, then a pause a failure asked for long before
    limit.record(1, 50 * minute);
    limit.record(1, 51 * minute);
    limit.pause(minute + 1000, minute);
    expect(limit.roomAt(1, 60 * minute)).toBe(110 * minute);
    expect(limit.hasRoom(1, 61 * minute)).toBe(false);
  });

  it('should say how much one task may take at most', () => {
    expect(roomOf({ concurrency: 3, rate: { limit: 5, intervalMs: 1 } })).toBe(3);
    expect(roomOf({ rate: { limit: 5, intervalMs: 1 } })).toBe(5);
  });
});
