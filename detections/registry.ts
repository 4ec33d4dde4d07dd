import { atlassianCorePack } from './packs/atlassian-core';
import type { DetectionPack, Rule } from './rule';

/** Every pack the product ships. A pack id stored for a source but no longer listed here is ignored. */
export const DETECTION_PACKS: readonly DetectionPack[] = [atlassianCorePack];

const BY_ID = new Map(DETECTION_PACKS.map((pack) => [pack.id, pack]));

export function findPack(id: string): DetectionPack | undefined {
  return BY_ID.get(id);
}

export interface PackedRule {
  packId: string;
  rule: Rule;
}

/** The rules of the given packs, in pack order; unknown ids are skipped. */
export function rulesOfPacks(packIds: readonly string[], packs: readonly DetectionPack[] = DETECTION_PACKS): PackedRule[] {
  const wanted = new Set(packIds);
  return packs.filter((pack) => wanted.has(pack.id)).flatMap((pack) => pack.rules.map((rule) => ({ packId: pack.id, rule })));
}
