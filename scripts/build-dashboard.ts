/**
 * Bundles the dashboard (src/dashboard/client) into dist/dashboard/client: minified ES modules with
 * content-hashed names, split so that each UI language and the chart library load only when used.
 * Writes manifest.json (what the HTML shell links) and prints the gzip weight of the first load's
 * JavaScript, failing the build above the budget.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';

/** The most compressed JavaScript the first load may fetch. */
const BUDGET_BYTES = 300 * 1024;

const root = path.resolve(import.meta.dirname, '..');
const outdir = path.join(root, 'dist/dashboard/client');
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

const result = await build({
  entryPoints: { main: path.join(root, 'src/dashboard/client/main.tsx') },
  bundle: true,
  splitting: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  outdir,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
  tsconfig: path.join(root, 'src/dashboard/client/tsconfig.json'),
});

const outputs = result.metafile.outputs;
const rel = (file: string) => path.relative(outdir, path.join(root, file));
const entry = Object.entries(outputs).find(([, o]) => o.entryPoint?.endsWith('main.tsx'));
if (!entry) throw new Error('esbuild produced no entry for main.tsx');
const [entryFile, entryOutput] = entry;

/** The entry and every chunk it imports statically: what the browser fetches before the app runs. */
function firstLoad(meta: Metafile, file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const imported of meta.outputs[file]?.imports ?? [])
    if (imported.kind === 'import-statement' && !imported.external) firstLoad(meta, imported.path, seen);
  return seen;
}
const initial = [...firstLoad(result.metafile, entryFile)];
const gzipped = initial.reduce((sum, f) => sum + gzipSync(readFileSync(path.join(root, f))).length, 0);

const manifest = {
  js: rel(entryFile),
  css: entryOutput.cssBundle ? rel(entryOutput.cssBundle) : null,
  preload: initial.filter((f) => f !== entryFile).map(rel),
};
writeFileSync(path.join(outdir, 'manifest.json'), JSON.stringify(manifest, null, 2));

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
console.log(
  `dashboard: first load ${kb(gzipped)} of gzipped JavaScript in ${initial.length} file(s) (budget ${kb(BUDGET_BYTES)})`,
);
if (gzipped > BUDGET_BYTES) {
  console.error('dashboard: over the JavaScript budget');
  process.exit(1);
}
