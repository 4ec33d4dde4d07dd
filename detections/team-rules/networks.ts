import ipaddr from 'ipaddr.js';

/**
 * A test of an event's IP address against CIDR networks (checked with isNetwork when the file was read). An IPv4
 * address Atlassian sends as ::ffff:a.b.c.d is the IPv4 address it reaches; no address is in no network.
 */
export function inNetworks(networkTexts: readonly string[]): (ip: string | null) => boolean {
  const networks = networkTexts.map((text) => ipaddr.parseCIDR(text));
  return (ip) => {
    if (ip === null || !ipaddr.isValid(ip)) return false;
    const address = ipaddr.process(ip);
    return networks.some(([network, bits]) => network.kind() === address.kind() && address.match(network, bits));
  };
}
