import { RuleFunction } from './types';

export const arrayFunctions: RuleFunction[] = [];
