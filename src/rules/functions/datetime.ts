import { RuleFunction } from './types';

export const dateTimeFunctions: RuleFunction[] = [];
