/**
 * `npm run bench:readme`: puts the figures of bench/results/latest.json into the README's Benchmark
 * section, between the `<!-- bench:figures -->` and `<!-- /bench:figures -->` markers, with the run's
 * date, machine and settings above the table, formatted as prettier wants the README.
 *
 * Runs under plain Node 24 (type stripping): erasable TypeScript only.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const START = '<!-- bench:figures -->';
const END = '<!-- /bench:figures -->';

interface Latest {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  postgres: string;
  pubsub: string;
  quick: boolean;
  settings: Record<string, unknown>;
  markdown: string;
  totalSeconds: number;
}

const latest = JSON.parse(readFileSync(path.join(ROOT, 'bench', 'results', 'latest.json'), 'utf8')) as Latest;
const readmePath = path.join(ROOT, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const from = readme.indexOf(START);
const to = readme.indexOf(END);
if (from < 0 || to < from) {
  console.error(`README.md has no ${START} … ${END} block`);
  process.exit(1);
}
const when = latest.date.replace('T', ' ').slice(0, 16);
const block = [
  START,
  '',
  `Latest figures — ${when} UTC, ${latest.cpu}, ${latest.cores} cores, ${latest.memoryGiB} GiB, Node ` +
    `${latest.node.replace(/^v/, '')}, ${latest.postgres}, ${latest.pubsub} pub/sub` +
    `${latest.quick ? ', BENCH_QUICK=1 (reduced counts)' : ''}; the whole run took ${Math.round(latest.totalSeconds)} s:`,
  '',
  latest.markdown,
  '',
  END,
].join('\n');
const updated = readme.slice(0, from) + block + readme.slice(to + END.length);
// The README is checked by prettier (`npm run lint`): the new table is written the way it wants it.
const options = (await prettier.resolveConfig(readmePath)) ?? {};
writeFileSync(readmePath, await prettier.format(updated, { ...options, filepath: readmePath }));
console.log('README.md: Benchmark figures updated');
