import { formatMs } from '../../../src/cli/report/html';

/** Durations as people read them, in the report, `rxdag show` and the run's lines. */
describe('formatMs', () => {
  it('should say a duration in the unit that suits it, rounding up into the next unit rather than past its end', () => {
    expect([0, 999, 999.6, 1000, 9996, 12_400, 59_949, 59_990, 185_000, 3_599_400, 3_599_600, 86_400_000].map(formatMs)).toEqual([
      '0 ms',
      '999 ms',
      '1.00 s',
      '1.00 s',
      '10.0 s',
      '12.4 s',
      '59.9 s',
      '1 min 00 s',
      '3 min 05 s',
      '59 min 59 s',
      '1 h 00 min',
      '24 h 00 min',
    ]);
  });
});
