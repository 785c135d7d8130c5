import { RuleFunction } from './types';

export const formatFunctions: RuleFunction[] = [];
