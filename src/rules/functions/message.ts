// Message helpers (reference section 5.1): shortcuts to the publish columns. EMQX evaluates
// them only in SELECT and DO; in WHERE they give undefined.

import { RuleFunction, CallContext } from './types';
import { callError, define, integer, text } from './arguments';
import { dotPathGet } from './maps';
import { isMap } from '../values';
import { words } from '../../words';

function column(name: string, key: string): RuleFunction {
  return define(name, 0, 0, (_args, ctx) => (ctx.inSelect ? ctx.columns[key] : undefined));
}

function flagsOf(ctx: CallContext): Record<string, unknown> {
  const flags = ctx.columns.flags;
  return isMap(flags) ? flags : {};
}

export const messageFunctions: RuleFunction[] = [
  column('msgid', 'id'),
  column('qos', 'qos'),
  column('clientid', 'clientid'),
  column('username', 'username'),
  column('peerhost', 'peerhost'),
  column('clientip', 'peerhost'),
  define('topic', 0, 1, (args, ctx) => {
    if (!ctx.inSelect) return undefined;
    const topic = ctx.columns.topic;
    if (args.length === 0) return topic;
    const n = integer('topic', args[0]);
    const levels = text('topic', topic).split('/');
    if (n < 1 || n > levels.length) {
      throw callError('topic', words('rules.call.topicLevel', 'level __level__ is out of range: the topic has __levels__ levels', { level: n, levels: levels.length }));
    }
    return levels[n - 1];
  }),
  define('flags', 0, 0, (_args, ctx) => (ctx.inSelect ? flagsOf(ctx) : undefined)),
  define('flag', 1, 1, (args, ctx) => (ctx.inSelect ? flagsOf(ctx)[text('flag', args[0])] : undefined)),
  define('payload', 0, 1, (args, ctx) => {
    if (!ctx.inSelect) return undefined;
    if (args.length === 0) return ctx.columns.payload;
    return dotPathGet(text('payload', args[0]), ctx.decodedPayload());
  }),
];
