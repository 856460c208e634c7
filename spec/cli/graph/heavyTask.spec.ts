import { rxdagInProcess } from '../support/inProcessCli';
import { tempDir, writeText } from '../support/files';

/** A graph runs nothing: a task heavier than the default `-c` (a run of the file gives it more) is drawn like any. */
describe('rxdag graph of a heavy task', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('should draw it, as rxdag run -c 16 runs it, where it refused it against a concurrency of 8', async () => {
    const file = writeText(tmp.file('heavy.yaml'), 'id: heavy\ntasks:\n  - id: a\n    run: "true"\n  - id: e2e\n    deps: [a]\n    weight: 12\n    run: "true"\n');
    const graph = await rxdagInProcess('graph', file);
    expect(graph).toMatchObject({ code: 0, stderr: '' });
    expect(graph.stdout).toContain('t0 --> t1');
    // what is wrong with it is still said
    const invalid = writeText(tmp.file('bad.yaml'), 'id: bad\ntasks:\n  - id: a\n    run: "true"\n    weight: 0\n');
    expect(await rxdagInProcess('graph', invalid)).toMatchObject({ code: 2 });
  });
});
