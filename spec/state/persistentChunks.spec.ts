import { PersistentChunks } from '../../src/state/persistentChunks';

function chunks(count: number, size = 4): number[][] {
  return Array.from({ length: count }, (_, c) => Array.from({ length: size }, (_, k) => c * size + k));
}
function contents(version: PersistentChunks<number[]>): number[][] {
  return Array.from({ length: version.length }, (_, c) => [...version.chunk(c)]);
}

describe('PersistentChunks', () => {
  it.each([1, 31, 32, 33, 1024, 1025, 40_000])('should read back %i chunks after building', (count) => {
    const version = PersistentChunks.from(chunks(count));
    expect(version.chunk(count - 1)).toEqual(chunks(count)[count - 1]);
    expect(version.chunk(0)).toEqual([0, 1, 2, 3]);
  });

  it('should leave every older version unchanged by later edits', () => {
    const v0 = PersistentChunks.from(chunks(2000));
    const before = contents(v0);
    const e1 = v0.edit();
    e1.write(5)[0] = -1;
    e1.write(1999)[3] = -2;
    const v1 = e1.finish();
    const e2 = v1.edit();
    e2.write(5)[1] = -3;
    const v2 = e2.finish();
    expect(contents(v0)).toEqual(before);
    expect(v1.chunk(5)).toEqual([-1, 21, 22, 23]);
    expect(v2.chunk(5)).toEqual([-1, -3, 22, 23]);
    expect(v2.chunk(1999)).toEqual([7996, 7997, 7998, -2]);
  });

  it('should copy a chunk once per edit batch and share untouched chunks', () => {
    const v0 = PersistentChunks.from(chunks(100));
    const editor = v0.edit();
    const first = editor.write(7);
    first[0] = 100;
    expect(editor.write(7)).toBe(first);
    editor.write(8)[0] = 1;
    expect(editor.write(7)).toBe(first);
    const v1 = editor.finish();
    expect(v1.chunk(7)).toBe(first);
    expect(v1.chunk(9)).toBe(v0.chunk(9));
    expect(v0.chunk(7)[0]).toBe(28);
  });

  it('should return the same version when a batch wrote nothing, and refuse writes after finish', () => {
    const v0 = PersistentChunks.from(chunks(3));
    const editor = v0.edit();
    expect(editor.read(1)).toBe(v0.chunk(1));
    expect(editor.finish()).toBe(v0);
    expect(() => editor.write(1)).toThrow('ChunkEditor used after finish()');
  });
});
