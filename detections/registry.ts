import { OperatorError } from '../config/operator-error';
import { atlassianCorePack } from './packs/atlassian-core';
import type { DetectionPack, Rule } from './rule';
import { readRulesFolder } from './team-rules/load';
import { withSuppressions } from './team-rules/suppression';

/** Every pack the product ships. A pack id stored for a source but no longer listed here is ignored. */
export const DETECTION_PACKS: readonly DetectionPack[] = [atlassianCorePack];

/** The setting that names the folder of a team's own rules (docs/detections.md); workers and the CLI read it. */
export const RULES_DIR_SETTING = 'DETECTION_RULES_DIR';

let registry: { folder: string; packs: readonly DetectionPack[] } | undefined;

/**
 * Every pack a source may enable: the shipped ones, then the team's from the rules folder, with the folder's
 * allowlists applied to both. Read once per process (a worker reads it at start); a folder with a problem stops
 * whoever reads it with one line naming the file and field.
 */
export function detectionPacks(folder: string = process.env[RULES_DIR_SETTING] ?? ''): readonly DetectionPack[] {
  if (registry?.folder !== folder) registry = { folder, packs: folder === '' ? DETECTION_PACKS : packsWithTeamRules(folder) };
  return registry.packs;
}

function packsWithTeamRules(folder: string): DetectionPack[] {
  const team = readRulesFolder(folder, DETECTION_PACKS);
  if (team.problems.length > 0) {
    const more = team.problems.length > 1 ? ` (and ${team.problems.length - 1} more problem(s): \`atlassian-audit rules check ${folder}\` lists them)` : '';
    throw new OperatorError(`${RULES_DIR_SETTING}: ${team.problems[0]}${more}`);
  }
  return withSuppressions([...DETECTION_PACKS, ...team.packs], team.suppressions);
}

export function findPack(id: string): DetectionPack | undefined {
  return detectionPacks().find((pack) => pack.id === id);
}

export interface PackedRule {
  packId: string;
  rule: Rule;
}

/** The rules of the given packs, in pack order; unknown ids are skipped. */
export function rulesOfPacks(packIds: readonly string[], packs: readonly DetectionPack[] = detectionPacks()): PackedRule[] {
  const wanted = new Set(packIds);
  return packs.filter((pack) => wanted.has(pack.id)).flatMap((pack) => pack.rules.map((rule) => ({ packId: pack.id, rule })));
}
