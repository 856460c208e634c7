import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/** Debian's chromium; CI may not have it, so render checks run only where it exists. */
export const CHROMIUM = '/usr/bin/chromium';

export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

/**
 * Opens a local HTML file in headless Chromium, offline, and returns the DOM after its scripts
 * ran (`--dump-dom`). A throw-away profile keeps runs independent.
 */
export async function renderedDom(file: string): Promise<string> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'rxdag-chromium-'));
  try {
    const { stdout } = await promisify(execFile)(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        '--dump-dom',
        `file://${path.resolve(file)}`,
      ],
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
