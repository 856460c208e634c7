import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis';
import { servicesRequired } from './services';

/**
 * A Redis that speaks only TLS, for the specs of `rediss://`: a throwaway CA and a server
 * certificate for 127.0.0.1 and localhost, made with `openssl` in a temporary folder, and a
 * `redis-server` with a random password on a free loopback TLS port (no plain port, nothing on
 * disk), started before the suite and stopped, its folder removed, after it. Without
 * `redis-server` or `openssl`, the suite does not run and says so loudly, as `describeRedis`
 * does: one passing test naming what is missing, and a console warning.
 * It does not test anything itself, and clients need not present a certificate.
 */

/** The running server, readable once the suite's `beforeAll` ran. */
export interface TlsRedis {
  readonly port: number;
  /** The server's password (with characters a URL must encode). */
  readonly password: string;
  /** PEM file of the CA that signed the server's certificate (no client trusts it by default). */
  readonly caFile: string;
  /** `rediss://:PASSWORD@127.0.0.1:PORT` (password URL-encoded); `redis` for the same port in clear. */
  url(scheme?: 'rediss' | 'redis'): string;
  /** The secrets of {@link password} (raw and URL-encoded) that `text` shows. */
  leaks(text: string): string[];
}

const STEP_TIMEOUT_MS = 10_000;

/** What is missing to run these suites, or undefined. */
function missingTool(): string | undefined {
  for (const [tool, args] of [
    ['redis-server', ['--version']],
    ['openssl', ['version']],
  ] as const) {
    const probe = spawnSync(tool, args, { encoding: 'utf8', timeout: STEP_TIMEOUT_MS });
    if (probe.error !== undefined || probe.status !== 0) return `${tool} not runnable (${probe.error?.message ?? `exit ${probe.status}`})`;
  }
  return undefined;
}

/** A `describe` whose tests get a TLS-only Redis; without the tools, one test saying they did not run (failing where `servicesRequired()`). */
export function describeTlsRedis(name: string, body: (server: TlsRedis) => void): void {
  const missing = missingTool();
  if (missing !== undefined) {
    const message = `${missing}: these TLS tests did not run`;
    console.warn(`\n!!! ${name}: ${message}\n!!! install redis-server (built with TLS) and openssl\n`);
    describe(name, () => {
      it(message, () => {
        // where the services must be there (CI, which installs both tools), a suite not run fails
        expect(servicesRequired()).toBe(false);
      });
    });
    return;
  }
  let started: StartedServer | undefined;
  const running = (): StartedServer => {
    if (started === undefined) throw new Error('the TLS Redis is not started (read it inside a test or hook)');
    return started;
  };
  const password = `t1s p@ss/${randomBytes(6).toString('hex')}`;
  const server: TlsRedis = {
    get port() {
      return running().port;
    },
    password,
    get caFile() {
      return running().caFile;
    },
    url: (scheme = 'rediss') => `${scheme}://:${encodeURIComponent(password)}@127.0.0.1:${running().port}`,
    leaks: (text) => [password, encodeURIComponent(password)].filter((secret) => text.includes(secret)),
  };
  describe(name, () => {
    beforeAll(async () => {
      started = await startTlsRedis(password);
    }, 3 * STEP_TIMEOUT_MS);
    afterAll(() => started?.stop());
    body(server);
  });
}

interface StartedServer {
  readonly port: number;
  readonly caFile: string;
  /** Kills the server, waits for it to exit, and removes the certificates. */
  stop(): Promise<void>;
}

/** Makes the certificates, then starts the server and resolves once it accepts connections. */
async function startTlsRedis(password: string): Promise<StartedServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rxdag-tls-redis-'));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const stop = async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const files = await makeCertificates(dir);
    const port = await freePort();
    // no plain port: only TLS clients get an answer
    const args = [
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--tls-cert-file',
      files.cert,
      '--tls-key-file',
      files.key,
    ];
    args.push('--tls-ca-cert-file', files.ca, '--tls-auth-clients', 'no', '--requirepass', password);
    args.push('--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir);
    child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const spawned = child;
    exited = new Promise<void>((resolve) => spawned.once('close', () => resolve()));
    let output = '';
    spawned.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    spawned.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while (!/Ready to accept connections/i.test(output)) {
      if (spawned.exitCode !== null || Date.now() > deadline)
        throw new Error(`redis-server with TLS on port ${port} did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return { port, caFile: files.ca, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A CA, and a server certificate it signed for 127.0.0.1 and localhost (EC keys: fast), valid a day. */
async function makeCertificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const file = (name: string) => path.join(dir, name);
  const openssl = (args: readonly string[]) => promisify(execFile)('openssl', args, { cwd: dir, timeout: STEP_TIMEOUT_MS });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ecKey, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '1', '-subj', '/CN=rxdag test CA']);
  await openssl(['req', ...ecKey, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
  const signedBy = ['-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial'];
  await openssl([
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    ...signedBy,
    '-out',
    file('server.pem'),
    '-days',
    '1',
    '-extfile',
    file('server.ext'),
  ]);
  return { ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key') };
}
