// An Extism plugin in plain C against the kernel ABI (`extism:host/env`): `count_vowels` reads
// its input, asks the host to `record` the count (a host function), and outputs JSON.
// Build: clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor plugin.c -o plugin.wasm
#include <stdint.h>

#define ENV(n) __attribute__((import_module("extism:host/env"), import_name(#n)))
typedef uint64_t u64;
ENV(input_length) u64 input_length(void);
ENV(input_load_u8) uint8_t input_load_u8(u64);
ENV(alloc) u64 extism_alloc(u64);
ENV(store_u8) void store_u8(u64, uint8_t);
ENV(output_set) void output_set(u64, u64);
__attribute__((import_module("extism:host/user"), import_name("record"))) void record(u64 count);

__attribute__((export_name("count_vowels"))) int32_t count_vowels(void) {
  u64 n = input_length(), count = 0;
  for (u64 i = 0; i < n; i++) {
    switch (input_load_u8(i) | 0x20) { case 'a': case 'e': case 'i': case 'o': case 'u': count++; }
  }
  record(count);
  // {"count":N} without libc's printf, so the plugin needs no WASI.
  char digits[24], json[40];
  int d = 0, len = 0;
  do { digits[d++] = (char)('0' + count % 10); count /= 10; } while (count);
  for (const char *p = "{\"count\":"; *p; p++) json[len++] = *p;
  while (d) json[len++] = digits[--d];
  json[len++] = '}';
  u64 out = extism_alloc((u64)len);
  for (int i = 0; i < len; i++) store_u8(out + (u64)i, (uint8_t)json[i]);
  output_set(out, (u64)len);
  return 0;
}

// Never returns: the host's timeoutMs stops it.
__attribute__((export_name("spin"))) int32_t spin(void) {
  for (volatile int i = 0;; i++) {}
}
