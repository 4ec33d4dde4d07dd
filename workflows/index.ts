export * from './source-workflow';
export * from './silence-watchdog';
export * from './alert-dispatcher';
export * from './output-workflow';
