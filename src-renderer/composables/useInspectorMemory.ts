/**
 * What the inspector showed for each VM (sub-view, chosen device), kept while the app runs so switching to
 * the console and back returns to the same place.
 */
import { reactive } from 'vue';

interface InspectorPlace {
  view: string;
  device: string | null;
}

const places = reactive<Record<string, InspectorPlace>>({});

export function useInspectorMemory(vmId: string): InspectorPlace {
  places[vmId] ??= { view: 'devices', device: null };
  return places[vmId];
}
