// Names and paths to closures: where a name is read (the output built so far, then the
// input), the steps of a path, index variables, the payload decoded once.

import { NameRef, Segment } from './ast';
import { CompileEnv, Evaluator } from './compile-env';
import { indexOf, isInheritedName, keyStep } from './paths';
import { Scope } from './scope';

/** A name or path read in one place: the output built so far (`inOut`), or the input. */
type Reader = (s: Scope, inOut: boolean) => unknown;
type PathStep = (v: unknown, s: Scope, inOut: boolean) => unknown;

/**
 * EMQX reads a name or path in SELECT and DO in the output built so far and, only when that
 * gives undefined, in the input (`eval(Exp, [Action, Columns])`): the whole path is walked in
 * one place, its index variables included.
 */
export function compileName(name: string, env?: CompileEnv): Evaluator {
  if (env?.outputRoots !== undefined && !env.outputRoots.has(name)) {
    if (isInheritedName(name)) return (s) => s.lookupOwn(name);
    return (s) => s.lookup(name);
  }
  if (isInheritedName(name)) {
    return (s) => {
      const v = s.outValue(name);
      return v !== undefined ? v : s.lookupOwn(name);
    };
  }
  return (s) => {
    const out = s.out;
    if (out !== null) {
      const v = out[name];
      if (v !== undefined) return v;
    }
    return s.lookup(name);
  };
}

function nameReader(name: string): Reader {
  if (isInheritedName(name)) return (s, inOut) => (inOut ? s.outValue(name) : s.lookupOwn(name));
  return (s, inOut) => (inOut ? (s.out as Record<string, unknown>)[name] : s.lookup(name));
}

function compileSegment(seg: Segment, env: CompileEnv): PathStep {
  switch (seg.kind) {
    case 'key': return keyStep(seg.key);
    case 'index': {
      const i = seg.index;
      return (v) => indexOf(v, i);
    }
    default: {
      const ref = seg.ref;
      const read = ref.type === 'var' ? nameReader(ref.name) : pathReader(ref.root, ref.segments, env);
      return (v, s, inOut) => indexOf(v, read(s, inOut));
    }
  }
}

/** A path read. `payload.…` decodes the payload strictly (and once); other JSON text leniently. */
export function compilePath(root: string, segments: readonly Segment[], env: CompileEnv): Evaluator {
  const walk = pathWalker(root, segments, env);
  const inherited = isInheritedName(root);
  if (env.outputRoots !== undefined && !env.outputRoots.has(root)) {
    return inherited ? (s) => walk(s.lookupOwn(root), s, false) : (s) => walk(s.lookup(root), s, false);
  }
  return (s) => {
    const out = s.out;
    if (out !== null) {
      const r = inherited ? s.outValue(root) : out[root];
      if (r !== undefined) {
        const v = walk(r, s, true);
        if (v !== undefined) return v;
      }
    }
    return walk(inherited ? s.lookupOwn(root) : s.lookup(root), s, false);
  };
}

function pathReader(root: string, segments: readonly Segment[], env: CompileEnv): Reader {
  const name = nameReader(root);
  const walk = pathWalker(root, segments, env);
  return (s, inOut) => walk(name(s, inOut), s, inOut);
}

/** The steps of a path from its root value; index variables are read where the root was. */
function pathWalker(root: string, segments: readonly Segment[], env: CompileEnv): PathStep {
  const steps = segments.map((seg) => compileSegment(seg, env));
  const decode = root === 'payload';
  if (steps.length === 1) {
    const [a] = steps;
    return decode ? (v, s, inOut) => a(s.payloadOf(v), s, inOut) : a;
  }
  if (steps.length === 2) {
    const [a, b] = steps;
    return decode ? (v, s, inOut) => b(a(s.payloadOf(v), s, inOut), s, inOut) : (v, s, inOut) => b(a(v, s, inOut), s, inOut);
  }
  return (v, s, inOut) => {
    if (decode) v = s.payloadOf(v);
    for (let i = 0; i < steps.length && v !== undefined; i++) v = steps[i](v, s, inOut);
    return v;
  };
}

export function compileNameRef(ref: NameRef, env: CompileEnv): Evaluator {
  return ref.type === 'var' ? compileName(ref.name, env) : compilePath(ref.root, ref.segments, env);
}
