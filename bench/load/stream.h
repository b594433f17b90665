// Stream: the messages of one publisher as one subscriber receives them.
//
// The subscriber's thread owns the tracker and publishes how far the stream
// has come in the atomics after every read; the publisher's thread reads them
// to keep its end-to-end window, and the controller to know when in-flight
// messages have drained.
#pragma once

#include <atomic>
#include <cstdint>

#include "load/sequence_tracker.h"

namespace cairn::load {

class Publisher;

struct alignas(64) Stream {
  explicit Stream(Publisher* from) : publisher(from) {}

  Publisher* const publisher;
  std::atomic<std::uint64_t> front{0};     // tracker.front() as of the last read
  std::atomic<std::uint64_t> distinct{0};  // tracker.distinct() as of the last read
  SequenceTracker tracker;                 // the subscriber's thread only
  bool dirty = false;                      // the subscriber's thread only
};

}  // namespace cairn::load
