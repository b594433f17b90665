// cairn-load: an end-to-end MQTT load generator built on cairn's own codec.
// `cairn-load --help` lists the options; bench/README.md explains the
// scenarios and how to read the output.
#include <iostream>

#include "load/options.h"
#include "load/report.h"
#include "load/scenario.h"
#include <sys/resource.h>

namespace {

// Many connections need many descriptors: take all the hard limit allows.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  cairn::load::Options options;
  if (const int status = cairn::load::parse_options(argc, argv, options); status >= 0) {
    return status;
  }
  raise_open_file_limit();
  cairn::load::LoadRun run(options);
  const cairn::load::Result result = run.run();
  if (options.json) {
    cairn::load::print_json(result, std::cout);
    for (const std::string& error : result.errors) std::cerr << "error: " << error << "\n";
  } else {
    cairn::load::print_table(result, std::cout);
  }
  return result.exit_status();
}
