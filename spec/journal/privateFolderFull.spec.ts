import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makePrivateFolder } from '../../src/journal/privateFolder';

// the disk is full as the folder's .gitignore is written: the file is made, its text is not
jest.mock('node:fs', () => {
  const real = jest.requireActual<typeof import('node:fs')>('node:fs');
  return {
    ...real,
    writeFileSync: jest.fn((file: string, ...rest: unknown[]) => {
      if (String(file).endsWith('.gitignore') && process.env['RXDAG_SPEC_DISK_FULL'] === '1') {
        real.writeFileSync(file, '', { flag: 'wx' });
        throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC' });
      }
      return (real.writeFileSync as (...args: unknown[]) => void)(file, ...rest);
    }),
  };
});

/**
 * A private folder whose `.gitignore` cannot be written (a full disk): taken back, the error
 * thrown, so that the next run makes the folder and its `.gitignore` whole, not a folder that
 * would never get one (its journals offered to `git add`).
 */
describe('makePrivateFolder on a full disk', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'rxdag-private-full-'))));
  afterEach(() => {
    delete process.env['RXDAG_SPEC_DISK_FULL'];
    rmSync(root, { recursive: true, force: true });
  });

  it('should remove the folder it made and throw, then make both whole once there is room', () => {
    const store = path.join(root, '.rxdag');
    process.env['RXDAG_SPEC_DISK_FULL'] = '1';
    expect(() => makePrivateFolder(store, { gitIgnored: true })).toThrow(expect.objectContaining({ code: 'ENOSPC' }));
    expect(existsSync(store)).toBe(false);
    delete process.env['RXDAG_SPEC_DISK_FULL'];
    makePrivateFolder(store, { gitIgnored: true });
    expect(readdirSync(store)).toEqual(['.gitignore']);
  });
});
