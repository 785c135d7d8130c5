import { RuleFunction } from './types';

export const compressionFunctions: RuleFunction[] = [];
