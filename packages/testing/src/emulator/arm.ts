// The small Azure Resource Manager surface the Postgres tools use: subscriptions, resource groups,
// Azure Database for PostgreSQL flexible servers and their configurations (server parameters),
// with per-user role assignments (Reader, Contributor, Owner) checked on every call and ARM's
// error shapes and codes (AuthenticationFailed, InvalidAuthenticationToken(Audience),
// MissingApiVersionParameter, SubscriptionNotFound, ResourceGroupNotFound, ResourceNotFound,
// AuthorizationFailed, TooManyRequests with Retry-After). A parameter change is a long-running
// operation: 202 with `Azure-AsyncOperation`, as the resource provider answers. The state is in
// arm/ArmEmulator.ts, the answers in arm/resources.ts, the routes as a table in arm/routes.ts.
export type { ArmRole, EmulatedConfiguration, EmulatedFlexibleServer } from './arm/ArmEmulator.js';
export { ARM_AUDIENCES, ArmEmulator, serverId } from './arm/ArmEmulator.js';
export { handleArm } from './arm/handleArm.js';
