/**
 * The guest catalog: ready-made boot sources the New VM wizard offers (resources/guests/catalog.json), and
 * what preparing one yields. A catalog guest is either built in, or fetched into the app's cache on demand.
 */
import { z } from 'zod';

export const GuestIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/);

export const GuestCatalogEntrySchema = z.object({
  id: GuestIdSchema,
  name: z.string().min(1).max(80),
  description: z.string().max(400),
  /** 'builtin': ships with the app; 'debian': built from Debian's packages with apt on first use. */
  source: z.enum(['builtin', 'debian']),
  /** Kernel command line for kernel guests. */
  append: z.string().default(''),
  memoryMiB: z.number().int().min(16).max(16384),
  cpus: z.number().int().min(1).max(8),
  /** What fetching needs from this computer, in words (shown before a fetch starts). */
  requires: z.string().optional(),
});
export type GuestCatalogEntry = z.infer<typeof GuestCatalogEntrySchema>;

export const GuestCatalogSchema = z.object({
  version: z.literal(1),
  guests: z.array(GuestCatalogEntrySchema).min(1),
});

/** A prepared guest: the files a VM boots. */
export const PreparedGuestSchema = z.object({
  guest: GuestIdSchema,
  kernel: z.string().min(1),
  initrd: z.string().min(1).optional(),
  append: z.string(),
  /** One line on where it came from (package versions), for the wizard's summary. */
  detail: z.string(),
});
export type PreparedGuest = z.infer<typeof PreparedGuestSchema>;

/** Progress of a guest fetch, sent as `guest.progress` events to the client that asked for it. */
export const GuestProgressSchema = z.object({
  guest: GuestIdSchema,
  /** 1-based number of the step now under way. */
  step: z.number().int().min(0),
  message: z.string(),
  state: z.enum(['running', 'done', 'failed']),
});
export type GuestProgress = z.infer<typeof GuestProgressSchema>;
