// Routing micro-benchmarks: TopicTree::match over 100k subscriptions (exact
// filters, '+' filters, '#' filters), the cost of subscribing, and
// RetainedIndex::match over 100k retained topics.
//
// Match benchmarks do one match per iteration, so the Time column is ns per
// match and items/s is matches per second; `found` is the subscribers (or
// retained messages) each match returns. Subscribe benchmarks count one
// subscription as one item.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "broker/retained_index.h"
#include "broker/topic_tree.h"
#include "model/message.h"

namespace {

using cairn::broker::RetainedIndex;
using cairn::broker::SharedGroup;
using cairn::broker::SubscriptionEntry;
using cairn::broker::TopicTree;

constexpr int kSubscriptions = 100'000;
constexpr std::size_t kTopicRing = 4096;  // topics cycled through, to defeat the branch predictor

SubscriptionEntry entry(int i) {
  SubscriptionEntry e;
  e.session = static_cast<cairn::model::SessionId>(i) + 1;
  return e;
}

std::string dev(int i, const char* tail) { return "dev/" + std::to_string(i) + tail; }

// Topics "dev/<k>/temp" for random k < `range`.
std::vector<std::string> topic_ring(int range) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> k(0, range - 1);
  std::vector<std::string> topics;
  for (std::size_t i = 0; i < kTopicRing; ++i) topics.push_back(dev(k(rng), "/temp"));
  return topics;
}

