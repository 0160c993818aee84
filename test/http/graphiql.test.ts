import type { InjectOptions } from 'fastify';
import { startTill, type RunningTill } from '../support/till.js';

describe('GraphiQL on /graphql', () => {
  let app: RunningTill;
  beforeAll(async () => {
    app = await startTill({ backend: 'embedded', workers: false });
  });
  afterAll(() => app.close());

  const inject = (options: InjectOptions) => app.till.http.inject(options);
  const html = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

  it('serves the page, with its files from Till, to a browser opening /graphql', async () => {
    const res = await inject({ method: 'GET', url: '/graphql', headers: { accept: html } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.body).toContain('/graphql/graphiql/graphiql.js');
    expect(res.body).not.toMatch(/<script>|https?:\/\//);
    const script = await inject({ method: 'GET', url: '/graphql/graphiql/graphiql.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toContain('renderYogaGraphiQL');
    expect((await inject({ method: 'GET', url: '/graphql/graphiql/nope.js' })).statusCode).toBe(404);
    expect((await inject({ method: 'GET', url: '/graphql/graphiql/toString' })).statusCode).toBe(404);
  });

  it('still refuses operations sent as simple requests without a preflight header (CSRF)', async () => {
    const query = encodeURIComponent('{ __typename }');
    const viaGet = await inject({ method: 'GET', url: `/graphql?query=${query}`, headers: { accept: html } });
    expect(viaGet.statusCode).toBe(400);
    expect(viaGet.body).toContain('CSRF');
    const viaForm = await inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'text/plain', accept: html },
      payload: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(viaForm.statusCode).toBeGreaterThanOrEqual(400);
    expect(viaForm.statusCode).toBeLessThan(500);
    expect(viaForm.body).not.toContain('"__typename"');
    // Without text/html, a GET is an operation request as before, never the page.
    const api = await inject({ method: 'GET', url: '/graphql', headers: { accept: 'application/json' } });
    expect(api.headers['content-type']).not.toContain('text/html');
    // A JSON POST (what GraphiQL sends) runs.
    const ok = await inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ data: { __typename: 'Query' } });
  });
});
