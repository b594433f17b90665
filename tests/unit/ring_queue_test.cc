// RingQueue: FIFO order across wrap-around and growth, erase from anywhere,
// no allocation until used, and a large array given back once emptied.
#include "base/ring_queue.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace cairn::base {
namespace {

TEST(RingQueue, AllocatesNothingUntilTheFirstPush) {
  RingQueue<std::string> q;
  EXPECT_EQ(q.capacity(), 0u);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.begin(), q.end());
  q.push_back("a");
  EXPECT_GT(q.capacity(), 0u);
}

TEST(RingQueue, KeepsFifoOrderAcrossWrapAroundAndGrowth) {
  RingQueue<int> q;
  int next_in = 0;
  int next_out = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 3 + round % 7; ++i) q.push_back(next_in++);
    for (int i = 0; i < 2 + round % 5 && !q.empty(); ++i) {
      ASSERT_EQ(q.front(), next_out++);
      q.pop_front();
    }
    ASSERT_EQ(q.size(), static_cast<std::size_t>(next_in - next_out));
    if (!q.empty()) {
      ASSERT_EQ(q.back(), next_in - 1);
    }
  }
}

TEST(RingQueue, BehavesAsADequeUnderRandomOperations) {
  std::mt19937 rng(7);
  RingQueue<std::unique_ptr<int>> q;
  std::deque<int> reference;
  for (int step = 0; step < 20000; ++step) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 5) {
      q.push_back(std::make_unique<int>(step));
      reference.push_back(step);
    } else if (op < 8 && !reference.empty()) {
      q.pop_front();
      reference.pop_front();
    } else if (!reference.empty()) {
      const std::size_t at = rng() % reference.size();
      auto it = q.erase(q.begin() + static_cast<std::ptrdiff_t>(at));
      reference.erase(reference.begin() + static_cast<std::ptrdiff_t>(at));
      if (at < reference.size()) {
        ASSERT_EQ(**it, reference[at]);
      } else {
        ASSERT_EQ(it, q.end());
      }
    }
    ASSERT_EQ(q.size(), reference.size());
    if (step % 97 == 0) {
      for (std::size_t i = 0; i < reference.size(); ++i) ASSERT_EQ(*q[i], reference[i]);
    }
  }
}

TEST(RingQueue, EraseInTheMiddleWhileIteratingLikeTheInflightWindow) {
  RingQueue<int> q;
  for (int i = 0; i < 10; ++i) q.push_back(i);
  for (auto it = q.begin(); it != q.end();) {
    if (*it % 3 == 0) {
      it = q.erase(it);
    } else {
      ++it;
    }
  }
  EXPECT_EQ(std::vector<int>(q.begin(), q.end()), (std::vector<int>{1, 2, 4, 5, 7, 8}));
  auto found = std::find_if(q.begin(), q.end(), [](int v) { return v == 5; });
  ASSERT_NE(found, q.end());
  EXPECT_EQ(found - q.begin(), 3);
}

TEST(RingQueue, GivesALargeArrayBackOnceEmptied) {
  RingQueue<std::string> q;
  for (int i = 0; i < 10000; ++i) q.push_back(std::to_string(i));
  EXPECT_GE(q.capacity(), 10000u);
  while (!q.empty()) q.pop_front();
  EXPECT_EQ(q.capacity(), 0u);
  for (int i = 0; i < 3; ++i) q.push_back("x");
  while (!q.empty()) q.pop_front();
  EXPECT_GT(q.capacity(), 0u);  // a small one is kept for the next message
}

TEST(RingQueue, CopiesAndMovesKeepTheElements) {
  RingQueue<std::string> q;
  for (int i = 0; i < 5; ++i) q.push_back(std::to_string(i));
  q.pop_front();
  q.push_back("5");
  RingQueue<std::string> copy = q;
  EXPECT_EQ(std::vector<std::string>(copy.begin(), copy.end()),
            (std::vector<std::string>{"1", "2", "3", "4", "5"}));
  RingQueue<std::string> moved = std::move(q);
  EXPECT_EQ(moved.size(), 5u);
  EXPECT_TRUE(q.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  copy.clear();
  EXPECT_TRUE(copy.empty());
}

}  // namespace
}  // namespace cairn::base
