import { loopbackOnlyNetwork } from './env';

// The unit tier starts no server (jest.unit.config.js), but its tests still talk to simulators and receivers on
// 127.0.0.1, which the outbound guard refuses unless allowed: the same allowance the full run's global setup gives.
Object.assign(process.env, loopbackOnlyNetwork);
