import { RuleFunction } from './types';

export const hashFunctions: RuleFunction[] = [];
