import { COUNTRY, SOURCE_IP } from '../event-fields';
import { describeActor } from '../event-view';
import type { NewValueRule, ThresholdRule } from '../rule';
import { WEEK_SECONDS } from '../rule';

export const FAILED_LOGIN_THRESHOLD = 5;
export const FAILED_LOGIN_WINDOW_SECONDS = 10 * 60;

export const failedLoginBurst: ThresholdRule = {
  kind: 'threshold',
  id: 'failed-login-burst',
  title: 'Repeated failed logins from one IP address',
  severity: 'high',
  description: `${FAILED_LOGIN_THRESHOLD} or more failed logins from one IP address within ${FAILED_LOGIN_WINDOW_SECONDS / 60} minutes: password guessing or credential stuffing.`,
  actions: ['user_login_failed'],
  match: () => true,
  countBy: SOURCE_IP,
  threshold: FAILED_LOGIN_THRESHOLD,
  windowSeconds: FAILED_LOGIN_WINDOW_SECONDS,
  dedupSeconds: 3600,
  alertTitle: (event) => `${FAILED_LOGIN_THRESHOLD}+ failed logins from ${event.ip} within ${FAILED_LOGIN_WINDOW_SECONDS / 60} minutes`,
};

export const NEW_COUNTRY_LOOKBACK_DAYS = 30;

export const loginFromNewCountry: NewValueRule = {
  kind: 'new-value',
  id: 'login-from-new-country',
  title: 'Login from a country not seen recently',
  severity: 'medium',
  description: `A login from a country that none of the organization's events came from in the previous ${NEW_COUNTRY_LOOKBACK_DAYS} days.`,
  actions: ['user_login'],
  match: () => true,
  valueOf: COUNTRY,
  lookbackDays: NEW_COUNTRY_LOOKBACK_DAYS,
  learningDays: 3,
  dedupSeconds: 24 * 3600,
  // Longer than the dedup period, or grouping would gather nothing: logins from a new country over a trip are one case.
  groupSeconds: WEEK_SECONDS,
  alertTitle: (event) => `Login from ${event.country}, not seen in ${NEW_COUNTRY_LOOKBACK_DAYS} days (${describeActor(event.actor)})`,
};
