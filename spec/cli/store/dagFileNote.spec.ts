import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDagFile } from '../../../src/cli/dagFile/loadDagFile';
import { DAG_FILE_KEY, dagFileChange, dagFileNote } from '../../../src/cli/store/dagFileNote';

/** What a run notes of its DAG file, and the note a resume gives when the file changed since. */
describe("a run's DAG file, noted for its resume", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'rxdag-dag-file-note-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const metadataOf = (file: string, text: string) => ({ [DAG_FILE_KEY]: dagFileNote(file, text) });

  it('should say nothing while the file is as the run found it, a byte order mark at its start too', () => {
    const file = path.join(dir, 'd.yaml');
    writeFileSync(file, 'id: d\n');
    expect(dagFileChange('r', metadataOf(file, 'id: d\n'), dir)).toBeUndefined();
    // as a run notes it: from the file's text as loaded (an editor on Windows may start it with a BOM)
    const bom = path.join(dir, 'bom.yaml');
    writeFileSync(bom, '\uFEFFid: d\ntasks:\n  - { id: a, sleep: 1 }\n');
    const loaded = loadDagFile(bom, { noted: true });
    expect(dagFileChange('r', { [DAG_FILE_KEY]: loaded.note }, dir)).toBeUndefined();
  });

  it('should name a changed file as the command would: relative to the folder when it is inside it, else whole', () => {
    mkdirSync(path.join(dir, 'my dags'));
    const file = path.join(dir, 'my dags', 'd.yaml');
    const metadata = metadataOf(file, 'id: d\n');
    writeFileSync(file, 'id: d\n# edited\n');
    expect(dagFileChange('r', metadata, dir)).toBe(
      "note: 'my dags/d.yaml' has changed since run r started; it goes on with its DAG as journaled (rxdag run 'my dags/d.yaml' runs the file as it is now)",
    );
    expect(dagFileChange('r', metadata, path.join(dir, 'other'))).toContain(`note: '${file}' has changed`);
  });

  it('should say nothing of a file that is gone, nor for a run that noted none or a note of another shape', () => {
    const file = path.join(dir, 'gone.yaml');
    expect(dagFileChange('r', metadataOf(file, 'id: d\n'), dir)).toBeUndefined();
    expect(dagFileChange('r', undefined, dir)).toBeUndefined();
    expect(dagFileChange('r', { [DAG_FILE_KEY]: { path: file } }, dir)).toBeUndefined();
    expect(dagFileChange('r', { [DAG_FILE_KEY]: 'x' }, dir)).toBeUndefined();
  });

  it('should not open what is not a regular file: a FIFO named in a journal someone edited would block the resume', () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(dagFileChange('r', metadataOf(fifo, 'id: d\n'), dir)).toBeUndefined();
    expect(dagFileChange('r', metadataOf(dir, 'id: d\n'), dir)).toBeUndefined();
  });
});
