/**
 * The parts of undici the client uses, imported dynamically by tls.ts (see lazyTlsAgent). A module of
 * our own, so that the bundle's piece for it has these named exports (a dynamic import of the CommonJS
 * package itself gives only its `default` there, and the names under Node).
 */
export { Agent, buildConnector } from 'undici';
