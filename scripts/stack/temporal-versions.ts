/**
 * The versions of the cluster profile's Temporal parts. docker-compose.yml's image tags name the same versions
 * (test/foundation/compose-lockstep.unit.test.ts fails when they drift): what runs natively is what compose deploys.
 */
export const TEMPORAL_SERVER_VERSION = '1.29.1';
export const TEMPORAL_UI_VERSION = '2.42.1';
