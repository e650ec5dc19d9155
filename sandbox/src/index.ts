/** The sandbox as a library, for tests and scripts that start it in-process. */
export { startSandbox } from './server';
export type { Sandbox } from './server';
export { defaultConfig, defaultCampaign, mergeConfig, DEFAULT_CAMPAIGN_ID, DEFAULT_WEBHOOK_FIELDS } from './config';
export type { SandboxConfig } from './config';
export { NO_FAULTS } from './faults';
export type { FaultSettings } from './faults';
export type { Campaign, Delivery, Session } from './model';
export { configFromFlags } from './cli';
