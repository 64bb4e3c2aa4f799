/** The IPC channels the preload and the main process share: requests one way, events the other. */
export const API_CHANNEL = 'orrery:api';
export const EVENT_CHANNEL = 'orrery:event';
