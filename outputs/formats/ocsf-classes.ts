/**
 * The OCSF 1.3.0 classes this product writes, with the activities it uses. Names and numbers are the schema's; a
 * record carries both, so that it reads without the schema at hand.
 */
export const OCSF_VERSION = '1.3.0';

const IAM = { categoryUid: 3, categoryName: 'Identity & Access Management' } as const;

export const OCSF_CLASSES = {
  accountChange: {
    ...IAM, uid: 3001, name: 'Account Change',
    activities: { Create: 1, Enable: 2, Disable: 5, Delete: 6, 'Attach Policy': 7, 'Detach Policy': 8, 'MFA Factor Enable': 10, 'MFA Factor Disable': 11 },
  },
  authentication: { ...IAM, uid: 3002, name: 'Authentication', activities: { Logon: 1, Logoff: 2 } },
  entityManagement: { ...IAM, uid: 3004, name: 'Entity Management', activities: { Create: 1, Read: 2, Update: 3, Delete: 4 } },
  groupManagement: {
    ...IAM, uid: 3006, name: 'Group Management',
    activities: { 'Assign Privileges': 1, 'Revoke Privileges': 2, 'Add User': 3, 'Remove User': 4, Delete: 5, Create: 6 },
  },
  apiActivity: { categoryUid: 6, categoryName: 'Application Activity', uid: 6003, name: 'API Activity', activities: { Create: 1, Read: 2, Update: 3, Delete: 4 } },
} as const;

export type OcsfClassKey = keyof typeof OCSF_CLASSES;

/** Every class has these two besides its own. */
export const OTHER_ACTIVITY = { id: 99, name: 'Other' } as const;

/** A class and one of its activities, checked against the table above when written. */
export type OcsfActivity<K extends OcsfClassKey = OcsfClassKey> = K extends OcsfClassKey
  ? { class: K; activity: keyof (typeof OCSF_CLASSES)[K]['activities'] | typeof OTHER_ACTIVITY.name }
  : never;

export const ocsfActivity = <K extends OcsfClassKey>(cls: K, activity: OcsfActivity<K>['activity']): OcsfActivity<K> =>
  ({ class: cls, activity }) as OcsfActivity<K>;

/** The numbers of a class and activity. */
export function resolveActivity(target: OcsfActivity): { classInfo: (typeof OCSF_CLASSES)[OcsfClassKey]; activityId: number; activityName: string } {
  const classInfo = OCSF_CLASSES[target.class];
  const name = String(target.activity);
  const activities = classInfo.activities as Record<string, number>;
  return { classInfo, activityId: name === OTHER_ACTIVITY.name ? OTHER_ACTIVITY.id : activities[name], activityName: name };
}
