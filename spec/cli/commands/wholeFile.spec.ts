import fs from 'node:fs';
import * as path from 'node:path';
import type * as WholeFile from '../../../src/cli/commands/wholeFile';
import { tempDir } from '../support/files';

/**
 * A report is written whole or not at all: a regular file is written beside and renamed over the
 * earlier one (whose mode it keeps), so a write a full disk cuts short leaves that one whole and
 * no file of its own behind; a symbolic link is written through, in place.
 */
describe('writeWholeFile', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());
  afterEach(() => jest.restoreAllMocks());

  /** The module, loaded after any spy on `fs` (its `import` copies the functions it finds then). */
  function loaded(): typeof WholeFile {
    let module: typeof WholeFile | undefined;
    jest.isolateModules(() => (module = jest.requireActual<typeof WholeFile>('../../../src/cli/commands/wholeFile')));
    return module!;
  }

  it('should replace a regular file whole, keeping its mode, and leave nothing beside it', () => {
    const dir = tmp.file('plain');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'out.html');
    fs.writeFileSync(file, 'earlier');
    fs.chmodSync(file, 0o640);
    loaded().writeWholeFile(file, 'new report');
    expect(fs.readFileSync(file, 'utf8')).toBe('new report');
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    expect(fs.readdirSync(dir)).toEqual(['out.html']);
  });

  it('should leave the earlier file whole, and no file beside it, when the disk fills during the write', () => {
    const dir = tmp.file('full');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'out.html');
    fs.writeFileSync(file, 'earlier');
    const write = fs.writeFileSync;
    jest.spyOn(fs, 'writeFileSync').mockImplementation((target, data, options) => {
      if (typeof target !== 'number') return write(target, data, options);
      write(target, String(data).slice(0, 4), options); // what the disk had room for
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    const { writeWholeFile, leftAsItWas } = loaded();
    let thrown: unknown;
    try {
      writeWholeFile(file, 'new report');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'ENOSPC' });
    expect(leftAsItWas(thrown)).toBe(true);
    expect(fs.readFileSync(file, 'utf8')).toBe('earlier');
    expect(fs.readdirSync(dir)).toEqual(['out.html']);
  });

  it('should write through a symbolic link, keeping the link', () => {
    const dir = tmp.file('linked');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'real.html'), 'earlier');
    fs.symlinkSync('real.html', path.join(dir, 'out.html'));
    loaded().writeWholeFile(path.join(dir, 'out.html'), 'new report');
    expect(fs.lstatSync(path.join(dir, 'out.html')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'real.html'), 'utf8')).toBe('new report');
  });

  it('should write in place a file with another name (a hard link), which a rename would part from it', () => {
    const dir = tmp.file('hard');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'a.html'), 'earlier');
    fs.linkSync(path.join(dir, 'a.html'), path.join(dir, 'b.html'));
    loaded().writeWholeFile(path.join(dir, 'a.html'), 'new report');
    expect(fs.readFileSync(path.join(dir, 'b.html'), 'utf8')).toBe('new report');
    expect(fs.readdirSync(dir).sort()).toEqual(['a.html', 'b.html']);
  });

  it('should write in place a file whose name is too long to add to, as any file was', () => {
    const dir = tmp.file('long');
    fs.mkdirSync(dir);
    const file = path.join(dir, `${'r'.repeat(245)}.html`);
    loaded().writeWholeFile(file, 'new report');
    expect(fs.readFileSync(file, 'utf8')).toBe('new report');
    expect(fs.readdirSync(dir)).toHaveLength(1);
  });

  it('should write in place when the rename over the file is refused (a file mounted on its own: EBUSY)', () => {
    const dir = tmp.file('mounted');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'out.html');
    fs.writeFileSync(file, 'earlier');
    jest.spyOn(fs, 'renameSync').mockImplementation(() => {
      throw Object.assign(new Error('EBUSY: resource busy or locked, rename'), { code: 'EBUSY' });
    });
    loaded().writeWholeFile(file, 'new report');
    expect(fs.readFileSync(file, 'utf8')).toBe('new report');
    expect(fs.readdirSync(dir)).toEqual(['out.html']);
  });
});
