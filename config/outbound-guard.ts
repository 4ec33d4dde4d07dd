import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { OperatorError } from './operator-error';

// Every request the product makes (Atlassian API pages, key checks, webhook notices) goes to a URL that someone other
// than the operator may have written: a sources file arrives by pull request. Such a URL must not reach the cloud's
// metadata service, the host itself or the private network behind it. The check is made on the address a socket
// actually connects to, so a DNS answer that changes between a check and the connection cannot slip through.

/** The operator's setting that lets requests reach some non-public networks (the simulator on loopback, a relay). */
export const ALLOWED_NETWORKS_SETTING = 'OUTBOUND_ALLOWED_NETWORKS';

type Network = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Which non-public addresses requests may reach; every public address may be reached. */
export interface OutboundPolicy {
  readonly allowed: readonly Network[];
}

/** Thrown by the connection, before any request byte is sent; fetch reports it as its error's `cause`. */
export class OutboundRefusedError extends Error {
  override name = 'OutboundRefusedError';
  readonly code = 'ERR_OUTBOUND_REFUSED';
}

/** Why the setting's value is not a list of networks, or undefined when it is one. */
export function allowedNetworksProblem(text: string): string | undefined {
  const bad = networkTexts(text).find((entry) => !isNetwork(entry));
  return bad === undefined ? undefined : `"${bad}" is not a network such as 10.1.2.0/24, 127.0.0.1/32 or ::1/128`;
}

/** A policy from the setting's text (comma-separated CIDR networks); empty or unset allows no non-public address. */
export function outboundPolicy(allowedNetworks: string | undefined): OutboundPolicy {
  const problem = allowedNetworksProblem(allowedNetworks ?? '');
  if (problem) throw new OperatorError(`${ALLOWED_NETWORKS_SETTING}: ${problem}`);
  return { allowed: networkTexts(allowedNetworks ?? '').map((entry) => ipaddr.parseCIDR(entry)) };
}

/** The policy of this process's environment: what a client or a delivery uses unless it is given one. */
export function environmentPolicy(): OutboundPolicy {
  const text = process.env[ALLOWED_NETWORKS_SETTING] ?? '';
  // Kept while the setting stays the same, so that every client shares one dispatcher and its pooled connections.
  if (cachedEnvironmentPolicy?.text !== text) cachedEnvironmentPolicy = { text, policy: outboundPolicy(text) };
  return cachedEnvironmentPolicy.policy;
}

let cachedEnvironmentPolicy: { text: string; policy: OutboundPolicy } | undefined;

/** Why a request may not go to this address (one short phrase), or undefined when it may. */
export function refusalOf(address: string, policy: OutboundPolicy): string | undefined {
  if (!ipaddr.isValid(address)) return `${address || 'an unknown address'} is not an IP address`;
  // ::ffff:127.0.0.1 is 127.0.0.1: judged, and allowed, as the IPv4 address it reaches.
  const ip = ipaddr.process(address);
  const range = ip.range();
  if (range === 'unicast') return undefined;
  if (policy.allowed.some(([network, bits]) => network.kind() === ip.kind() && ip.match(network, bits))) return undefined;
  return `${address} is ${RANGE_WORDS[range] ?? `a non-public (${range}) address`}, not in ${ALLOWED_NETWORKS_SETTING}`;
}

/** The refusal behind a failed fetch, or undefined. */
export function outboundRefusalIn(err: unknown): string | undefined {
  // Read by shape: fetch is Node's, from another realm. Where our error is of yet another realm than fetch's (jest's
  // sandbox), fetch wraps it in a plain Error whose message is String(ours), "OutboundRefusedError: why".
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.message !== 'string') return undefined;
  if (cause.code === 'ERR_OUTBOUND_REFUSED') return cause.message;
  return cause.message.startsWith(WRAPPED_PREFIX) ? cause.message.slice(WRAPPED_PREFIX.length) : undefined;
}

const WRAPPED_PREFIX = 'OutboundRefusedError: ';

const dispatchers = new WeakMap<OutboundPolicy, Dispatcher>();

/**
 * The undici dispatcher to pass to fetch (`dispatcher`) so that its connections obey the policy: one per policy, so
 * connections are pooled as fetch's own are.
 */
export function guardedDispatcher(policy: OutboundPolicy): Dispatcher {
  let dispatcher = dispatchers.get(policy);
  if (!dispatcher) {
    dispatcher = new Agent({ connect: guardedConnector(policy) });
    dispatchers.set(policy, dispatcher);
  }
  return dispatcher;
}

const RANGE_WORDS: Record<string, string> = {
  loopback: 'a loopback address',
  linkLocal: 'a link-local address (cloud metadata lives there)',
  private: 'a private address',
  uniqueLocal: 'a private (unique local) address',
  carrierGradeNat: 'a carrier-grade NAT address',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};

function networkTexts(text: string): string[] {
  return text.split(',').map((entry) => entry.trim()).filter(Boolean);
}

/** A network written in the plain CIDR form (10.1.2.0/24, 2001:db8::/32). */
export function isNetwork(text: string): boolean {
  // Only the plain forms: ipaddr.js would also read 0x7f.1/8 and other legacy spellings nobody means in a setting.
  return ipaddr.IPv4.isValidCIDRFourPartDecimal(text) || (ipaddr.IPv6.isValidCIDR(text) && text.includes(':'));
}

/**
 * undici's own connector with two checks: name lookups that drop refused addresses (so a host name that resolves to
 * loopback is never even dialled) and, once connected, the socket's peer address. An IP literal skips the lookup,
 * so it is judged before dialling; the check after connecting is the one that holds whatever the path.
 */
function guardedConnector(policy: OutboundPolicy): buildConnector.connector {
  const connect = buildConnector({ lookup: guardedLookup(policy) } as buildConnector.BuildOptions);
  return (options, callback) => {
    const host = options.hostname.replace(/^\[(.*)\]$/, '$1');
    const literalRefusal = net.isIP(host) ? refusalOf(host, policy) : undefined;
    if (literalRefusal) return callback(new OutboundRefusedError(literalRefusal), null);
    return connect(options, (err, socket) => {
      if (err) return callback(err, null);
      const refusal = refusalOf(socket!.remoteAddress ?? '', policy);
      if (!refusal) return callback(null, socket!);
      socket!.destroy();
      callback(new OutboundRefusedError(refusal), null);
    });
  };
}

/** dns.lookup, keeping only the addresses the policy allows; none left is a refusal. */
export function guardedLookup(policy: OutboundPolicy): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const allowed = addresses.filter((entry) => refusalOf(entry.address, policy) === undefined);
      if (allowed.length === 0) {
        const refusal = addresses.length > 0 ? refusalOf(addresses[0].address, policy) : 'no address';
        return callback(new OutboundRefusedError(`${hostname} resolves only to refused addresses: ${refusal}`), '', 0);
      }
      if (options.all) return (callback as unknown as (err: null, addresses: dns.LookupAddress[]) => void)(null, allowed);
      callback(null, allowed[0].address, allowed[0].family);
    });
  };
}
