/** The service layer: what each API method does. Transports call these only through dispatch(). */
import type { ApiHandlers } from '../../src-shared/api/contract';
import type { LibraryStore } from '../store/library-store';

export interface ServiceContext {
  readonly store: LibraryStore;
  readonly transport: 'electron' | 'browser';
  readonly version: string;
}

export function createHandlers(ctx: ServiceContext): ApiHandlers {
  return {
    'app.info': async () => ({ version: ctx.version, transport: ctx.transport, storePath: ctx.store.root }),
    'vms.list': async () => ctx.store.list(),
    'vms.create': async (input) => {
      const config = await ctx.store.create(input);
      return { id: config.id, name: config.name, state: 'stopped', config };
    },
    'vms.delete': async (id) => {
      await ctx.store.remove(id);
      return null;
    },
  };
}
