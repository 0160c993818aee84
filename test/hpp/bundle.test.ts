import { readFile } from 'node:fs/promises';

describe("the hosted page's script, as the build emits it", () => {
  it('is one self-contained module that carries the domain card rules', async () => {
    const script = await readFile(new URL('../../dist/hpp/client/checkout.js', import.meta.url), 'utf8');
    // The page loads only checkout.js: any import would be a request for a file Till does not serve.
    expect(script).not.toMatch(/^\s*import\b|\bfrom\s*["']\.{1,2}\//m);
    expect(script).toContain('function luhnValid');
    expect(script).toContain('function cardProblems');
  });
});
