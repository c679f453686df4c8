import { version } from '../../package.json';

/** The version written into manifests and printed by `pulse-backup --version`. */
export const PULSE_BACKUP_VERSION: string = version;
