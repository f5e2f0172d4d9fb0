import { BlockList, isIP } from "node:net";
import { CONFIG_ENVIRONMENT } from "./config-names.ts";

/** Addresses a node only talks to when allowed to (loopback, private, link-local, unique local). */
const PRIVATE_RANGES = (() => {
  const ranges = new BlockList();
  for (const [network, prefix] of [
    ["0.0.0.0", 8],
    ["10.0.0.0", 8],
    ["100.64.0.0", 10],
    ["127.0.0.0", 8],
    ["169.254.0.0", 16],
    ["172.16.0.0", 12],
    ["192.168.0.0", 16],
  ] as const) {
    ranges.addSubnet(network, prefix, "ipv4");
  }
  ranges.addAddress("::", "ipv6");
  ranges.addAddress("::1", "ipv6");
  ranges.addSubnet("fc00::", 7, "ipv6");
  ranges.addSubnet("fe80::", 10, "ipv6");
  return ranges;
})();

/** Whether the IP address `address` is loopback, private, link-local or unique local. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return PRIVATE_RANGES.check(mapped, "ipv4");
  return PRIVATE_RANGES.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");
}

/** What to do about a refused private address: the switch that allows them. */
export const ALLOW_PRIVATE_ADDRESSES_ADVICE = `To federate on an intranet, start the node with --allow-private-addresses (${CONFIG_ENVIRONMENT.allowPrivateAddresses}=1, or "allowPrivateAddresses": true in its configuration file).`;
