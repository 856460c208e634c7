import { IdIndex } from '../../src/dag/idIndex';

function indexOf(ids: string[]): IdIndex {
  const index = new IdIndex(ids, ids.length);
  // no id reported as a duplicate (one assertion for all: one per id took seconds at 50,000)
  expect(ids.flatMap((id, i) => (index.add(i) === undefined ? [] : [id]))).toEqual([]);
  return index;
}

describe('IdIndex', () => {
  it('should find every id of 50,000 and nothing else', () => {
    const ids = Array.from({ length: 50_000 }, (_, i) => `task-${(i * 7919) % 50_000}-${i}`);
    const index = indexOf(ids);
    expect(ids.filter((id, i) => index.get(id) !== i)).toEqual([]);
    expect(index.get('task-0')).toBeUndefined();
    expect(index.get('')).toBeUndefined();
  });

  it('should tell ids apart that differ only in case, accents, surrogates or length', () => {
    const ids = ['a', 'A', 'é', 'e\u0301', '😀', '😁', 'ab', 'abc', 'abc ', '__proto__', 'constructor', 'x'.repeat(256)];
    const index = indexOf(ids);
    ids.forEach((id, i) => expect(index.get(id)).toBe(i));
  });

  it('should report a duplicate with the index first recorded, and keep that one', () => {
    const ids = ['a', 'b', 'a'];
    const index = new IdIndex(ids, ids.length);
    expect(index.add(0)).toBeUndefined();
    expect(index.add(1)).toBeUndefined();
    expect(index.add(2)).toBe(0);
    expect(index.get('a')).toBe(0);
  });

  it('should stay correct when every id lands in the same few slots (linear probing)', () => {
    // 4,000 ids in a table of 8,192 slots: collisions are certain, every probe chain must end
    const ids = Array.from({ length: 4_000 }, (_, i) => String.fromCharCode(0x4e00 + (i % 2000)) + String(Math.floor(i / 2000)));
    const index = indexOf(ids);
    ids.forEach((id, i) => expect(index.get(id)).toBe(i));
  });
});
