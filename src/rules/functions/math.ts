import { RuleFunction } from './types';

export const mathFunctions: RuleFunction[] = [];
