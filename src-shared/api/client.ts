/**
 * Builds the typed API proxy over any transport that can send one request and await its response.
 */
import type { ApiMethod, ApiResponse, OrreryApi } from './contract';
import { apiMethods } from './contract';

export type SendRequest = (method: ApiMethod, params: unknown[]) => Promise<ApiResponse>;

export class ApiError extends Error {
  constructor(
    readonly method: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function createApiProxy(send: SendRequest): OrreryApi {
  const api: Record<string, (...params: unknown[]) => Promise<unknown>> = {};
  for (const method of Object.keys(apiMethods) as ApiMethod[]) {
    api[method] = async (...params: unknown[]) => {
      const response = await send(method, params);
      if (!response.ok) throw new ApiError(method, response.error);
      return apiMethods[method].result.parse(response.result);
    };
  }
  return api as OrreryApi;
}
