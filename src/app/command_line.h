// run_command_line: what the cairn executable does with its arguments
// (src/app/main.cc describes it). A library function so that a test build of
// the broker (tests/crash/broken) is the same program with one seam changed:
// `decorate` wraps the store the broker is given (BrokerApp).
#pragma once

#include "app/broker_app.h"

namespace cairn::app {

// The process exit code: 0 after an orderly shutdown (or --help, --version),
// 1 when the store or the listener cannot be opened (or check/repair found
// damage), 2 on a bad option or configuration.
int run_command_line(int argc, char** argv, const StoreDecorator& decorate = nullptr);

}  // namespace cairn::app
