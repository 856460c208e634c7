import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileJournal } from '../../src/journal/fileJournal';
import { makePrivateFolder } from '../../src/journal/privateFolder';
import { sampleHeader } from './contract';

// which files and folders are synced: each fsync named by the path its descriptor was opened with
const synced: string[] = [];
jest.mock('node:fs', () => {
  const real = jest.requireActual<typeof import('node:fs')>('node:fs');
  const opened = new Map<number, string>();
  return {
    ...real,
    openSync: jest.fn((file: string, ...rest: unknown[]) => {
      const fd = (real.openSync as (...args: unknown[]) => number)(file, ...rest);
      opened.set(fd, String(file));
      return fd;
    }),
    fsyncSync: jest.fn((fd: number) => {
      synced.push(opened.get(fd) ?? `fd ${fd}`);
      real.fsyncSync(fd);
    }),
  };
});

/**
 * A store folder a journal makes has its name synced, and so has each folder made on the way to
 * it: a power loss does not take away a store whose journal was synced in it. With `sync: 'none'`
 * nothing is synced, as for its journals.
 */
describe('the folders a file journal makes', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'rxdag-synced-folders-'));
    synced.length = 0;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('should sync the folder holding each folder it made, then the store with the new journal', async () => {
    const store = path.join(root, 'runs', 'store');
    const writer = await fileJournal(store).create(sampleHeader('synced'));
    await writer.close();
    // (the journal's own file is synced by fdatasync)
    expect(synced).toEqual([root, path.join(root, 'runs'), store]);
  });

  it("should sync nothing with sync: 'none', nor for a folder made without durable", async () => {
    const writer = await fileJournal(path.join(root, 'fast'), { sync: 'none' }).create(sampleHeader('fast'));
    await writer.close();
    makePrivateFolder(path.join(root, 'logs', 'run'));
    expect(synced).toEqual([]);
  });
});
