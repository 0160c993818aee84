import adyen from '@adyen/api-library';
import type { Config } from '@adyen/api-library';
import type { IRequest } from '@adyen/api-library/lib/src/typings/requestOptions.js';

const { HttpClientException } = adyen;

/** The call did not answer within the client's `connectionTimeoutMillis`. */
export class AdyenTimeout extends Error {
  override readonly name = 'AdyenTimeout';
}

/** The connection could not be made or broke before an answer (refused, reset, DNS). */
export class AdyenConnectionFailure extends Error {
  override readonly name = 'AdyenConnectionFailure';
}

type RequestOptions = IRequest.Options;

/**
 * The HTTP client the Adyen library sends its requests through (its `ClientInterface`, passed to
 * `new Client(config, httpClient)`). The library's own client opens every URL with `https.request`,
 * so it cannot reach a plain-HTTP base such as a local fake, and it reports a timeout as a bare
 * "socket hang up", indistinguishable from a reset connection. This one keeps the library's
 * contract (same headers, the library's `HttpClientException` for any non-2xx answer, no retries)
 * and adds what Till needs: any scheme, a deadline for the whole call, and a timeout that is told
 * apart from a broken connection.
 */
export class AdyenTransport {
  async request(
    endpoint: string,
    json: string | Buffer,
    config: Config,
    isApiKeyRequired: boolean,
    requestOptions: RequestOptions = {},
  ): Promise<string> {
    if (isApiKeyRequired && !config.apiKey) {
      throw new HttpClientException({ message: 'Adyen API key is missing', statusCode: 401 });
    }
    const url = new URL(endpoint);
    // Query parameters (only GET operations use them) are built the way the library builds them.
    if (requestOptions.params)
      url.search = new URLSearchParams(requestOptions.params as Record<string, string>).toString();
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'Cache-Control': 'no-cache',
      'User-Agent': config.applicationName ?? 'till',
    };
    const extra = requestOptions.headers;
    if (extra && !Array.isArray(extra)) {
      for (const [name, value] of Object.entries(extra)) if (typeof value === 'string') headers[name] = value;
    }
    if (config.apiKey) headers['X-API-Key'] = config.apiKey;
    if (requestOptions.idempotencyKey) headers['Idempotency-Key'] = requestOptions.idempotencyKey;

    const timeoutMs = config.connectionTimeoutMillis ?? 30_000;
    let response: Response;
    let text: string;
    try {
      // One deadline covers connecting, the answer's headers and its body.
      const signal = AbortSignal.timeout(timeoutMs);
      response = await fetch(url, {
        method: requestOptions.method ?? 'POST',
        headers,
        body:
          requestOptions.method === 'GET'
            ? undefined
            : typeof json === 'string'
              ? json
              : new Uint8Array(json),
        signal,
        redirect: 'error',
      });
      text = await response.text();
    } catch (error) {
      // By name, not instanceof: fetch's errors may come from another realm (a VM context).
      const name = (error as { name?: unknown } | null)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new AdyenTimeout(`Adyen did not answer within ${timeoutMs} ms`, { cause: error });
      }
      const code = (error as { cause?: { code?: string } }).cause?.code;
      throw new AdyenConnectionFailure(`Adyen could not be reached${code ? ` (${code})` : ''}`, {
        cause: error,
      });
    }
    if (response.ok) return text;

    const responseHeaders = Object.fromEntries(response.headers.entries());
    let apiError: { status?: number; errorCode?: string; message?: string; errorType?: string } | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && 'status' in parsed) apiError = parsed as typeof apiError;
    } catch {
      // Not Adyen's JSON error shape (a proxy's page, an empty body): the status says enough.
    }
    throw new HttpClientException({
      message: `HTTP Exception: ${response.status}. ${response.statusText}${apiError?.message ? `: ${apiError.message}` : ''}`,
      statusCode: response.status,
      errorCode: apiError?.errorCode,
      responseHeaders,
      responseBody: text,
      apiError: apiError as never,
    });
  }
}
