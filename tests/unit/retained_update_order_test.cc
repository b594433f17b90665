// RetainedUpdateOrder: the newest update of a topic wins, whatever order the
// commits and the at-once updates arrive in, and the order forgets a topic
// once nothing of it is pending.
#include "broker/retained_update_order.h"

#include <string>

#include <gtest/gtest.h>

namespace cairn::broker {
namespace {

TEST(RetainedUpdateOrder, CommitsInPlaceOrderAreEachApplied) {
  RetainedUpdateOrder order;
  const auto a = order.expect("t");
  const auto b = order.expect("t");
  EXPECT_TRUE(order.settle("t", a, true));
  EXPECT_TRUE(order.settle("t", b, true));
  EXPECT_EQ(order.pending_topics(), 0u);
}

TEST(RetainedUpdateOrder, AnUpdateAppliedAtOnceOutranksAnOlderPendingOne) {
  RetainedUpdateOrder order;
  const auto older = order.expect("t");
  order.applied_now("t");
  const auto newer = order.expect("t");
  EXPECT_FALSE(order.settle("t", older, true));
  EXPECT_TRUE(order.settle("t", newer, true));
}

TEST(RetainedUpdateOrder, AFailedCommitIsNeverApplied) {
  RetainedUpdateOrder order;
  const auto failed = order.expect("t");
  EXPECT_FALSE(order.settle("t", failed, false));
  EXPECT_EQ(order.pending_topics(), 0u);
}

TEST(RetainedUpdateOrder, TopicsAreOrderedApart) {
  RetainedUpdateOrder order;
  const auto t = order.expect("t");
  order.applied_now("u");
  EXPECT_TRUE(order.settle("t", t, true));
}

TEST(RetainedUpdateOrder, RemembersOnlyTopicsWithACommitPending) {
  RetainedUpdateOrder order;
  for (int i = 0; i < 1000; ++i) order.applied_now("t/" + std::to_string(i));
  EXPECT_EQ(order.pending_topics(), 0u);
  const auto p = order.expect("t/1");
  order.applied_now("t/1");
  EXPECT_EQ(order.pending_topics(), 1u);
  EXPECT_FALSE(order.settle("t/1", p, true));
  EXPECT_EQ(order.pending_topics(), 0u);
}

}  // namespace
}  // namespace cairn::broker
