// CAIRN_CHECK: the guard for programming errors (DESIGN.md §6).
//
// A failed check means cairn's own code broke an invariant, never that a peer
// sent bad input: bad input gets a reason code. It aborts with the file, line
// and message so that a core dump points at the broken invariant.
#pragma once

namespace cairn::base {
[[noreturn]] void check_failed(const char* expr, const char* msg, const char* file, int line);
}  // namespace cairn::base

#define CAIRN_CHECK(cond, msg)                                       \
  do {                                                               \
    if (!(cond)) [[unlikely]]                                        \
      ::cairn::base::check_failed(#cond, (msg), __FILE__, __LINE__); \
  } while (false)
