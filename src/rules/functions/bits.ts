import { RuleFunction } from './types';

export const bitFunctions: RuleFunction[] = [];
