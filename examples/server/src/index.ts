export type { DevEnvironment } from './devEnvironment.js';
export { startDevEnvironment } from './devEnvironment.js';
export type { ExampleConfig, McpServerSection } from './exampleConfig.js';
export { loadExampleConfig, parseExampleConfig } from './exampleConfig.js';
export type { SessionLimits } from './sessions.js';
export { SessionRegistry } from './sessions.js';
export type { ExampleServerOptions, RunningExampleServer } from './startExampleServer.js';
export { startExampleServer } from './startExampleServer.js';
export { registerWhoami } from './whoami.js';
