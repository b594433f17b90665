// cairn-broken-early-ack: cairn with one seam changed, for the crash suite's
// test of itself: every store operation is reported committed before it is
// (EarlyAckStore). Never to be run for real.
#include <memory>

#include "app/command_line.h"
#include "broken/early_ack_store.h"

int main(int argc, char** argv) {
  return cairn::app::run_command_line(argc, argv, [](cairn::storage::DurableStore& store) {
    return std::make_unique<cairn::crashtest::EarlyAckStore>(store);
  });
}
