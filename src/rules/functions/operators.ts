import { RuleFunction } from './types';

export const operatorFunctions: RuleFunction[] = [];
