import { readDagText } from '../../../src/cli/dagFile/readDagText';
import { InvalidInputError, type Problem } from '../../../src/cli/problems';
import { tempDir } from '../support/files';
import fs, { truncateSync, writeFileSync } from 'node:fs';

/** Which texts a DAG file may hold: UTF-8 only, a file in another encoding refused at its first byte that is not UTF-8. */
describe('readDagText', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  function write(name: string, bytes: Buffer): string {
    const file = tmp.file(name);
    writeFileSync(file, bytes);
    return file;
  }

  function problemsOf(file: string): readonly Problem[] {
    try {
      readDagText(file);
    } catch (error) {
      if (error instanceof InvalidInputError) return error.problems;
      throw error;
    }
    throw new Error(`${file} was read without problems`);
  }

  it('should refuse a Latin-1 file at its first byte that is not UTF-8, with its line and column', () => {
    const file = write('latin1.yaml', Buffer.from('id: caf\xe9\ntasks:\n  - id: t\xe9st\n    run: echo "na\xefve"\n', 'latin1'));
    expect(problemsOf(file)).toEqual([
      { file, line: 1, column: 8, message: 'not UTF-8 text (byte 0xE9): a DAG file is UTF-8 (save it as UTF-8)' },
    ]);
  });

  it('should count the column in characters after UTF-8 ones, and refuse a character cut short by the end', () => {
    const file = write('cut.yaml', Buffer.concat([Buffer.from('id: x\ntasks:\n  - id: é€😀b'), Buffer.from([0xc3])]));
    expect(problemsOf(file)).toEqual([
      { file, line: 3, column: 14, message: 'not UTF-8 text (byte 0xC3): a DAG file is UTF-8 (save it as UTF-8)' },
    ]);
  });

  it('should refuse what the UTF-8 decoder refuses: an overlong form, a surrogate', () => {
    const rest = Buffer.from('\ntasks:\n  - id: a\n    run: echo one two three\n');
    const overlong = write('overlong.yaml', Buffer.concat([Buffer.from('id: '), Buffer.from([0xc0, 0xaf]), rest]));
    const surrogate = write('surrogate.yaml', Buffer.concat([Buffer.from('id: ab'), Buffer.from([0xed, 0xa0, 0x80]), rest]));
    expect(problemsOf(overlong)).toMatchObject([{ line: 1, column: 5, message: expect.stringContaining('(byte 0xC0)') }]);
    expect(problemsOf(surrogate)).toMatchObject([{ line: 1, column: 7, message: expect.stringContaining('(byte 0xED)') }]);
  });

  it('should read UTF-8 as it is, without its byte order mark', () => {
    const file = write('bom.yaml', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('id: café 🚀\n')]));
    expect(readDagText(file)).toBe('id: café 🚀\n');
  });

  it('should refuse a file whose first bytes hold a NUL without reading the rest of it (a sparse file of hundreds of MiB)', () => {
    const sparse = tmp.file('sparse.yaml');
    writeFileSync(sparse, '');
    truncateSync(sparse, 300 * 2 ** 20);
    const reads = jest.spyOn(fs, 'readFileSync');
    try {
      expect(problemsOf(sparse)).toEqual([{ message: `${sparse} is not a text DAG file (it looks binary)` }]);
      expect(reads.mock.calls.filter(([file]) => file === sparse)).toEqual([]);
    } finally {
      reads.mockRestore();
    }
  });

  it('should still call a file of bytes that are mostly not UTF-8 binary, and UTF-16 UTF-16', () => {
    const binary = write('binary.yaml', Buffer.from(Array.from({ length: 400 }, (_, i) => 0x80 + (i % 0x7f))));
    const utf16 = write('utf16.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id: x\n', 'utf16le')]));
    expect(problemsOf(binary)).toEqual([{ message: `${binary} is not a text DAG file (it looks binary)` }]);
    expect(problemsOf(utf16)).toEqual([{ message: `${utf16} is not a text DAG file in UTF-8 (it looks like UTF-16: save it as UTF-8)` }]);
  });
});
