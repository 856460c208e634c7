import fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as LockFile from '../../src/journal/lockFile';

/**
 * A lock that cannot be written (a full disk: the file is made, its write fails) is refused with
 * the store's folder named, and leaves no file behind: a job retrying against a full disk would
 * otherwise pile up empty lock files that nothing lists or prunes.
 */
describe('acquireLock on a full disk', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-lockfull-'))));
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('should refuse the lock naming the folder, and leave no file behind', () => {
    const write = fs.writeFileSync;
    jest.spyOn(fs, 'writeFileSync').mockImplementation((file, data, options) => {
      if (typeof file !== 'string' || !file.includes('.lock.')) return write(file, data, options);
      write(file, '', options); // made, as the disk had room for its entry
      throw Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), { code: 'ENOSPC', path: file });
    });
    // loaded after the spy: the module's `import * as fs` copies the functions it finds then
    let lockFile: typeof LockFile | undefined;
    jest.isolateModules(() => (lockFile = jest.requireActual<typeof LockFile>('../../src/journal/lockFile')));
    const { acquireLock } = lockFile!;
    const lockPath = path.join(dir, 'run-1.lock');
    expect(() => acquireLock(lockPath, 'run-1')).toThrow(`ENOSPC: no space left on device, write '${dir}'`);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
