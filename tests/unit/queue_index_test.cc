// QueueIndex: the LevelDB store's in-memory index of one session's queue.
// Checked against a plain model (a map from sequence to chunk and segment)
// under random chunks, overlapping ones included, and random acknowledgements;
// and for its memory: a backlog costs per chunk, not per delivery (D7).
#include "storage/queue_index.h"

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include <gtest/gtest.h>

namespace cairn::storage {
namespace {

std::vector<record::ChunkEntry> entries(
    std::initializer_list<std::pair<std::uint64_t, std::uint64_t>> sequence_segment) {
  std::vector<record::ChunkEntry> out;
  for (auto [sequence, segment] : sequence_segment) {
    record::ChunkEntry e;
    e.sequence = sequence;
    e.segment = segment;
    out.push_back(e);
  }
  return out;
}

std::vector<std::uint64_t> sequences(const std::vector<QueueIndex::Entry>& live) {
  std::vector<std::uint64_t> out;
  for (const auto& e : live) out.push_back(e.sequence);
  return out;
}

TEST(QueueIndex, AckKnowsEachDeliveryOnceAndKillsAFullyAcknowledgedChunk) {
  QueueIndex index;
  index.add_chunk(1, entries({{1, 7}, {2, 7}, {3, 7}}));
  index.add_chunk(4, entries({{4, 8}, {5, 8}}));
  EXPECT_EQ(index.live(), 5u);

  auto r = index.ack(2);
  EXPECT_TRUE(r.known);
  EXPECT_EQ(r.segment, 7u);
  EXPECT_FALSE(r.dead_chunk);
  EXPECT_FALSE(index.ack(2).known) << "acknowledged twice";
  EXPECT_FALSE(index.ack(9).known) << "never queued";
  EXPECT_EQ(index.cursor().acked.size(), 1u);

  EXPECT_FALSE(index.ack(1).dead_chunk);
  r = index.ack(3);
  ASSERT_TRUE(r.dead_chunk);
  EXPECT_EQ(*r.dead_chunk, 1u);
  EXPECT_TRUE(index.cursor_empty()) << "a dead chunk's acks leave the cursor";
  EXPECT_EQ(sequences(index.live_from(0, 10)), (std::vector<std::uint64_t>{4, 5}));
  EXPECT_EQ(index.chunks(), (std::vector<std::uint64_t>{4}));
  EXPECT_FALSE(index.empty());
  index.ack(5);
  index.ack(4);
  EXPECT_TRUE(index.empty());
  EXPECT_EQ(index.live(), 0u);
}

TEST(QueueIndex, OverlappingChunksKeepTheirOwnDeliveries) {
  // 11 and 13 committed in one group, 12 (numbered between) in the next.
  QueueIndex index;
  index.add_chunk(11, entries({{11, 3}, {13, 3}}));
  index.add_chunk(12, entries({{12, 4}}));
  EXPECT_EQ(sequences(index.live_from(0, 10)), (std::vector<std::uint64_t>{11, 12, 13}));
  EXPECT_EQ(index.live_from(12, 1).front().chunk, 12u);
  EXPECT_EQ(index.live_from(13, 1).front().chunk, 11u);

  // Chunk 11 dies around 12, which stays.
  QueueIndex other = index;
  EXPECT_FALSE(other.ack(11).dead_chunk);
  EXPECT_EQ(other.ack(13).dead_chunk, std::optional<std::uint64_t>(11));
  EXPECT_EQ(sequences(other.live_from(0, 10)), (std::vector<std::uint64_t>{12}));
  EXPECT_TRUE(other.ack(12).known);

  auto r = index.ack(12);
  ASSERT_TRUE(r.dead_chunk);
  EXPECT_EQ(*r.dead_chunk, 12u);
  EXPECT_EQ(r.segment, 4u);
  EXPECT_FALSE(index.ack(13).dead_chunk);
  r = index.ack(11);
  ASSERT_TRUE(r.dead_chunk);
  EXPECT_EQ(*r.dead_chunk, 11u);
}

TEST(QueueIndex, SentStateOnlyForLiveDeliveriesAndGoneAtTheAck) {
  QueueIndex index;
  index.add_chunk(1, entries({{1, 2}, {2, 2}}));
  EXPECT_TRUE(index.sent(2, 17, false));
  EXPECT_FALSE(index.sent(3, 18, false)) << "never queued";
  EXPECT_FALSE(index.sent(1, 0, false)) << "packet id 0";
  ASSERT_NE(index.sent_of(2), nullptr);
  EXPECT_EQ(index.sent_of(2)->packet_id, 17);
  EXPECT_TRUE(index.sent(2, 17, true));
  EXPECT_TRUE(index.sent_of(2)->released);
  index.ack(2);
  EXPECT_EQ(index.sent_of(2), nullptr);
  EXPECT_FALSE(index.sent(2, 17, true)) << "acknowledged";
}

TEST(QueueIndex, LiveSegmentsCountTheUnacknowledged) {
  QueueIndex index;
  index.add_chunk(1, entries({{1, 5}, {2, 5}, {3, 6}}));
  index.add_chunk(4, entries({{4, 6}, {5, 6}}));
  index.ack(4);
  using Pairs = std::vector<std::pair<std::uint64_t, std::size_t>>;
  EXPECT_EQ(index.live_segments(), (Pairs{{5, 2}, {6, 2}}));
}

// A backlog: 1M deliveries, 33 per commit, as the backlog benchmark queues
// them. The index holds a run and a chunk per commit, and drains whole.
TEST(QueueIndex, ABacklogCostsPerChunkNotPerDelivery) {
  QueueIndex index;
  constexpr std::uint64_t kPerCommit = 33;
  constexpr std::uint64_t kCommits = 1'000'000 / kPerCommit;
  std::vector<record::ChunkEntry> chunk(kPerCommit);
  for (std::uint64_t c = 0; c < kCommits; ++c) {
    for (std::uint64_t i = 0; i < kPerCommit; ++i) {
      chunk[i].sequence = 1 + c * kPerCommit + i;
      chunk[i].segment = 1 + c;
    }
    index.add_chunk(chunk.front().sequence, chunk);
  }
  EXPECT_EQ(index.live(), kCommits * kPerCommit);
  EXPECT_EQ(index.runs_held(), kCommits);
  EXPECT_EQ(index.chunks_held(), kCommits);

  std::uint64_t dead = 0;
  for (std::uint64_t s = 1; s <= kCommits * kPerCommit; ++s) {
    const auto r = index.ack(s);
    ASSERT_TRUE(r.known) << s;
    if (r.dead_chunk) ++dead;
    EXPECT_LE(index.runs_held(), 2 * (kCommits - dead) + 1024) << "dead runs are dropped";
  }
  EXPECT_EQ(dead, kCommits);
  EXPECT_TRUE(index.empty());
  EXPECT_EQ(index.runs_held(), 0u);
}

// The plain model: every queued delivery, its chunk and segment; acked ones.
struct Model {
  struct Delivery {
    std::uint64_t chunk;
    std::uint64_t segment;
    bool acked = false;
  };
  std::map<std::uint64_t, Delivery> deliveries;
  std::map<std::uint64_t, std::set<std::uint64_t>> chunks;  // key -> sequences

