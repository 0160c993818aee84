import { lookup as dnsLookup } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import { isAllowedAddress, urlHostDecision } from './address-policy.js';

/**
 * A target refused by the address policy (`address-policy.ts`). The message never names the address:
 * what an internal hostname resolves to is itself information a merchant must not learn.
 */
export class BlockedAddressError extends Error {
  constructor() {
    super(
      'address not allowed: private, loopback or link-local, another special-purpose range, or this server itself',
    );
    this.name = 'BlockedAddressError';
  }
}

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The first 1 KiB of the body. */
  excerpt: string;
}

/** How much of a receiver's answer is kept (and read): its first 1 KiB. */
const EXCERPT_CHARS = 1024;

export interface OutboundOptions {
  /** DNS lookup plus TCP (and TLS) connect. */
  connectTimeoutMs: number;
  /** From the connection to the end of the answer (or its first 1 KiB). */
  responseTimeoutMs: number;
  /** Skip the address policy (local development and tests). */
  allowPrivate: boolean;
}

/**
 * What a failed request reports. Socket errors carry the peer's address in their message
 * (`connect ECONNREFUSED 10.0.0.5:443`), so they are reduced to the system call and code.
 */
function reportable(error: Error): Error {
  if (error instanceof BlockedAddressError) return error;
  const { code, syscall } = error as NodeJS.ErrnoException;
  if (typeof code === 'string') return new Error(syscall ? `${syscall} ${code}` : code);
  return error;
}

/**
 * POSTs a webhook. Every address the name resolves to is checked at connect time (so DNS cannot
 * swap in an internal one after a check), an IP literal is checked before connecting, redirects are
 * not followed, and connecting and answering each have their own deadline. Of the answer, only
 * the status, the headers and the first 1 KiB of the body are read.
 */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: OutboundOptions,
): Promise<OutboundResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    if (!options.allowPrivate && urlHostDecision(target) === 'refused')
      return reject(new BlockedAddressError());
    const guardedLookup: LookupFunction = (hostname, lookupOptions, callback) => {
      dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
        if (error) return callback(error, '', 0);
        const list = addresses as unknown as { address: string; family: number }[];
        if (!options.allowPrivate && list.some((a) => !isAllowedAddress(a.address)))
          return callback(new BlockedAddressError(), '', 0);
        if ((lookupOptions as { all?: boolean }).all)
          return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
        callback(null, list[0]!.address, list[0]!.family);
      });
    };

    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(reportable(error));
    };
    const succeed = (response: OutboundResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(response);
    };
    const deadline = (ms: number, what: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => fail(new Error(`timed out after ${ms} ms ${what}`)), ms);
    };

    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Till-Webhooks/1',
          ...headers,
          'content-length': Buffer.byteLength(body),
        },
        lookup: guardedLookup,
      },
      (res) => {
        let excerpt = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          excerpt += chunk.slice(0, EXCERPT_CHARS - excerpt.length);
          // The status is known and the excerpt full: the rest of the body is not read, so a
          // receiver that answers with an endless body costs no more than one that stops.
          if (excerpt.length >= EXCERPT_CHARS) {
            succeed({ status: res.statusCode ?? 0, headers: res.headers, excerpt });
            res.destroy();
          }
        });
        res.on('end', () => succeed({ status: res.statusCode ?? 0, headers: res.headers, excerpt }));
        res.on('aborted', () => fail(new Error('the response was cut off')));
        res.on('error', fail);
      },
    );
    deadline(options.connectTimeoutMs, 'connecting');
    // The answer's deadline starts once connected (after the TLS handshake for https); a kept-alive
    // socket is connected already.
    req.on('socket', (socket: Socket) => {
      const connected = () => deadline(options.responseTimeoutMs, 'waiting for the response');
      if (!socket.connecting) connected();
      else socket.once(target.protocol === 'https:' ? 'secureConnect' : 'connect', connected);
    });
    req.on('error', fail);
    req.on('close', () => {
      if (!settled) fail(new Error('the connection closed before the response ended'));
    });
    req.end(body);
  });
}
