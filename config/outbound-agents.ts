import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { guardedLookup, OutboundRefusedError, refusalOf, type OutboundPolicy } from './outbound-guard';

// Clients that bring their own HTTP stack (the AWS SDK) take Node agents rather than an undici dispatcher. These
// agents make the outbound guard's checks at the same three points: the name lookup, an IP literal before dialling,
// and the peer address once connected.

export interface GuardedAgents {
  httpAgent: http.Agent;
  httpsAgent: https.Agent;
}

/**
 * Keep-alive agents whose connections obey the policy. A new pair per client: a client that is closed destroys its
 * agents' sockets, which must not cut another client's requests.
 */
export function createGuardedAgents(policy: OutboundPolicy): GuardedAgents {
  const options = { keepAlive: true, maxSockets: 16, lookup: guardedLookup(policy) };
  return { httpAgent: guard(new http.Agent(options), policy), httpsAgent: guard(new https.Agent(options), policy) };
}

type CreateConnection = (options: Record<string, unknown>, callback: (err: Error | null, socket?: net.Socket) => void) => net.Socket | undefined;

function guard<A extends http.Agent>(agent: A, policy: OutboundPolicy): A {
  const target = agent as unknown as { createConnection: CreateConnection };
  const create = target.createConnection.bind(agent);
  target.createConnection = (options, callback) => {
    const host = String(options.host ?? options.hostname ?? '').replace(/^\[(.*)\]$/, '$1');
    const literalRefusal = net.isIP(host) ? refusalOf(host, policy) : undefined;
    if (literalRefusal) {
      callback(new OutboundRefusedError(literalRefusal));
      return undefined;
    }
    const socket = create(options, callback);
    socket?.once('connect', () => {
      const refusal = refusalOf(socket.remoteAddress ?? '', policy);
      if (refusal) socket.destroy(new OutboundRefusedError(refusal));
    });
    return socket;
  };
  return agent;
}
