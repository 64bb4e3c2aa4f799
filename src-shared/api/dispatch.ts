/**
 * Validates a request against the contract and calls its handler. Used by every transport, so no request
 * reaches a service unchecked.
 */
import { z } from 'zod';
import type { ApiHandlers, ApiResponse } from './contract';
import { apiMethods, isApiMethod, RequestSchema } from './contract';

export async function dispatch(handlers: ApiHandlers, raw: unknown): Promise<ApiResponse> {
  const request = RequestSchema.safeParse(raw);
  if (!request.success) return { id: -1, ok: false, error: 'malformed request' };
  const { id, method, params } = request.data;
  if (!isApiMethod(method)) return { id, ok: false, error: `unknown method '${method}'` };
  const schema = apiMethods[method];
  const parsed = schema.params.safeParse(params);
  if (!parsed.success) return { id, ok: false, error: `${method}: ${z.prettifyError(parsed.error)}` };
  try {
    // The tuple type is checked per method by ApiHandlers; TypeScript cannot correlate the union here.
    const handler = handlers[method] as (...args: unknown[]) => Promise<unknown>;
    const result = await handler(...(parsed.data as unknown[]));
    return { id, ok: true, result: schema.result.parse(result) };
  } catch (error) {
    return { id, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
