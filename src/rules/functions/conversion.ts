import { RuleFunction } from './types';

export const conversionFunctions: RuleFunction[] = [];
