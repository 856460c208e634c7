import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileLines, OverlongLineError } from '../../src/journal/fileLines';

/**
 * A journal file's lines read a chunk at a time give the lines a whole read gives, whatever the
 * chunk size: lines across chunks, a torn last line left out and counted, a line longer than any
 * a writer writes refused (the lines after it still read), a file shorter than its size said.
 */
describe('FileLines', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-lines-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Everything `lines` hands out (an overlong line as its error's length), then its torn bytes. */
  function readAll(text: string, chunkBytes: number, maxLineBytes = 1000, size = Buffer.byteLength(text)) {
    const file = path.join(dir, 'lines.jsonl');
    fs.writeFileSync(file, text);
    const fd = fs.openSync(file, 'r');
    try {
      const lines = new FileLines(fd, size, chunkBytes, maxLineBytes);
      const read: (string | number)[] = [];
      for (;;) {
        try {
          const line = lines.next();
          if (line === undefined) break;
          read.push(line.toString('utf8'));
        } catch (error) {
          if (!(error instanceof OverlongLineError)) throw error;
          read.push(error.bytes);
        }
      }
      return { read, complete: lines.completeBytes, torn: lines.tornBytes };
    } finally {
      fs.closeSync(fd);
    }
  }

  it('should give the lines of a whole read at every chunk size, a torn last line counted, not given', () => {
    const text = 'first line\n\nä€😀 three\n{"type":"x"}\ntorn {"ty';
    const whole = text.split('\n');
    for (let chunk = 1; chunk <= text.length + 1; chunk++) {
      expect(readAll(text, chunk)).toEqual({
        read: whole.slice(0, -1),
        complete: Buffer.byteLength(text) - Buffer.byteLength('torn {"ty'),
        torn: Buffer.byteLength('torn {"ty'),
      });
    }
    expect(readAll('', 4)).toEqual({ read: [], complete: 0, torn: 0 });
    expect(readAll('a\nb\n', 3)).toEqual({ read: ['a', 'b'], complete: 4, torn: 0 });
  });

  it('should refuse a line longer than any a writer writes, then read on; a long torn tail is only counted', () => {
    for (const chunk of [3, 7, 64]) {
      expect(readAll(`ok\n${'x'.repeat(25)}\nafter\n${'z'.repeat(40)}`, chunk, 20)).toEqual({
        read: ['ok', 25, 'after'],
        complete: 3 + 26 + 6,
        torn: 40,
      });
    }
  });

  it('should stop at what the file holds when it is shorter than the size it was opened with', () => {
    expect(readAll('a\nb\nc', 2, 1000, 100)).toEqual({ read: ['a', 'b'], complete: 4, torn: 1 });
  });
});
