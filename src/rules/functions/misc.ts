import { RuleFunction } from './types';

export const miscFunctions: RuleFunction[] = [];
