#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace cairn::base {

void check_failed(const char* expr, const char* msg, const char* file, int line) {
  std::fprintf(stderr, "cairn: check failed at %s:%d: %s (%s)\n", file, line, msg, expr);
  std::fflush(stderr);
  std::abort();
}

}  // namespace cairn::base
