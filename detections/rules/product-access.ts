import { ACTOR_ID } from '../event-fields';
import { describeActor } from '../event-view';
import type { ThresholdRule } from '../rule';

export const PRODUCT_ACCESS_BURST_THRESHOLD = 10;
export const PRODUCT_ACCESS_BURST_WINDOW_SECONDS = 10 * 60;

export const productAccessGrantBurst: ThresholdRule = {
  kind: 'threshold',
  id: 'product-access-grant-burst',
  title: 'Burst of product-access grants by one admin',
  severity: 'medium',
  description:
    `${PRODUCT_ACCESS_BURST_THRESHOLD} or more product roles or product accesses granted by one actor within ${PRODUCT_ACCESS_BURST_WINDOW_SECONDS / 60} minutes: ` +
    'a compromised admin opening products to many accounts, or a script gone wrong. user_granted_role is documented; the product-access keys ' +
    '(*product_access_grant*, *granted_product_access*) are not.',
  actions: ['user_granted_role', '*product_access_grant*', '*granted_product_access*'],
  match: () => true,
  countBy: ACTOR_ID,
  threshold: PRODUCT_ACCESS_BURST_THRESHOLD,
  windowSeconds: PRODUCT_ACCESS_BURST_WINDOW_SECONDS,
  dedupSeconds: 3600,
  alertTitle: (event) => `${PRODUCT_ACCESS_BURST_THRESHOLD}+ product-access grants by ${describeActor(event.actor)} within ${PRODUCT_ACCESS_BURST_WINDOW_SECONDS / 60} minutes`,
};
