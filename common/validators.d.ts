// The schema validators `npm run build` generates into dist/common/validators.js
// (common/build-validators.ts). Each fills the schema's defaults in place and lists every problem.
import type { ValidateFunction } from 'ajv';
import type { Config } from './config.js';

export declare const validateConfig: ValidateFunction<Config>;
export declare const validateRules: ValidateFunction;
export declare const validateAnalyticsState: ValidateFunction;
export declare const validateOutboxRecord: ValidateFunction;
