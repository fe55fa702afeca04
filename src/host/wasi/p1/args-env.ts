// witx `args_*` and `environ_*`: argv and the environment from the context, encoded on first use.
import type { P1State } from './state.ts';
import { oob } from './state.ts';
import { StringList } from './string-list.ts';
import type { SyscallGroup } from './syscall.ts';
import { ERRNO_SUCCESS } from './wasi-defs.ts';

function argList(s: P1State): StringList {
  return s.argList ??= StringList.ofArgs(s.ctx.args);
}

function envList(s: P1State): StringList {
  return s.envList ??= StringList.ofEnv(s.ctx.env);
}

function sizesGet(s: P1State, list: StringList, countPtr: number, sizePtr: number): number {
  s.refresh();
  s.dv.setUint32(countPtr >>> 0, list.count, true);
  s.dv.setUint32(sizePtr >>> 0, list.bytes, true);
  return ERRNO_SUCCESS;
}

function listGet(s: P1State, list: StringList, ptrs: number, buf: number): number {
  s.refresh();
  if (!list.writeTo(s.u8, s.dv, ptrs >>> 0, buf >>> 0)) oob();
  return ERRNO_SUCCESS;
}

/** args_get, args_sizes_get, environ_get, environ_sizes_get. */
export const ARGS_ENV_SYSCALLS: SyscallGroup = {
  args_get: (s: P1State, argv: number, argvBuf: number): number => listGet(s, argList(s), argv, argvBuf),
  args_sizes_get: (s: P1State, argc: number, bufSize: number): number => sizesGet(s, argList(s), argc, bufSize),
  environ_get: (s: P1State, environ: number, environBuf: number): number => listGet(s, envList(s), environ, environBuf),
  environ_sizes_get: (s: P1State, count: number, bufSize: number): number => sizesGet(s, envList(s), count, bufSize),
};
