/** The single IPC channel the preload and the main process share. */
export const API_CHANNEL = 'orrery:api';
