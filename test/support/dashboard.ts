import { randomBytes } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { OPERATOR, type Role } from '../../src/services/principal.js';
import type { RunningTill } from './till.js';

export interface GqlAnswer<T = any> {
  status: number;
  headers: Headers;
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, any> }[];
}

/** A dashboard user made directly (as the sandbox's owner is), with a random password. */
export async function newUser(
  running: RunningTill,
  merchantId: string,
  role: Role,
): Promise<{ id: string; email: string; password: string }> {
  const email = `${role}-${randomBytes(6).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  const id = await running.till.services.dashboardUsers.create(
    merchantId,
    { email, role, password },
    OPERATOR,
  );
  return { id, email, password };
}

/**
 * A browser's view of Till for the dashboard: a cookie jar holding `till_session` (as the browser
 * would, from Set-Cookie) and GraphQL over HTTP with the `Till-Mode` header.
 */
export class DashboardBrowser {
  cookie: string | null = null;
  /** Every Set-Cookie the jar received, verbatim (attribute checks). */
  readonly setCookies: string[] = [];

  constructor(
    readonly base: string,
    public mode: 'test' | 'live' | null = 'test',
  ) {}

  async gql<T = any>(
    query: string,
    variables: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ): Promise<GqlAnswer<T>> {
    const res = await fetch(`${this.base}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(this.mode ? { 'till-mode': this.mode } : {}),
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    this.keep(res.headers);
    const body = (await res.json()) as Omit<GqlAnswer<T>, 'status' | 'headers'>;
    return { status: res.status, headers: res.headers, ...body };
  }

  async signIn(email: string, password: string): Promise<GqlAnswer> {
    return this.gql(
      `mutation($email: String!, $password: String!) { signIn(email: $email, password: $password) {
         viewer { user { id email role } merchant { id name } livemode role permissions }
         userErrors { field message code } } }`,
      { email, password },
    );
  }

  /**
   * A graphql-ws client sending this jar's cookie, and `origin` as its page's origin, on its upgrade;
   * `mode` goes in connectionParams as it is (undefined = none).
   */
  socket(origin: string | null, mode: unknown): Client {
    const headers: Record<string, string> = {
      ...(origin ? { origin } : {}),
      ...(this.cookie ? { cookie: this.cookie } : {}),
    };
    class BrowserSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers });
      }
    }
    return createClient({
      url: `${this.base.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: BrowserSocket,
      connectionParams: { mode },
      retryAttempts: 0,
      lazy: true,
    });
  }

  private keep(headers: Headers) {
    for (const line of headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair] = line.split(';');
      const [name, value] = pair!.split('=');
      if (name !== 'till_session') continue;
      const expired = /expires=Thu, 01 Jan 1970/i.test(line) || /max-age=0/i.test(line) || value === '';
      this.cookie = expired ? null : `till_session=${value}`;
    }
  }
}
