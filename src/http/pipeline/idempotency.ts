import type { FastifyReply, FastifyRequest } from 'fastify';
import type {
  IdempotencyOptions,
  IdempotencyService,
  IdempotentOperation,
} from '../../services/idempotency.js';
import { principalOf } from './authenticate.js';

/** A REST route's idempotent answer: runs `operation` under the request's key and sends its response. */
export type IdempotentReply = (
  request: FastifyRequest,
  reply: FastifyReply,
  operation: IdempotentOperation,
  options?: IdempotencyOptions,
) => Promise<FastifyReply>;

/**
 * The Fastify adapter of the idempotency step: the key comes from the `Idempotency-Key` header,
 * the request is its method and URL with its parsed JSON body, and a replay is marked with
 * `Idempotent-Replayed: true`. `required` says whether a POST without a key is refused.
 */
export function idempotentReplies(
  idempotency: IdempotencyService,
  options: { required: boolean },
): IdempotentReply {
  return async (request, reply, operation, runOptions) => {
    const result = await idempotency.perform(
      {
        principal: principalOf(request),
        key: request.headers['idempotency-key'],
        required: options.required,
        keyField: 'Idempotency-Key',
        operation: `${request.method} ${request.url}`,
        params: request.body,
      },
      operation,
      runOptions,
    );
    if (result.replayed) reply.header('Idempotent-Replayed', 'true');
    return reply.code(result.status).type('application/json; charset=utf-8').send(result.body);
  };
}
