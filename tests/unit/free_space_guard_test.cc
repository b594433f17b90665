// FreeSpaceGuard and the broker's refusal of QoS 1/2 publishes while the data
// volume is low on space (D8: refuse, don't lose; resume when space returns).
#include "storage/free_space_guard.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "storage/leveldb_store.h"
#include "support/power_loss_env.h"
#include "support/temp_dir.h"

namespace cairn::storage {
namespace {

using std::chrono::milliseconds;

constexpr std::uint64_t kMiB = 1024 * 1024;

struct FakeVolume {
  std::atomic<std::uint64_t> free{1024 * kMiB};
  std::atomic<int> probes{0};
  bool readable = true;
  FreeSpaceGuard::Probe probe() {
    return [this](const std::string&) -> std::optional<std::uint64_t> {
      ++probes;
      if (!readable) return std::nullopt;
      return free.load();
    };
  }
};

TEST(FreeSpaceGuard, IsLowBelowTheMinimumAndRecoversWhenSpaceReturns) {
  FakeVolume volume;
  FreeSpaceGuard guard("/data", 256 * kMiB, volume.probe());
  EXPECT_FALSE(guard.refresh(milliseconds(0)));
  EXPECT_FALSE(guard.low());
  volume.free = 255 * kMiB;
  EXPECT_TRUE(guard.refresh(milliseconds(0)));
  EXPECT_TRUE(guard.low());
  EXPECT_EQ(guard.free_bytes(), 255 * kMiB);
  volume.free = 256 * kMiB;
  EXPECT_FALSE(guard.refresh(milliseconds(0)));
  EXPECT_FALSE(guard.low());
}

TEST(FreeSpaceGuard, ZeroTurnsItOff) {
  FakeVolume volume;
  volume.free = 0;
  FreeSpaceGuard guard("/data", 0, volume.probe());
  EXPECT_FALSE(guard.refresh(milliseconds(0)));
  EXPECT_FALSE(guard.low());
  EXPECT_EQ(volume.probes.load(), 0);
}

TEST(FreeSpaceGuard, ProbesAtMostOncePerInterval) {
  FakeVolume volume;
  FreeSpaceGuard guard("/data", kMiB, volume.probe());
  guard.refresh(std::chrono::hours(1));
  guard.refresh(std::chrono::hours(1));
  guard.refresh(std::chrono::hours(1));
  EXPECT_EQ(volume.probes.load(), 1);
  guard.refresh(milliseconds(0));
  EXPECT_EQ(volume.probes.load(), 2);
}

TEST(FreeSpaceGuard, AnUnreadableVolumeKeepsTheLastAnswer) {
  FakeVolume volume;
  volume.free = 0;
  FreeSpaceGuard guard("/data", kMiB, volume.probe());
  EXPECT_TRUE(guard.refresh(milliseconds(0)));
  volume.readable = false;
  EXPECT_TRUE(guard.refresh(milliseconds(0)));
}

TEST(FreeSpaceGuard, TheRealProbeReadsTheVolume) {
  test::TempDir dir;
  const std::optional<std::uint64_t> free = FreeSpaceGuard::statvfs_probe(dir.path());
  ASSERT_TRUE(free.has_value());
  EXPECT_GT(*free, 0u);
  EXPECT_FALSE(FreeSpaceGuard::statvfs_probe(dir.path() + "/missing").has_value());
}

// The store reports the guard's state, and its commits refresh it.
TEST(FreeSpaceGuard, TheLeveldbStoreSaysWhenSpaceIsLow) {
  test::TempDir dir;
  test::PowerLossEnv env;
  FakeVolume volume;
  LeveldbStore::Options options;
  options.directory = dir.path();
  options.env = &env;
  options.min_free_bytes = 100 * kMiB;
  options.free_space_probe = volume.probe();
  auto opened = LeveldbStore::open(options);
  ASSERT_TRUE(opened.store) << opened.error;
  EXPECT_FALSE(opened.store->space_low());
  volume.free = 10 * kMiB;
  // Within the 100 ms interval the old answer stands; after it, the tick's
  // refresh sees the change.
  std::this_thread::sleep_for(milliseconds(120));
  opened.store->refresh_space();
  EXPECT_TRUE(opened.store->space_low());
  volume.free = 200 * kMiB;
  std::this_thread::sleep_for(milliseconds(120));
  opened.store->refresh_space();
  EXPECT_FALSE(opened.store->space_low());
}

}  // namespace
}  // namespace cairn::storage
