import { PlaceCounts, PlaceSet } from '../../src/scheduler/placeSet';
import { seededRandom } from '../support/seeded';

/**
 * The places of runs (`placeSet.ts`) against a plain Set: the first member in a range, across word
 * and summary boundaries (32 and 1,024 places), and the count of members before a place.
 */
describe('PlaceSet and PlaceCounts', () => {
  it.each([40, 1_000, 5_000])('should agree with a plain set after random adds and deletes, capacity %i', (capacity) => {
    const random = seededRandom(capacity);
    const int = (below: number) => Math.floor(random() * below);
    const set = new PlaceSet(capacity);
    const counts = new PlaceCounts(capacity);
    const members = new Set<number>();
    for (let step = 0; step < 2_000; step++) {
      const place = int(capacity);
      if (random() < 0.55) {
        if (!members.has(place)) counts.add(place, 1);
        set.add(place);
        members.add(place);
      } else {
        if (members.has(place)) counts.add(place, -1);
        set.delete(place);
        members.delete(place);
      }
      const from = int(capacity + 1);
      const to = from + int(capacity + 1 - from);
      let expected = -1;
      for (let at = from; at < to && expected < 0; at++) if (members.has(at)) expected = at;
      expect(set.next(from, to)).toBe(expected);
      expect(set.size).toBe(members.size);
      expect(set.has(place)).toBe(members.has(place));
      expect(counts.before(from)).toBe([...members].filter((member) => member < from).length);
    }
  });
});
