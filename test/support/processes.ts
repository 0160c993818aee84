import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
/** The pinned Node 24, as `npm start` uses it. */
const node = path.join(root, 'node_modules/.bin/node');

/** A built Till entry point (`dist/…`) running as a child process, its output collected. */
export interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** The environment a child gets: only what is given, plus PATH and HOME. */
const childEnv = (env: Record<string, string>) => ({
  PATH: process.env.PATH!,
  HOME: process.env.HOME ?? '/tmp',
  ...env,
});

/** Starts `dist/main.js` (what `npm start` runs) with exactly `env`. */
export function startMain(env: Record<string, string>): Proc {
  const child = spawn(node, ['dist/main.js'], {
    cwd: root,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs the `till` command (`dist/cli/till.js`) to completion; rejects when it exits non-zero. */
export async function runTill(args: string[], env: Record<string, string>) {
  return run(node, ['dist/cli/till.js', ...args], { cwd: root, env: childEnv(env) });
}

/** Runs a shell command line exactly as a user would paste it. */
export async function runShell(line: string) {
  return run('bash', ['-c', line]);
}

/** Polls `check` every 100 ms; fails with the process's output after `ms`. */
export async function waitFor(check: () => boolean, ms: number, what: string, proc: Proc) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\nstdout:\n${proc.stdout()}\nstderr:\n${proc.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The curl of a start banner, exactly as printed. */
export function printedCurl(banner: string): string {
  return banner.slice(banner.indexOf('curl -s'), banner.indexOf('\n\nGraphQL:'));
}
