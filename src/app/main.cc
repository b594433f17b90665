// cairn: the broker executable.
//
// Loads the configuration: built-in defaults, then the --config file, then the
// command-line options over it. A bad file or option prints the message
// (which names the file, line and key, or the option) and exits 2, the usual
// code for a usage error, so that a service manager does not retry a broker
// that can never start.
//
// Then it opens the store in data_dir, loads what it holds, and serves until
// SIGINT or SIGTERM (BrokerApp); it exits 0 after an orderly shutdown, 1 when
// the store or the listener cannot be opened.
//
// `cairn check --data-dir DIR` and `cairn repair --data-dir DIR` verify and
// repair a store offline (recovery/).
#include "app/command_line.h"

int main(int argc, char** argv) { return cairn::app::run_command_line(argc, argv); }