  bool live(std::uint64_t s) const {
    auto it = deliveries.find(s);
    return it != deliveries.end() && !it->second.acked;
  }
};

TEST(QueueIndex, RandomizedAgainstAPlainModel) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    QueueIndex index;
    Model model;
    std::uint64_t next = 1;
    std::uint64_t segment = 1;
    std::vector<std::uint64_t> held_back;  // numbered, to commit in a later chunk
    for (int step = 0; step < 3000; ++step) {
      const int what = static_cast<int>(rng() % 10);
      if (what < 4) {
        // A commit: new sequences, some held back for later, some taken
        // from those held back; one or two segments.
        std::set<std::uint64_t> picked;
        const int n = 1 + static_cast<int>(rng() % 40);
        for (int i = 0; i < n; ++i) {
          const std::uint64_t s = next++;
          if (rng() % 8 == 0) {
            held_back.push_back(s);
          } else {
            picked.insert(s);
          }
        }
        while (!held_back.empty() && rng() % 2 == 0) {
          picked.insert(held_back.back());
          held_back.pop_back();
        }
        if (picked.empty()) continue;
        ++segment;
        std::vector<record::ChunkEntry> chunk;
        for (std::uint64_t s : picked) {
          record::ChunkEntry e;
          e.sequence = s;
          e.segment = rng() % 5 == 0 ? segment - 1 : segment;
          chunk.push_back(e);
          model.deliveries[s] = {*picked.begin(), e.segment};
        }
        model.chunks[*picked.begin()] = picked;
        index.add_chunk(*picked.begin(), chunk);
      } else if (what < 9 && !model.deliveries.empty()) {
        // An acknowledgement: near the head (so that chunks die around
        // later chunks' deliveries), sometimes of anything or of something
        // unknown.
        std::uint64_t s;
        if (rng() % 4 == 0) {
          s = 1 + rng() % next;
        } else {
          auto it = model.deliveries.begin();
          const std::size_t reach = rng() % 2 == 0 ? 8 : 64;  // in order, or nearly
          std::advance(it, static_cast<long>(rng() % std::min(reach, model.deliveries.size())));
          s = it->first;
        }
        const bool was_live = model.live(s);
        const auto r = index.ack(s);
        ASSERT_EQ(r.known, was_live) << "ack of " << s;
        if (!was_live) continue;
        Model::Delivery& d = model.deliveries[s];
        EXPECT_EQ(r.segment, d.segment);
        d.acked = true;
        const std::uint64_t key = d.chunk;
        bool all = true;
        for (std::uint64_t x : model.chunks[key]) all = all && model.deliveries[x].acked;
        ASSERT_EQ(r.dead_chunk.has_value(), all);
        if (all) {
          EXPECT_EQ(*r.dead_chunk, key);
          for (std::uint64_t x : model.chunks[key]) model.deliveries.erase(x);
          model.chunks.erase(key);
        }
      } else {
        // What paging reads, from anywhere.
        const std::uint64_t from = rng() % (next + 1);
        const std::size_t max = 1 + rng() % 50;
        std::vector<QueueIndex::Entry> expected;
        for (auto it = model.deliveries.lower_bound(from);
             it != model.deliveries.end() && expected.size() < max; ++it) {
          if (!it->second.acked)
            expected.push_back({it->first, it->second.chunk, it->second.segment});
        }
        const auto got = index.live_from(from, max);
        ASSERT_EQ(got.size(), expected.size());
        for (std::size_t i = 0; i < got.size(); ++i) {
          EXPECT_EQ(got[i].sequence, expected[i].sequence);
          EXPECT_EQ(got[i].chunk, expected[i].chunk);
          EXPECT_EQ(got[i].segment, expected[i].segment);
        }
      }
      if (step % 25 != 0) continue;  // the whole-state checks are O(queue)
      std::size_t live = 0;
      for (const auto& [s, d] : model.deliveries) live += d.acked ? 0 : 1;
      ASSERT_EQ(index.live(), live);
      ASSERT_EQ(index.chunks().size(), model.chunks.size());
      std::set<std::uint64_t> acked_in_live;
      for (const auto& [s, d] : model.deliveries) {
        if (d.acked) acked_in_live.insert(s);
      }
      std::set<std::uint64_t> cursor_acked;
      for (const auto& run : index.cursor().acked) {
        for (std::uint64_t s = run.first; s < run.first + run.length; ++s) cursor_acked.insert(s);
      }
      ASSERT_EQ(cursor_acked, acked_in_live);
    }
  }
}

}  // namespace
}  // namespace cairn::storage
