import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..');

describe('the installed package', () => {
  const built = existsSync(join(root, 'dist', 'index.js'));

  it('should be built by npm ci (the prepare script builds dist/)', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>; main: string };
    expect(manifest.scripts.prepare).toBe('npm run build');
    expect(manifest.main).toBe('dist/index.js');
    expect(built).toBe(true);
  });

  it('should load by its name with plain Node require and export the public API', () => {
    // a separate Node process, so Node's own resolver answers as it would for a user
    const script = "const r = require('rxdag'); console.log(JSON.stringify([require.resolve('rxdag'), Object.keys(r)]))";
    const [resolved, exported] = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' })) as [
      string,
      string[],
    ];
    expect(resolved).toBe(join(root, 'dist', 'index.js'));
    expect(exported).toEqual(
      expect.arrayContaining([
        'defineDag',
        'runDag',
        'createScheduler',
        'DagValidationError',
        'AgentError',
        'reduce',
        'initialRunState',
        'events',
      ]),
    );
  });
});
