import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureBuilt } from './cli/support/builtCli';
import { tempDir } from './cli/support/files';

const root = path.join(__dirname, '..');

interface Manifest {
  readonly main: string;
  readonly types: string;
  readonly bin: Record<string, string>;
  readonly files: readonly string[];
  readonly engines: Record<string, string>;
  readonly repository: { readonly type: string; readonly url: string };
  readonly scripts: Record<string, string | undefined>;
  readonly dependencies: Record<string, string>;
  readonly peerDependencies: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { readonly optional?: boolean }>;
}

/**
 * The package as npm publishes it: `npm pack` (scripts off: dist/ is built by ensureBuilt, and
 * the shared dist/ must not be wiped by a spec), unpacked into fresh user projects — CommonJS,
 * ES module, TypeScript NodeNext and bundler — with its dependencies linked from this repository
 * (no network), then used as the README says.
 */
describe('the published package', () => {
  const tmp = tempDir();
  let files: string[] = [];
  let manifest: Manifest;
  /** The unpacked package, as it lands in a user's node_modules/rxdag. */
  let installed = '';
  let tarball = '';

  beforeAll(async () => {
    await ensureBuilt();
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp.dir], { cwd: root, encoding: 'utf8' }),
    ) as [{ filename: string; files: { path: string }[] }];
    files = packed.files.map((file) => file.path).sort();
    tarball = path.join(tmp.dir, packed.filename);
    mkdirSync(tmp.file('unpacked'));
    execFileSync('tar', ['-xzf', tarball, '-C', tmp.file('unpacked')]);
    installed = tmp.file('unpacked/package');
    manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as Manifest;
  }, 180_000);
  afterAll(() => tmp.remove());

  /** A user project with rxdag installed (the packed files) and its dependencies linked. */
  function project(name: string, packageJson: object, tsconfig?: object): string {
    const dir = tmp.file(name);
    mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, ...packageJson }));
    if (tsconfig !== undefined) writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    // unpacked in place, not linked: Node resolves the package's own imports from where it lies
    execFileSync('tar', ['-xzf', tarball, '-C', path.join(dir, 'node_modules')]);
    renameSync(path.join(dir, 'node_modules', 'package'), path.join(dir, 'node_modules', 'rxdag'));
    const required = Object.keys(manifest.peerDependencies).filter((peer) => manifest.peerDependenciesMeta?.[peer]?.optional !== true);
    for (const dependency of [...Object.keys(manifest.dependencies), ...required, '@types/node']) {
      symlinkSync(path.join(root, 'node_modules', dependency), path.join(dir, 'node_modules', dependency), 'dir');
    }
    // the traced example's optional peer dependency, installed as a user who runs it would
    symlinkSync(path.join(root, 'node_modules', '@opentelemetry'), path.join(dir, 'node_modules', '@opentelemetry'), 'dir');
    return dir;
  }

  // stderr captured (a failure's error carries it), not printed among the test results
  const node = (cwd: string, ...args: string[]) =>
    execFileSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 110_000, stdio: ['ignore', 'pipe', 'pipe'] });

  it('should ship dist/, the src/ its source maps point at, examples/ and docs/, and none of the repository’s own files', () => {
    expect(manifest.files).toEqual(expect.arrayContaining(['dist', 'src', 'examples', 'docs', 'README.md']));
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/cli/main.js',
        'src/index.ts',
        'docs/cli.md',
        'examples/release.yaml',
        'examples/data-pipeline.yaml',
        'examples/simulation-300.yaml',
        'examples/etl.ts',
        'examples/multi-agent.ts',
        'examples/run.ts',
      ]),
    );
    expect(files.filter((file) => /^(spec|benchmarks|scripts|node_modules|scratch)\//.test(file))).toEqual([]);
    expect(files.filter((file) => file.startsWith('examples/'))).toEqual(
      readdirSync(path.join(root, 'examples'))
        .filter((name) => /\.(ya?ml|json|ts)$/.test(name))
        .map((name) => `examples/${name}`)
        .sort(),
    );
  });

  it('should point every source map at a source file that ships', () => {
    const maps = files.filter((file) => file.startsWith('dist/') && file.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(10);
    const shipped = new Set(files);
    const broken: string[] = [];
    for (const map of maps) {
      // a leftover of a module since removed from src/: the clean build of prepack drops it
      if (!existsSync(path.join(root, 'src', map.slice('dist/'.length).replace(/\.js\.map$/, '.ts')))) continue;
      const { sources } = JSON.parse(readFileSync(path.join(installed, map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const file = path.posix.join(path.posix.dirname(map), source);
        if (!shipped.has(file)) broken.push(`${map} → ${file}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('should build when packed and in a clone’s npm ci, never when a user installs it (no prepare script)', () => {
    expect(manifest.scripts.prepare).toBeUndefined();
    // prepack (npm pack, npm publish, git installs) builds from a clean dist/
    expect(manifest.scripts.prepack).toMatch(/rmSync\('dist'.*&& npm run build$/);
    // `dependencies` runs after npm ci / npm install changed node_modules, in the project itself
    // only, so `npm ci && npx rxdag run examples/release.yaml` works in a fresh clone
    expect(manifest.scripts.dependencies).toBe('npm run build');
    expect(manifest.scripts['bench:ab']).toBeDefined();
    expect(manifest).toMatchObject({
      main: 'dist/index.js',
      types: 'dist/index.d.ts',
      bin: { rxdag: 'dist/cli/main.js' },
      engines: { node: '>=20' },
      repository: { type: 'git', url: 'git+https://github.com/rxdag/rxdag.git' },
      peerDependencies: { rxjs: expect.any(String) },
    });
  });

  it('should ship every file the README sends a package user to', () => {
    const readme = readFileSync(path.join(installed, 'README.md'), 'utf8');
    const linked = [...readme.matchAll(/\]\(((?:docs|examples)\/[^)#\s]+)/g)].map((m) => m[1]!);
    const inPackage = [...readme.matchAll(/node_modules\/rxdag\/([\w./-]+\.(?:ya?ml|ts))/g)].map((m) => m[1]!);
    expect(linked).toEqual(expect.arrayContaining(['docs/cli.md', 'examples/etl.ts']));
    expect(inPackage).toEqual(expect.arrayContaining(['examples/release.yaml', 'examples/run.ts']));
    expect([...new Set([...linked, ...inPackage])].filter((file) => !files.includes(file))).toEqual([]);
    // the repository's own files (benchmarks, the reliability catalogue) are linked on the repository, not in the package
    const relative = [...readme.matchAll(/\]\((?!https?:|#|mailto:)([^)#\s]+)/g)].map((m) => m[1]!);
    expect(relative.filter((file) => !files.includes(file))).toEqual([]);
    expect(readme).toContain('npm i rxdag rxjs');
  });

  it('should load with require in a CommonJS project and export the public API', () => {
    const dir = project('user-cjs', { type: 'commonjs' });
    const script = "const r = require('rxdag'); console.log(JSON.stringify([require.resolve('rxdag'), Object.keys(r)]))";
    const [resolved, exported] = JSON.parse(node(dir, '-e', script)) as [string, string[]];
    expect(resolved).toBe(path.join(dir, 'node_modules', 'rxdag', 'dist', 'index.js'));
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

  it('should load with import in an ES module project and run a DAG', () => {
    const dir = project('user-esm', { type: 'module' });
    const script = [
      "import { defineDag, runDag } from 'rxdag';",
      "import { lastValueFrom } from 'rxjs';",
      "const dag = defineDag({ id: 'esm', tasks: [{ id: 'a', agent: 'work' }, { id: 'b', deps: ['a'], agent: 'work' }] });",
      'const last = await lastValueFrom(runDag(dag, { agents: { work: async ({ id }) => id }, healthCheckIntervalMs: 0 }));',
      'console.log(last.type, last.outcome);',
    ].join('\n');
    expect(node(dir, '--input-type=module', '-e', script)).toBe('dag.completed succeeded\n');
  });

  it('should say in one line which optional peer dependency an entry needs, from require and from import', () => {
    // a project with rxdag's required dependencies only: no pg, bullmq, ioredis or prom-client
    const dir = project('user-no-peers', { type: 'commonjs' });
    const loads = (entry: string) =>
      `try { require('${entry}'); console.log('loaded') } catch (e) { console.log(e.code + ' | ' + e.message) }`;
    const missing = (entry: string, peer: string) =>
      `MODULE_NOT_FOUND | ${entry} needs the package "${peer}" (an optional peer dependency of rxdag), which is not installed: ` +
      `npm install ${peer} (Cannot find module '${peer}')\n`;
    expect(node(dir, '-e', loads('rxdag/postgres'))).toBe(missing('rxdag/postgres', 'pg'));
    // both of its packages at once: npm installs neither with the other
    expect(node(dir, '-e', loads('rxdag/bullmq'))).toBe(
      'MODULE_NOT_FOUND | rxdag/bullmq needs the packages "bullmq" and "ioredis" (optional peer dependencies of rxdag), which are not installed: ' +
        "npm install bullmq ioredis (Cannot find module 'bullmq')\n",
    );
    expect(node(dir, '-e', loads('rxdag/prometheus'))).toBe(missing('rxdag/prometheus', 'prom-client'));
    // this project has @opentelemetry/api (see `project`)
    expect(node(dir, '-e', loads('rxdag/otel'))).toBe('loaded\n');
    const imported = node(dir, '--input-type=module', '-e', "import('rxdag/postgres').catch((e) => console.log(e.message))");
    expect(imported).toBe(missing('rxdag/postgres', 'pg').replace('MODULE_NOT_FOUND | ', ''));
  });

  it('should tell a global install to install a missing peer dependency globally, where it finds it', () => {
    // npm's global layout: <prefix>/lib/node_modules/rxdag, used from a project of its own
    /** The package unpacked as `modules`/rxdag, its dependencies beside it, as npm lays them out. */
    const unpackedIn = (modules: string): string => {
      mkdirSync(modules, { recursive: true });
      execFileSync('tar', ['-xzf', tarball, '-C', modules]);
      renameSync(path.join(modules, 'package'), path.join(modules, 'rxdag'));
      for (const dependency of Object.keys(manifest.dependencies)) {
        symlinkSync(path.join(root, 'node_modules', dependency), path.join(modules, dependency), 'dir');
      }
      return modules;
    };
    const modules = unpackedIn(tmp.file('global-prefix/lib/node_modules'));
    // and its command in <prefix>/bin
    mkdirSync(tmp.file('global-prefix/bin'));
    symlinkSync(path.join(modules, 'rxdag', manifest.bin.rxdag), tmp.file('global-prefix/bin/rxdag'));
    const elsewhere = project('user-beside-global', { type: 'commonjs' });
    const loads = (modules: string) =>
      node(
        elsewhere,
        '-e',
        `try { require(${JSON.stringify(path.join(modules, 'rxdag', 'dist', 'postgres', 'index.js'))}) } catch (e) { console.log(e.message) }`,
      );
    // its prefix named: one of `npm i -g --prefix DIR` finds nothing installed in npm's default prefix
    expect(loads(modules)).toContain(
      `which is not installed: npm install -g --prefix ${tmp.file('global-prefix')} pg (rxdag is installed globally there)`,
    );
    // a project of its own in a folder named lib is no global install
    expect(loads(unpackedIn(tmp.file('work/lib/node_modules')))).toContain(
      "which is not installed: npm install pg (Cannot find module 'pg')",
    );
  });

  it('should run the shipped example DAG with the shipped CLI, as the README says (npx rxdag run node_modules/rxdag/examples/release.yaml)', () => {
    const dir = project('user-cli', {});
    const out = node(dir, `node_modules/rxdag/${manifest.bin.rxdag}`, 'run', 'node_modules/rxdag/examples/release.yaml', '--quiet');
    expect(out).toMatch(/dag\.completed succeeded: 10\/10 completed/);
  }, 60_000);

  it('should run the shipped TypeScript examples from node_modules (npx tsx node_modules/rxdag/examples/run.ts etl)', () => {
    const dir = project('user-tsx', {});
    const out = node(dir, path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'node_modules/rxdag/examples/run.ts', 'etl');
    expect(out).toContain('outcome: succeeded');
  }, 60_000);

  it('should say in one line that the tracing example needs the OpenTelemetry packages, when they are not installed', () => {
    const dir = project('user-tsx-no-otel', {});
    rmSync(path.join(dir, 'node_modules', '@opentelemetry'));
    const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const ran = spawnSync(process.execPath, [tsx, 'node_modules/rxdag/examples/run.ts', 'trace-run'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect({ status: ran.status, stderr: ran.stderr }).toEqual({
      status: 1,
      stderr: 'trace-run needs the OpenTelemetry packages: npm install @opentelemetry/api @opentelemetry/sdk-trace-base\n',
    });
  }, 60_000);

  // The library's own .d.ts (and zod's and rxjs's) are checked in one project only: that takes
  // seconds. They need TypeScript 5.4 (zod's use `NoInfer`), as the README says. TypeScript's own
  // lib files are not the package's: a clash of the package's globals with them is reported in
  // the package's .d.ts too.
  const setups = [
    ['NodeNext, ES module', 'module', { module: 'NodeNext', moduleResolution: 'NodeNext', skipLibCheck: false, skipDefaultLibCheck: true }],
    ['NodeNext, CommonJS', 'commonjs', { module: 'NodeNext', moduleResolution: 'NodeNext', skipLibCheck: true }],
    ['bundler', 'module', { module: 'ESNext', moduleResolution: 'bundler', skipLibCheck: true }],
    // what `tsc --init` of TypeScript 5 writes: CommonJS, whose resolution (node10) reads no `exports` map
    [
      'CommonJS as tsc --init of TypeScript 5 sets it up',
      'commonjs',
      {
        module: 'commonjs',
        moduleResolution: 'node10',
        target: 'es2016',
        esModuleInterop: true,
        skipLibCheck: true,
        ignoreDeprecations: '6.0',
      },
    ],
  ] as const;

  describe('in TypeScript projects', () => {
    /** Each setup's project folder → what `tsc -p` reports there ('' when it type-checks). */
    let reported: Record<string, string> = {};
    const projectOf = (name: string) => tmp.file(`user-ts-${name.replace(/\W+/g, '-')}`);

    // One process checks every project as `tsc -p` would: it loads and warms up the compiler once
    // and parses the declaration files they share once (see spec/fixtures/typecheckProjects.js).
    beforeAll(async () => {
      for (const [name, type, moduleOptions] of setups) {
        const dir = project(
          path.basename(projectOf(name)),
          { type },
          {
            compilerOptions: { target: 'ES2022', ...moduleOptions, strict: true, noEmit: true, types: ['node'] },
            include: ['src'],
          },
        );
        mkdirSync(path.join(dir, 'src'));
        for (const file of files.filter((f) => /^examples\/.*\.ts$/.test(f))) {
          copyFileSync(path.join(installed, file), path.join(dir, 'src', path.basename(file)));
        }
      }
      const checker = path.join(__dirname, 'fixtures', 'typecheckProjects.js');
      const typescript = path.join(root, 'node_modules', 'typescript');
      const { stdout } = await promisify(execFile)(process.execPath, [checker, typescript, ...setups.map(([name]) => projectOf(name))], {
        encoding: 'utf8',
        timeout: 170_000,
        maxBuffer: 16 * 1024 * 1024,
      });
      reported = JSON.parse(stdout) as Record<string, string>;
    }, 180_000);

    it.each(setups)('should type-check the shipped examples in a TypeScript %s project', (name) => {
      expect({ errors: reported[projectOf(name)] }).toEqual({ errors: '' });
    });
  });
});
