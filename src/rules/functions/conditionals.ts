import { RuleFunction } from './types';

export const conditionalFunctions: RuleFunction[] = [];
