export * from './source-workflow';
