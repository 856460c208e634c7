import fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileJournal, type JournalHeader, JournalWriteError } from '../../src';

/**
 * A store on a file system without hard links (FAT, exFAT, some network or FUSE mounts), whose
 * `link` answers EPERM or ENOTSUP: the run is refused saying so, naming the folder (not the
 * aside file, already gone), and nothing is left in the folder.
 */
describe('a file journal on a file system without hard links', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-nolinks-'))));
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const header: JournalHeader = {
    runId: 'fat',
    dagId: 'd',
    spec: { id: 'd', tasks: [{ id: 'a', agent: 'x' }] },
    options: { failurePolicy: 'skip-dependents', contextInjection: true },
    createdAt: 1,
  };

  /** `link` as such a file system answers it, with Node's message. */
  function refuseLinks(code: string, words: string): void {
    jest.spyOn(fs, 'linkSync').mockImplementation((from, to) => {
      throw Object.assign(new Error(`${code}: ${words}, link '${String(from)}' -> '${String(to)}'`), {
        code,
        syscall: 'link',
        path: String(from),
      });
    });
  }

  it.each([
    ['EPERM', 'operation not permitted'],
    ['ENOTSUP', 'operation not supported on socket'],
  ])('should refuse a run when link answers %s, naming the folder and why, leaving nothing behind', (code, words) => {
    refuseLinks(code, words);
    let refused: unknown;
    try {
      fileJournal(dir).create(header);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(JournalWriteError);
    expect((refused as JournalWriteError).cause).toMatchObject({
      code,
      syscall: 'link',
      path: dir,
      message:
        `${code}: ${words}; the file journal needs hard links, which the file system of "${dir}" refuses ` +
        '(FAT, exFAT and some network or FUSE mounts have none): use a folder elsewhere, or a PostgreSQL store',
    });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('should pass on any other failure of link as it is', () => {
    refuseLinks('EIO', 'i/o error');
    expect(() => fileJournal(dir).create(header)).toThrow(
      expect.objectContaining({ cause: expect.objectContaining({ code: 'EIO', path: expect.stringContaining(dir) }) }),
    );
  });
});