void run_match(benchmark::State& state, TopicTree& tree, const std::vector<std::string>& topics) {
  std::vector<const SubscriptionEntry*> subscribers;
  std::vector<SharedGroup*> groups;
  std::size_t i = 0;
  std::size_t found = 0;
  for (auto _ : state) {
    subscribers.clear();
    groups.clear();
    tree.match(topics[i++ % kTopicRing], subscribers, groups);
    found += subscribers.size();
    benchmark::DoNotOptimize(subscribers.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["found"] = static_cast<double>(found) /
                            static_cast<double>(std::max<std::int64_t>(state.iterations(), 1));
}

// The trees are built on first use and kept for the process: Google
// Benchmark runs each function several times.

// (a) 100k exact filters "dev/<i>/temp".
TopicTree& exact_tree() {
  static TopicTree tree;
  static const bool built = [] {
    for (int i = 0; i < kSubscriptions; ++i) tree.subscribe(dev(i, "/temp"), entry(i));
    return true;
  }();
  (void)built;
  return tree;
}

// (b) 100k '+' filters: 50k "dev/<i>/+" and 50k "+/<i>/temp".
TopicTree& plus_tree() {
  static TopicTree tree;
  static const bool built = [] {
    for (int i = 0; i < kSubscriptions / 2; ++i) {
      tree.subscribe(dev(i, "/+"), entry(i));
      tree.subscribe("+/" + std::to_string(i) + "/temp", entry(i));
    }
    return true;
  }();
  (void)built;
  return tree;
}

// (c) 100k '#' filters "dev/<i>/#".
TopicTree& hash_tree() {
  static TopicTree tree;
  static const bool built = [] {
    for (int i = 0; i < kSubscriptions; ++i) tree.subscribe(dev(i, "/#"), entry(i));
    return true;
  }();
  (void)built;
  return tree;
}

// 100k sessions on one filter "broadcast/+".
TopicTree& fan_out_tree() {
  static TopicTree tree;
  static const bool built = [] {
    for (int i = 0; i < kSubscriptions; ++i) tree.subscribe("broadcast/+", entry(i));
    return true;
  }();
  (void)built;
  return tree;
}

// (a) A topic "dev/<k>/temp" matches one exact filter.
void BM_MatchExact(benchmark::State& state) {
  run_match(state, exact_tree(), topic_ring(kSubscriptions));
}

// (a) Topics "xev/<k>/temp" leave the exact tree at the first level.
void BM_MatchExactMiss(benchmark::State& state) {
  std::vector<std::string> topics = topic_ring(kSubscriptions);
  for (std::string& t : topics) t[0] = 'x';
  run_match(state, exact_tree(), topics);
}

// (b) A topic "dev/<k>/temp" matches two '+' filters, one through each form.
void BM_MatchPlus(benchmark::State& state) {
  run_match(state, plus_tree(), topic_ring(kSubscriptions / 2));
}

// (c) A topic "dev/<k>/temp" matches one '#' filter.
void BM_MatchHash(benchmark::State& state) {
  run_match(state, hash_tree(), topic_ring(kSubscriptions));
}

// Fan-out: a match returns 100k subscribers of one filter.
void BM_MatchFanOut(benchmark::State& state) {
  run_match(state, fan_out_tree(), std::vector<std::string>(kTopicRing, "broadcast/all"));
}

// Filling an empty tree with 100k exact filters ("dev/<i>/temp", arg 0) or
// 100k sessions on one filter (arg 1); ns per subscription.
void BM_Subscribe(benchmark::State& state) {
  const bool one_filter = state.range(0) == 1;
  std::vector<std::string> filters;
  for (int i = 0; i < kSubscriptions; ++i) {
    filters.push_back(one_filter ? std::string("broadcast/+") : dev(i, "/temp"));
  }
  for (auto _ : state) {
    auto tree = std::make_unique<TopicTree>();
    for (int i = 0; i < kSubscriptions; ++i) {
      tree->subscribe(filters[static_cast<std::size_t>(i)], entry(i));
    }
    state.PauseTiming();
    tree.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kSubscriptions);
}

// Churn on a tree of 100k: subscribe a new filter and unsubscribe it again
// (two nodes made and pruned each time); ns per pair.
void BM_SubscribeUnsubscribe(benchmark::State& state) {
  TopicTree tree;
  for (int i = 0; i < kSubscriptions; ++i) tree.subscribe(dev(i, "/temp"), entry(i));
  std::vector<std::string> filters;
  for (std::size_t i = 0; i < kTopicRing; ++i) {
    filters.push_back(dev(static_cast<int>(i) * 24, "/humidity/+"));
  }
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& filter = filters[i++ % kTopicRing];
    tree.subscribe(filter, entry(7));
    tree.unsubscribe(filter, 7);
  }
  state.SetItemsProcessed(state.iterations());
}

// 100k retained messages on "dev/<i>/temp".
const RetainedIndex& retained_index() {
  static RetainedIndex index;
  static const bool built = [] {
    for (int i = 0; i < kSubscriptions; ++i) {
      auto m = std::make_shared<cairn::model::Message>();
      m->topic = dev(i, "/temp");
      m->payload = "21.5";
      m->retain = true;
      index.set(std::move(m));
    }
    return true;
  }();
  (void)built;
  return index;
}

// RetainedIndex::match of "dev/+/temp" over 100k retained "dev/<i>/temp":
// every one matches. ns per match (of 100k messages).
void BM_RetainedMatchPlus(benchmark::State& state) {
  const RetainedIndex& index = retained_index();
  std::vector<cairn::model::MessagePtr> out;
  const auto now = cairn::model::WallTime::clock::now();
  for (auto _ : state) {
    out.clear();
    index.match("dev/+/temp", now, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["found"] = static_cast<double>(out.size());
}

// RetainedIndex::match of one exact topic among 100k.
void BM_RetainedMatchExact(benchmark::State& state) {
  const RetainedIndex& index = retained_index();
  const std::vector<std::string> topics = topic_ring(kSubscriptions);
  std::vector<cairn::model::MessagePtr> out;
  const auto now = cairn::model::WallTime::clock::now();
  std::size_t i = 0;
  for (auto _ : state) {
    out.clear();
    index.match(topics[i++ % kTopicRing], now, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_MatchExact);
BENCHMARK(BM_MatchExactMiss);
BENCHMARK(BM_MatchPlus);
BENCHMARK(BM_MatchHash);
BENCHMARK(BM_MatchFanOut);
BENCHMARK(BM_Subscribe)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SubscribeUnsubscribe);
BENCHMARK(BM_RetainedMatchPlus)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RetainedMatchExact);

}  // namespace
