import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { CLI, ensureBuilt, runCli } from './support/builtCli';
import { tempDir, writeText } from './support/files';

/** `rxdag validate` and `rxdag graph` on the built CLI. */
describe('rxdag validate and rxdag graph', () => {
  const tmp = tempDir();
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => tmp.remove());

  it('should validate every example file with a one-line summary and exit 0', async () => {
    const results = await Promise.all(
      ['release.yaml', 'data-pipeline.yaml', 'simulation-300.yaml'].map((name) => runCli(['validate', `examples/${name}`])),
    );
    expect(results.map((r) => [r.code, r.stdout, r.stderr])).toEqual([
      [0, 'examples/release.yaml: DAG "release" is valid: 10 tasks (10 shell), 12 dependencies, longest chain 7 tasks\n', ''],
      [
        0,
        'examples/data-pipeline.yaml: DAG "data-pipeline" is valid: 8 tasks (6 shell, 2 sleep), 8 dependencies, longest chain 5 tasks\n',
        '',
      ],
      [
        0,
        'examples/simulation-300.yaml: DAG "simulation-300" is valid: 300 tasks (300 sleep), 557 dependencies, longest chain 10 tasks\n',
        '',
      ],
    ]);
  });

  it('should read /dev/stdin redirected from a file (< dag.yaml) as that file, and refuse it from a pipe', () => {
    const file = writeText(tmp.file('from-stdin.yaml'), 'id: piped\ntasks:\n  - { id: a, sleep: 1 }\n');
    const fd = openSync(file, 'r');
    try {
      const redirected = spawnSync(process.execPath, [CLI, 'validate', '/dev/stdin'], {
        stdio: [fd, 'pipe', 'pipe'],
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect([redirected.status, redirected.stdout, redirected.stderr]).toEqual([
        0,
        '/dev/stdin: DAG "piped" is valid: 1 task (1 sleep), 0 dependencies, longest chain 1 task\n',
        '',
      ]);
    } finally {
      closeSync(fd);
    }
    const piped = spawnSync(process.execPath, [CLI, 'validate', '/dev/stdin'], { input: 'id: piped\n', encoding: 'utf8', timeout: 60_000 });
    expect([piped.status, piped.stderr]).toEqual([
      2,
      'rxdag: /dev/stdin: a DAG is read from a file, not from stdin: write it to a .yaml or .json file first\n',
    ]);
  });

  it('should print every problem on its own line and exit 2 for an invalid file', async () => {
    const file = writeText(tmp.file('bad.yaml'), 'id: bad\ntasks:\n  - id: a\n    deps: [a]\n    sleep: 1\n  - id: b\n    run: ""\n');
    const result = await runCli(['validate', file]);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    // in the order of the file
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `rxdag: ${file}:4:12: tasks[0].deps[0]: task "a" depends on itself`,
      `rxdag: ${file}:7:10: tasks[1].run: must not be empty (got "")`,
    ]);
  });

  it('should print the graph as Mermaid by default and as DOT with --format dot', async () => {
    const file = writeText(
      tmp.file('small.json'),
      JSON.stringify({
        id: 'small "one"',
        tasks: [
          { id: 'build', run: 'true' },
          { id: 'te"st', deps: ['build'], sleep: 1 },
          { id: 'ship', deps: ['build', 'te"st'], run: 'true' },
        ],
      }),
    );
    const [mermaid, dot] = await Promise.all([runCli(['graph', file]), runCli(['graph', file, '--format', 'dot'])]);
    expect(mermaid).toMatchObject({ code: 0, stderr: '' });
    expect(mermaid.stdout).toBe('flowchart LR\n  t0["build"]\n  t1["te#quot;st"]\n  t2["ship"]\n  t0 --> t1\n  t0 --> t2\n  t1 --> t2\n');
    expect(dot).toMatchObject({ code: 0, stderr: '' });
    expect(dot.stdout).toBe(
      'digraph "small \\"one\\"" {\n  rankdir=LR;\n  node [shape=box];\n  "build";\n  "te\\"st";\n  "ship";\n  "build" -> "te\\"st";\n  "build" -> "ship";\n  "te\\"st" -> "ship";\n}\n',
    );
  });

  it('should refuse to graph an invalid file or an unknown format with exit 2', async () => {
    const file = writeText(
      tmp.file('cycle.yaml'),
      'id: c\ntasks:\n  - { id: a, deps: [b], sleep: 1 }\n  - { id: b, deps: [a], sleep: 1 }\n',
    );
    const [invalid, format] = await Promise.all([runCli(['graph', file]), runCli(['graph', 'examples/release.yaml', '--format', 'svg'])]);
    expect(invalid).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/cycle: (a -> b -> a|b -> a -> b)/) });
    expect(format).toMatchObject({
      code: 2,
      stdout: '',
      stderr: expect.stringMatching(/argument 'svg' is invalid\. Allowed choices are mermaid, dot\./),
    });
  });

  it('should print help and the version with exit 0', async () => {
    const [help, version] = await Promise.all([runCli(['--help']), runCli(['--version'])]);
    expect(help).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: rxdag [options] [command]') });
    expect(help.stdout).toMatch(
      /run \[options\] <file>[\s\S]*validate \[options\] <file>[\s\S]*graph \[options\] <file>[\s\S]*report \[options\] <events>/,
    );
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
  });
});
